"""The manifest ``create`` writes into an environment: what it was created from, for ``check``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import UsageError

MANIFEST_NAME = "cudnn-resolve.json"


class ManifestError(UsageError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"the environment manifest {path} is unreadable: {problem}. Recreate the environment with "
            "'cudnn-resolve create', or check with explicit expectations (--expect-cudnn) and --no-manifest"
        )


@dataclass(frozen=True)
class Expectations:
    """What an environment should load. Any field may be unknown (None)."""

    cudnn: str | None = None  # "9.24.0.43", "9.24" or "9"
    cuda: str | None = None  # the CUDA runtime MAJOR.MINOR
    frameworks: tuple[tuple[str, str], ...] = ()  # (name, version)
    driver_min: str | None = None
    source: str = "the frameworks' own builds"


def manifest_path(prefix: Path) -> Path:
    return prefix / MANIFEST_NAME


def read_manifest(prefix: Path) -> tuple[Expectations, dict[str, Any]] | None:
    """The expectations recorded at ``prefix`` by ``create``, or None if it has no manifest."""
    path = manifest_path(prefix)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        resolution = data["resolution"]
        expectations = Expectations(
            cudnn=resolution.get("cudnn_version"),
            cuda=resolution.get("cuda_runtime"),
            frameworks=tuple((f["name"], f["version"]) for f in resolution.get("frameworks", [])),
            driver_min=resolution.get("driver_min"),
            source=f"the manifest {path}",
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ManifestError(path, str(exc)) from None
    return expectations, data
