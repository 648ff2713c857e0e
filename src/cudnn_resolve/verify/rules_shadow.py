"""The rules about copies that shadow the environment's own: LD_PRELOAD, PYTHONPATH, LD_LIBRARY_PATH,
libraries loaded from outside the environment, and the system's copies in the loader cache.

torch's libraries use RPATH and preload the wheel's copies, so LD_LIBRARY_PATH does not shadow them;
TensorFlow's use RUNPATH, which LD_LIBRARY_PATH overrides (measured: docs/verify.md).
"""

from __future__ import annotations

import os
import re

from ..probe.report import ProbeReport
from .findings import Finding, Severity
from .manifest import Expectations
from .rules_common import CUDA_NAME, ERROR, INFO, WARNING, inside, parts


def _entries(value: str | None, separator: str) -> list[str]:
    return [e for e in re.split(separator, value or "") if e]


def shadow_findings(report: ProbeReport, expected: Expectations) -> list[Finding]:
    # An environment meant to use the system's CUDA and cuDNN (a container built on an nvidia/cuda image):
    # loading them from outside the environment is the design, reported as a fact.
    outside = INFO if expected.system_cuda else ERROR
    findings = _ld_preload_findings(report)
    findings += _mapped_elsewhere_findings(report, outside)
    findings += _ld_library_path_findings(report)
    would = next((lib for lib in report.libraries if lib.source == "would-load"), None)
    if would is not None and would.found_by in ("ld.so cache", "default directories"):
        findings.append(
            Finding(
                "shadow-system-copy",
                outside,
                f"TensorFlow would load the system's {would.path} ({would.found_by}), not the environment's",
                "install the environment's cuDNN wheel (cudnn-resolve create does) or remove the system copy",
            )
        )
    findings += [
        Finding(
            "system-copy",
            INFO,
            f"the loader cache holds {name} at {', '.join(paths)}: programs that load it by name without "
            "the environment's path get this copy",
        )
        for name, paths in sorted(report.loader_cache.items())
        if name.startswith(("libcudnn", "libcudart")) and ".so." in name
    ]
    return findings


def _ld_preload_findings(report: ProbeReport) -> list[Finding]:
    return [
        Finding(
            "shadow-ld-preload",
            ERROR,
            f"LD_PRELOAD forces {entry} into every process, ahead of the environment's own libraries",
            "unset LD_PRELOAD (or remove that entry)",
        )
        for entry in _entries(report.env.get("LD_PRELOAD"), r"[:\s]+")
        if CUDA_NAME.match(os.path.basename(entry))
    ]


def _mapped_elsewhere_findings(report: ProbeReport, outside: Severity) -> list[Finding]:
    """CUDA libraries mapped from a PYTHONPATH entry (its nvidia packages shadow the environment's) or
    from anywhere else outside the environment."""
    pythonpath = _entries(report.env.get("PYTHONPATH"), os.pathsep)
    findings = []
    for lib in report.libraries:
        if lib.source != "mapped" or not CUDA_NAME.match(lib.name):
            continue
        if inside(lib.path, pythonpath):
            findings.append(
                Finding(
                    "shadow-pythonpath",
                    ERROR,
                    f"{lib.name} is loaded from {lib.directory}, a PYTHONPATH entry: its nvidia packages "
                    "shadow the environment's",
                    "unset PYTHONPATH (or remove the entry holding nvidia/ packages)",
                )
            )
        elif not inside(lib.path, [report.prefix]):
            findings.append(
                Finding(
                    "loaded-outside-environment",
                    outside,
                    f"{lib.name} is loaded from {lib.directory}, outside the environment ({report.prefix})",
                    "remove that directory from the loader's path (LD_LIBRARY_PATH, LD_PRELOAD, "
                    "/etc/ld.so.conf)",
                )
            )
    return findings


def _tensorflow_sonames(report: ProbeReport) -> set[str]:
    """The CUDA runtime and cuDNN SONAMEs TensorFlow opens (it dlopens them when a GPU initialises)."""
    tf = report.frameworks.get("tensorflow")
    names = set()
    if tf is not None and tf.cuda_compiled:
        names.add(f"libcudart.so.{parts(tf.cuda_compiled)[0]}")
    if tf is not None and tf.cudnn_compiled:
        names.add(f"libcudnn.so.{parts(tf.cudnn_compiled)[0]}")
    return names


def _path_listing(report: ProbeReport) -> list[tuple[str, list[str]]]:
    """The CUDA libraries of each LD_LIBRARY_PATH entry: as the probe listed them inside the environment
    (a container image's directories are not the checker's), else read here."""
    if report.library_path_dirs is not None:
        listing = [
            (d.directory, sorted(n for n in d.names if CUDA_NAME.match(n))) for d in report.library_path_dirs
        ]
        return [(d, names) for d, names in listing if names]
    found = []
    for directory in _entries(report.env.get("LD_LIBRARY_PATH"), ":"):
        try:
            names = sorted(n for n in os.listdir(directory) if CUDA_NAME.match(n))
        except OSError:
            continue
        found.append((directory, names))
    return found


def _ld_library_path_findings(report: ProbeReport) -> list[Finding]:
    """CUDA libraries in LD_LIBRARY_PATH: TensorFlow loads by RUNPATH, which LD_LIBRARY_PATH overrides, so a
    copy of a SONAME it opens wins over the environment's; torch preloads its own wheels (RPATH)."""
    findings: list[Finding] = []
    tensorflow = "tensorflow" in report.frameworks
    wanted = _tensorflow_sonames(report)
    for directory, names in _path_listing(report):
        if not names:
            continue
        listed = ", ".join(names[:4]) + (" ..." if len(names) > 4 else "")
        shadowing = sorted(wanted & set(names))
        if shadowing:
            severity = ERROR
            why = f"TensorFlow would load its {', '.join(shadowing)} from there, not from the environment"
        elif tensorflow:
            severity, why = WARNING, "TensorFlow loads by RUNPATH, which LD_LIBRARY_PATH overrides"
        else:
            severity, why = (
                INFO,
                "PyTorch loads its own copies (RPATH) and ignores it; other programs may not",
            )
        findings.append(
            Finding(
                "shadow-ld-library-path",
                severity,
                f"LD_LIBRARY_PATH entry {directory} holds {listed}: {why}",
                f"remove {directory} from LD_LIBRARY_PATH",
            )
        )
    return findings
