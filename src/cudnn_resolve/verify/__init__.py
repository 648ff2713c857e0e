"""Verify and diagnose: compare what an environment loads with what it should, and say why not."""

from .check import Verdict, compatible, evaluate, matches
from .findings import Finding, Severity
from .manifest import MANIFEST_NAME, Expectations, ManifestError, manifest_path, read_manifest

__all__ = [
    "MANIFEST_NAME",
    "Expectations",
    "Finding",
    "ManifestError",
    "Severity",
    "Verdict",
    "compatible",
    "evaluate",
    "manifest_path",
    "matches",
    "read_manifest",
]
