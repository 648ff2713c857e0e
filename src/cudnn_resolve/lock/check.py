"""Reading lockfiles back, and checking one against a fresh resolution (``lock --check``)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from .. import tomlread as tomllib
from ..errors import UsageError
from ..requirement_lines import parse_pin_line
from ..resolver.resolution import Resolution
from ..versions import canonical_name

_CONDA_FILE = re.compile(r"/([^/#]+?)-([^-/#]+)-([^-/#]+)\.(?:tar\.bz2|conda)(?:#(.*))?$")


class LockFileError(UsageError):
    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"cannot read the lockfile {path}: {problem}. Regenerate it with 'cudnn-resolve lock' and the "
            "same request"
        )


@dataclass(frozen=True)
class LockedFile:
    """What a lockfile pins: package name (canonical) -> version, and packages lacking a hash."""

    kind: str  # pylock | requirements | conda-explicit | conda-lock | uv-lock
    pins: dict[str, str]
    unhashed: tuple[str, ...]
    tool: dict[str, Any]  # our [tool.cudnn-resolve] record, where present
    # (package, version) -> sha256 of its files; a lock for several Pythons may pin two versions of one
    hashes: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    @property
    def pythons(self) -> tuple[str, ...]:
        """The Pythons (X.Y) the lock was made for: ``pythons`` in pip locks, ``python`` in older ones
        and in conda locks; empty when the lock does not say."""
        listed = self.tool.get("pythons")
        if isinstance(listed, list):
            return tuple(str(p) for p in listed)
        return (str(self.tool["python"]),) if self.tool.get("python") else ()


def _read_pylock(path: Path, text: str) -> LockedFile:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LockFileError(path, f"it is not valid TOML ({exc})") from None
    packages = doc.get("packages")
    if not isinstance(packages, list) or "lock-version" not in doc:
        raise LockFileError(path, "it has no lock-version and [[packages]]: not a PEP 751 lock")
    pins, unhashed, hashes = {}, [], {}
    for package in packages:
        if not isinstance(package, dict) or "name" not in package or "version" not in package:
            raise LockFileError(path, "a [[packages]] entry lacks its name or version")
        name = canonical_name(str(package["name"]))
        pins[name] = str(package["version"])
        files = list(package.get("wheels", [])) + ([package["sdist"]] if "sdist" in package else [])
        if not files or not all(isinstance(f, dict) and f.get("hashes", {}).get("sha256") for f in files):
            unhashed.append(name)
        hashes[(name, pins[name])] = frozenset(
            str(f["hashes"]["sha256"])
            for f in files
            if isinstance(f, dict) and f.get("hashes", {}).get("sha256")
        )
    tool = doc.get("tool", {}).get("cudnn-resolve", {})
    return LockedFile("pylock", pins, tuple(unhashed), tool if isinstance(tool, dict) else {}, hashes)


def _tool_comment(text: str) -> dict[str, Any]:
    for line in text.splitlines():
        if line.startswith("# cudnn-resolve: {"):
            value = json.loads(line[len("# cudnn-resolve: ") :])
            return value if isinstance(value, dict) else {}
    return {}


def _read_requirements(path: Path, text: str) -> LockedFile:
    pins: dict[str, str] = {}
    hashes: dict[tuple[str, str], frozenset[str]] = {}
    unhashed = []
    joined = text.replace("\\\n", " ")
    for line in joined.splitlines():
        try:
            pin = parse_pin_line(line)
        except ValueError:
            raise LockFileError(path, f"the line {line.strip()[:80]!r} is not a name==version pin") from None
        if pin is None:
            continue
        pins[pin.name] = pin.version
        hashes[(pin.name, pin.version)] = pin.hashes
        if not pin.hashes:
            unhashed.append(pin.name)
    if not pins:
        raise LockFileError(path, "it pins no package")
    return LockedFile("requirements", pins, tuple(unhashed), _tool_comment(text), hashes)


def _read_explicit(path: Path, text: str) -> LockedFile:
    pins, unhashed = {}, []
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines or lines[0] != "@EXPLICIT":
        raise LockFileError(path, "it does not start with @EXPLICIT")
    for url in lines[1:]:
        match = _CONDA_FILE.search(url)
        if not match:
            raise LockFileError(path, f"{url[:80]!r} is not a conda package URL")
        name = match.group(1)
        pins[name] = match.group(2)
        if not match.group(4):
            unhashed.append(name)
    return LockedFile("conda-explicit", pins, tuple(unhashed), _tool_comment(text))


def _read_conda_lock(path: Path, text: str, platform: str | None) -> LockedFile:
    import yaml  # noqa: PLC0415  # only conda-lock files need a YAML reader

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LockFileError(path, f"it is not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(doc.get("package"), list):
        raise LockFileError(path, "it is not a conda-lock version 1 file (version: 1, package: [...])")
    pins, unhashed = {}, []
    for package in doc["package"]:
        if not isinstance(package, dict) or package.get("manager") != "conda":
            continue
        if platform is not None and package.get("platform") != platform:
            continue
        name = str(package.get("name"))
        pins[name] = str(package.get("version"))
        hashes = package.get("hash") or {}
        if not (isinstance(hashes, dict) and (hashes.get("sha256") or hashes.get("md5"))):
            unhashed.append(name)
    return LockedFile("conda-lock", pins, tuple(unhashed), _conda_lock_tool(doc.get("metadata"), platform))


def _conda_lock_tool(metadata: object, platform: str | None) -> dict[str, Any]:
    """Our record for ``platform``: JSON in ``custom_metadata["cudnn-resolve.PLATFORM"]``."""
    if not isinstance(metadata, dict) or platform is None:
        return {}
    custom = metadata.get("custom_metadata") or {}
    text = custom.get(f"cudnn-resolve.{platform}") if isinstance(custom, dict) else None
    try:
        tool = json.loads(text) if isinstance(text, str) else {}
    except ValueError:
        return {}
    return tool if isinstance(tool, dict) else {}


def _read_uv_lock(path: Path, text: str, platform: str | None, python: Version | None) -> LockedFile:
    from .uvlock import UvLockFormatError, uv_lock_pins  # noqa: PLC0415  # uv projects only

    try:
        found = uv_lock_pins(tomllib.loads(text), platform, python)
    except tomllib.TOMLDecodeError as exc:
        raise LockFileError(path, f"it is not valid TOML ({exc})") from None
    except UvLockFormatError as exc:
        raise LockFileError(path, f"{exc}: not a uv lock") from None
    # The answer it was made for is in the project's pyproject.toml, not in uv.lock: nothing to compare.
    hashes = {
        (name, found.pins[name]): digests for name, digests in found.hashes.items() if name in found.pins
    }
    return LockedFile("uv-lock", found.pins, found.unhashed, {}, hashes)


def read_lock(path: Path, platform: str | None = None, python: Version | None = None) -> LockedFile:
    """Read any lockfile ``lock`` writes, or a uv project's ``uv.lock``; the format is recognised from
    the content. ``platform`` and ``python`` select what a multi-platform lock installs there."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LockFileError(path, "it does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise LockFileError(path, str(exc)) from None
    body = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not body:
        raise LockFileError(path, "it is empty")
    if body[0].startswith("lock-version"):
        return _read_pylock(path, text)
    if body[0] == "@EXPLICIT":
        return _read_explicit(path, text)
    if body[0].startswith("version:"):
        return _read_conda_lock(path, text, platform)
    if body[0].startswith("version ="):
        return _read_uv_lock(path, text, platform, python)
    return _read_requirements(path, text)


@dataclass(frozen=True)
class LockCheck:
    path: Path
    differences: tuple[str, ...]  # one line per pin that differs, is missing or lacks a hash

    @property
    def ok(self) -> bool:
        return not self.differences


def _same(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def check_lock(path: Path, resolution: Resolution, fresh: LockedFile | None = None) -> LockCheck:
    """Compare a lockfile with a fresh resolution of the same request.

    The lock must pin every framework and the resolved cuDNN build, every package it shares with the
    resolution's pins at the same version, and carry a hash for every package; with ``fresh`` (the same
    lock made again from the index), each package's hashes must be ones the index has for that version.
    """
    locked = read_lock(path, str(resolution.platform), resolution.python_version)
    differences = []
    have = locked.tool.get("platform")
    if have is not None and str(have) != str(resolution.platform):
        differences.append(
            f"platform: the lock was made for {have}; this check resolves for {resolution.platform}"
        )
    if locked.pythons and str(resolution.python_version) not in locked.pythons:
        differences.append(
            f"python: the lock holds Python {', '.join(locked.pythons)}; this check resolves for "
            f"{resolution.python_version}"
        )
    ranges: dict[str, SpecifierSet] = {}  # constraints that admit a range (numpy<2), not one version
    if locked.kind.startswith("conda"):
        expected = _conda_expectations(resolution)
    else:
        expected, ranges = _pip_expectations(resolution)
    required = {canonical_name(f.name) for f in resolution.frameworks}
    if locked.kind.startswith("conda"):
        required = set()  # frameworks come from the pip: section, which conda locks do not hold
    if resolution.cudnn_version is not None:
        required |= {n for n in expected if n.startswith(("nvidia-cudnn", "cudnn"))}
    matches = _conda_match if locked.kind.startswith("conda") else _same
    for name, version in sorted(expected.items()):
        have = locked.pins.get(name)
        if have is None:
            if name in required:
                differences.append(f"{name}: not in the lock; the resolution pins {version}")
        elif not matches(have, version):
            differences.append(f"{name}: the lock has {have}; the resolution pins {version}")
    differences += [
        f"{name}: the lock has {locked.pins[name]}; the resolution requires {name}{allowed}"
        for name, allowed in sorted(ranges.items())
        if name in locked.pins and not allowed.contains(locked.pins[name], prereleases=True)
    ]
    differences += [f"{name}: no sha256/md5 hash in the lock" for name in locked.unhashed]
    differences += _hash_differences(locked, fresh)
    return LockCheck(path, tuple(differences))


def _pip_expectations(resolution: Resolution) -> tuple[dict[str, str], dict[str, SpecifierSet]]:
    """The pip constraints as exact pins (name -> version) and as ranges (numpy<2: name -> range)."""
    from packaging.requirements import Requirement  # noqa: PLC0415  # start-up: see requirement_lines.py

    exact: dict[str, str] = {}
    ranges: dict[str, SpecifierSet] = {}
    for pin in resolution.pip.constraints:
        requirement = Requirement(pin)
        name = canonical_name(requirement.name)
        versions = [s.version for s in requirement.specifier if s.operator == "=="]
        if versions:
            exact[name] = versions[0]
        else:
            ranges[name] = requirement.specifier
    return exact, ranges


def _conda_match(have: str, spec: str) -> bool:
    """A locked conda version against the resolution's MatchSpec version (``12.0.*`` takes 12.0)."""
    from ..conda_packages import version_matches  # noqa: PLC0415  # conda locks are made with py-rattler

    return version_matches(spec, have)


def _hash_differences(locked: LockedFile, fresh: LockedFile | None) -> list[str]:
    """Packages whose hashes the index does not have for the same version (made again from the index)."""
    if fresh is None:
        return []
    differences = []
    for (name, version), digests in sorted(locked.hashes.items()):
        known = fresh.hashes.get((name, version))
        if known is not None and not digests <= known:
            differences.append(
                f"{name} {version}: a sha256 in the lock is not one the index has for that version "
                "(tampered, or a different file)"
            )
    return differences


def _conda_expectations(resolution: Resolution) -> dict[str, str]:
    """Conda package -> expected version (a ``X.Y.*`` prefix from our MatchSpecs) for the CUDA stack."""
    expected = {}
    for spec in resolution.conda.dependencies:
        name, _, version = spec.partition(" ")
        if version and name in ("cudnn", "cudatoolkit", "cuda-version", "python"):
            expected[name] = version
    return expected
