"""The manifest ``create`` writes into an environment: what it was created from, for ``check``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import tomlread as tomllib
from ..errors import UsageError

MANIFEST_NAME = "cudnn-resolve.json"
PROJECT_FILE = "pyproject.toml"


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
    system_cuda: bool = False  # CUDA and cuDNN come from the system on purpose (an nvidia/cuda image)


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


def expectations_from_record(record: Mapping[str, object], source: str) -> Expectations:
    """Expectations from the ``[tool.cudnn-resolve]`` record a lock or a project holds for one platform
    (``frameworks = ["torch==2.14.1+cu130"]``, ``cudnn``, ``cuda``, ``driver-min``; "none" is unknown)."""

    def known(key: str) -> str | None:
        value = record.get(key)
        return str(value) if value not in (None, "", "none") else None

    frameworks = record.get("frameworks")
    return Expectations(
        cudnn=known("cudnn"),
        cuda=known("cuda"),
        frameworks=tuple(
            (str(spec).split("==")[0], str(spec).split("==")[1].split("+")[0])
            for spec in (frameworks if isinstance(frameworks, list) else [])
            if "==" in str(spec)
        ),
        driver_min=known("driver-min"),
        source=source,
    )


def project_record(directory: Path) -> dict[str, Any] | None:
    """The ``[tool.cudnn-resolve]`` table of ``directory``'s pyproject.toml (written by ``project``), or
    None where there is none."""
    path = directory / PROJECT_FILE
    if not path.is_file():
        return None
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}. Fix the file, or check with --no-manifest") from None
    record = doc.get("tool", {}).get("cudnn-resolve")
    return record if isinstance(record, dict) else None


def read_project_expectations(directory: Path, platform: str) -> Expectations | None:
    """What ``directory``'s uv project was configured to load on ``platform`` (by ``project``), or None
    where the project holds no answer for that platform."""
    record = project_record(directory)
    answers = record.get("answer", []) if record else []
    for answer in answers if isinstance(answers, list) else []:
        if isinstance(answer, dict) and answer.get("platform") == platform:
            return expectations_from_record(answer, f"the project {directory / PROJECT_FILE}")
    return None
