"""``data update``: refresh the facts that come from wheel metadata, through uv, into the user overlay.

Refreshed: the default PyTorch wheel of each recent release (its nvidia-*/cuda-toolkit pins, and new
releases and patch releases on the index), and the exact pins of TensorFlow's [and-cuda] extras. Only
detected, to be added by hand with their sources: new TensorFlow and JAX releases (TensorFlow's tested
configuration lives in a documentation table; JAX's plugin ranges are not visible through resolution),
PyTorch variants other than the default wheel (on the PyTorch index), and NVIDIA's driver and cuDNN
tables. The shipped files are never modified.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from . import tomlread as tomllib
from .data import KnowledgeBase
from .data.knowledge import DATA_FILES
from .data.wheels import WheelRequirement
from .fileio import write_files
from .requirement_lines import parse_pin_line
from .tomlwrite import dumps
from .uvtool import UV_PLATFORMS, UvError, run_uv
from .versions import Platform

PYTHONS = ("3.13", "3.12", "3.11", "3.10", "3.14", "3.9", "3.15")
_CUDA_WHEELS = ("nvidia-", "cuda-toolkit")


@dataclass
class Change:
    framework: str
    version: str
    kind: str  # new-release | new-patch | changed-pins | unchanged | not-in-data
    detail: str


@dataclass
class Refresh:
    changes: list[Change] = field(default_factory=list)
    not_refreshed: list[str] = field(default_factory=list)
    overlay: dict[str, dict[str, list[dict[str, Any]]]] = field(
        default_factory=dict
    )  # file -> table -> records

    @property
    def behind(self) -> bool:
        return any(c.kind != "unchanged" for c in self.changes)

    def add(self, file: str, table: str, record: dict[str, Any]) -> None:
        self.overlay.setdefault(file, {}).setdefault(table, []).append(record)


def compile_pins(
    requirement: str, python: str, platform: Platform = Platform.LINUX_64
) -> dict[str, str] | None:
    """What ``requirement`` resolves to on the index for CPython ``python``; None if it does not resolve."""
    try:
        out = run_uv(
            [
                "pip",
                "compile",
                "-",
                "--python-version",
                python,
                "--python-platform",
                UV_PLATFORMS[platform],
                "--no-header",
                "--no-annotate",
                "--quiet",
            ],
            f"resolve {requirement}",
            stdin=requirement,
        )
    except UvError:
        return None
    return {pin.name: pin.version for pin in map(parse_pin_line, out.splitlines()) if pin is not None}


def _first_resolving(requirement: str, pythons: Sequence[str]) -> tuple[str, dict[str, str]] | None:
    for python in pythons:
        resolved = compile_pins(requirement, python)
        if resolved is not None:
            return python, resolved
    return None


def _cuda_pins(resolved: Mapping[str, str]) -> list[str]:
    return sorted(f"{n}=={v}" for n, v in resolved.items() if n.startswith(_CUDA_WHEELS))


def _variant_of(pins: Sequence[str]) -> tuple[str, str] | None:
    """(cuXYZ, CUDA X.Y) of a default wheel, from its cuda-runtime or cuda-toolkit pin."""
    for pin in pins:
        name, _, ver = pin.partition("==")
        if name.startswith(("nvidia-cuda-runtime", "cuda-toolkit")):
            v = Version(ver)
            return f"cu{v.major}{v.minor}", f"{v.major}.{v.minor}"
    return None


def _shipped_doc(directory: Path, name: str) -> dict[str, Any]:
    with (directory / name).open("rb") as handle:
        return tomllib.load(handle)


def _pins_that_differ(requires: Sequence[WheelRequirement], resolved: Mapping[str, str]) -> list[str]:
    """Recorded exact pins the index now resolves differently (the packages the record names; what they
    pull in transitively is not compared)."""
    differ = []
    for req in requires:
        pin = req.constraint_pin()
        if pin is None:
            continue
        have = resolved.get(req.name)
        if have is None or Version(have) != Version(pin.partition("==")[2]):
            differ.append(f"{req.name}: recorded {pin.partition('==')[2]}, index {have or 'not resolved'}")
    return differ


def _discover_torch(
    kb: KnowledgeBase, series_count: int, say: Callable[[str], None]
) -> dict[str, tuple[str, dict[str, str]]]:
    """The newest torch on the index, and the newest patch of each recent series: version -> (python, "
    "resolved)."""
    requirements = ["torch"] + [
        f"torch>={r.series},<{r.series.major}.{r.series.minor + 1}" for r in kb.torch[-series_count:]
    ]
    found: dict[str, tuple[str, dict[str, str]]] = {}
    for requirement in requirements:
        say(f"resolving {requirement}")
        hit = _first_resolving(requirement, PYTHONS)
        if hit is not None:
            found.setdefault(hit[1]["torch"].split("+")[0], hit)
    return found


def _new_series(
    kb: KnowledgeBase, version: str, pins: list[str], source: str, today: str
) -> dict[str, Any] | None:
    variant = _variant_of(pins)
    cudnn = next((p.partition("==")[2] for p in pins if p.startswith("nvidia-cudnn")), None)
    if variant is None or cudnn is None or kb.cudnn_build(Version(cudnn)) is None:
        return None
    pythons = [p for p in sorted(PYTHONS, key=Version) if compile_pins(f"torch=={version}", p) is not None]
    v = Version(version)
    return {
        "series": f"{v.major}.{v.minor}",
        "versions": [version],
        "python": f">={pythons[0]},<3.{Version(pythons[-1]).minor + 1}",
        "source": f"Python range: the CPython versions torch=={version} resolves for through uv "
        f"('cudnn-resolve data update', {today})",
        "variant": [
            {
                "name": variant[0],
                "cuda": variant[1],
                "cudnn": cudnn,
                "platforms": ["linux-64"],
                "index_url": f"https://download.pytorch.org/whl/{variant[0]}",
                "source": source,
            }
        ],
    }


def refresh_torch(
    kb: KnowledgeBase, directory: Path, result: Refresh, series_count: int, say: Callable[[str], None]
) -> None:
    today = datetime.date.today().isoformat()
    known = {str(v) for v in kb.framework_versions("torch")}
    doc = _shipped_doc(directory, "torch.toml")
    for version, (python, resolved) in sorted(
        _discover_torch(kb, series_count, say).items(), key=lambda i: Version(i[0])
    ):
        pins = _cuda_pins(resolved)
        source = (
            f"Requires-Dist of torch=={version} (cp{python.replace('.', '')} manylinux x86_64), resolved "
            f"through uv ('cudnn-resolve data update', {today})"
        )
        variant = _variant_of(pins)
        pypi = {
            "version": version,
            "platform": "linux-64",
            "variant": variant[0] if variant else "cpu",
            "requires": pins,
            "source": source,
        }
        shipped = kb.torch_pypi.get((Version(version), Platform.LINUX_64))
        if version in known and shipped is not None:
            differ = _pins_that_differ(shipped.requires, resolved)
            if not differ:
                result.changes.append(Change("torch", version, "unchanged", "default wheel pins as recorded"))
            else:
                result.changes.append(Change("torch", version, "changed-pins", "; ".join(differ)))
                result.add("torch.toml", "pypi", pypi)
            continue
        v = Version(version)
        same_series = next((r for r in doc["release"] if r["series"] == f"{v.major}.{v.minor}"), None)
        if same_series is not None:
            record = {**same_series, "versions": sorted({*same_series["versions"], version}, key=Version)}
            result.changes.append(Change("torch", version, "new-patch", f"default wheel {pypi['variant']}"))
        else:
            new_record = _new_series(kb, version, pins, source, today)
            if new_record is None:
                result.not_refreshed.append(
                    f"torch {version}: its default wheel's CUDA or cuDNN is not in the data "
                    "(add it to cuda.toml / cudnn.toml by hand first)"
                )
                continue
            record = new_record
            result.changes.append(Change("torch", version, "new-release", f"default wheel {pypi['variant']}"))
            result.not_refreshed.append(
                f"torch {record['series']}: variants other than {pypi['variant']}, their GPU "
                "architectures, torchvision/torchaudio (the PyTorch index, RELEASE.md)"
            )
        result.add("torch.toml", "release", record)
        result.add("torch.toml", "pypi", pypi)


def refresh_tensorflow(kb: KnowledgeBase, result: Refresh, count: int, say: Callable[[str], None]) -> None:
    for extra in list(kb.and_cuda.values())[-count:]:
        exact = [r for r in extra.requires if r.constraint_pin() and r.name.startswith("nvidia-")]
        say(f"resolving tensorflow[and-cuda]=={extra.version}")
        release = next(r for r in kb.tensorflow if extra.version in r.versions)
        pythons = [p for p in PYTHONS if release.linux.python.contains(p)]
        hit = _first_resolving(f"tensorflow[and-cuda]=={extra.version}", pythons)
        if hit is None:
            result.not_refreshed.append(
                f"tensorflow {extra.version}: [and-cuda] does not resolve for Python {pythons}"
            )
            continue
        resolved = hit[1]
        differ = _pins_that_differ(exact, resolved)
        kind = "changed-pins" if differ else "unchanged"
        result.changes.append(
            Change("tensorflow", str(extra.version), kind, ", ".join(differ) or "[and-cuda] pins as recorded")
        )
    say("resolving tensorflow")
    newest = _first_resolving("tensorflow", PYTHONS)
    if newest is not None and Version(newest[1]["tensorflow"]) not in set(
        kb.framework_versions("tensorflow")
    ):
        version = newest[1]["tensorflow"]
        result.changes.append(
            Change("tensorflow", version, "not-in-data", "a release the data does not cover")
        )
        result.not_refreshed.append(
            f"tensorflow {version}: its tested configuration (tensorflow/docs, Tested build "
            "configurations) and [and-cuda] extra must be added to tensorflow.toml by hand"
        )


def refresh_jax(kb: KnowledgeBase, result: Refresh, say: Callable[[str], None]) -> None:
    say("resolving jax")
    newest = _first_resolving("jax", PYTHONS)
    if newest is None:
        return
    version = newest[1]["jax"]
    try:
        covered = Version(version) in set(kb.framework_versions("jax"))
    except InvalidVersion:
        covered = False
    if not covered:
        result.changes.append(Change("jax", version, "not-in-data", "a release the data does not cover"))
        result.not_refreshed.append(
            f"jax {version}: its CUDA plugins' requirements must be added to jax.toml by hand"
        )
    else:
        result.changes.append(Change("jax", version, "unchanged", "the newest release is covered"))


def refresh(kb: KnowledgeBase, directory: Path, series_count: int, say: Callable[[str], None]) -> Refresh:
    result = Refresh()
    refresh_torch(kb, directory, result, series_count, say)
    refresh_tensorflow(kb, result, series_count, say)
    refresh_jax(kb, result, say)
    result.not_refreshed.append(
        "NVIDIA driver tables, cuDNN support matrix, TensorFlow tested configurations and "
        "conda-forge builds: published as documents, curated by hand with their sources"
    )
    return result


def write_overlay(result: Refresh, overlay: Path) -> list[Path]:
    """Write the refreshed records into the overlay directory (merged with what it already holds)."""
    from .data.overlay import merge  # noqa: PLC0415  # only writing needs it

    files = []
    overlay.mkdir(parents=True, exist_ok=True)
    for name, tables in result.overlay.items():
        assert name in DATA_FILES
        path = overlay / name
        existing = tomllib.loads(path.read_text()) if path.exists() else {}
        document = merge(existing, tables)
        header = [
            f"Data overlay written by 'cudnn-resolve data update' on {datetime.date.today().isoformat()}:",
            "records here replace or add to the shipped constraints/" + name + ". 'cudnn-resolve data reset'",
            "removes them.",
        ]
        files.append((path, dumps(document, header)))
    write_files(files)
    return [path for path, _ in files]
