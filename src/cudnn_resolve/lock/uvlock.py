"""What a uv project's ``uv.lock`` installs on one platform and Python.

A uv lock is universal: it holds every platform's and Python's packages, several versions of one package
where the platforms' answers differ, and markers on the edges. ``uv sync`` installs what is reachable from
the project's own packages (their dependencies and dependency groups) along edges whose markers hold for
the machine; this module walks the same graph with the marker environment of the platform checked.
Format: uv's documentation, "The uv.lock file" (``[[package]]`` with ``name``, ``version``, ``source``,
``dependencies``, ``optional-dependencies``, ``dev-dependencies``, ``sdist`` and ``wheels`` with
``hash = "sha256:..."``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from ..markers import marker_environment
from ..versions import Platform, canonical_name

_OWN = ("virtual", "editable", "directory", "path", "git", "workspace")  # no index file, nothing to hash


class UvLockFormatError(ValueError):
    """The document is not a uv lock this module can read; the message names what is wrong."""


@dataclass(frozen=True)
class UvLockPins:
    pins: dict[str, str]  # canonical name -> version, as installed on the platform checked
    unhashed: tuple[str, ...]  # index packages lacking a sha256
    hashes: dict[str, frozenset[str]]


def is_uv_lock(doc: Mapping[str, Any]) -> bool:
    return isinstance(doc.get("version"), int) and isinstance(doc.get("package"), list)


def _packages(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    packages = doc.get("package")
    if not isinstance(packages, list) or not packages:
        raise UvLockFormatError("it has no [[package]] entries")
    for package in packages:
        if not isinstance(package, dict) or "name" not in package:
            raise UvLockFormatError("a [[package]] entry lacks its name")
    return packages


def _holds(marker: object, env: dict[str, str]) -> bool:
    if not marker:
        return True
    try:
        return Marker(str(marker)).evaluate(env)
    except InvalidMarker:
        return True  # a marker this packaging cannot read: keep the edge rather than hide a package


def _python_for(doc: Mapping[str, Any], python: Version) -> Version:
    """``python`` where the lock's requires-python admits it, else the newest minor it admits."""
    try:
        spec = SpecifierSet(str(doc.get("requires-python", "")).replace(" ", ""))
    except InvalidSpecifier:
        return python
    if spec.contains(f"{python.major}.{python.minor}.0", prereleases=True):
        return python
    admitted = [Version(f"3.{m}") for m in range(6, 41) if spec.contains(f"3.{m}.0", prereleases=True)]
    return admitted[-1] if admitted else python


def _reachable(packages: list[dict[str, Any]], env: dict[str, str]) -> Iterator[dict[str, Any]]:
    by_name: dict[str, list[dict[str, Any]]] = {}
    for package in packages:
        by_name.setdefault(canonical_name(package["name"]), []).append(package)
    roots = [p for p in packages if any(k in p.get("source", {}) for k in ("virtual", "editable"))]
    visited: set[tuple[int, tuple[str, ...]]] = set()
    pending: list[tuple[dict[str, Any], tuple[str, ...]]] = [(p, ()) for p in roots]
    while pending:
        package, extras = pending.pop()
        if (id(package), extras) in visited:
            continue
        visited.add((id(package), extras))
        yield package
        edges = list(package.get("dependencies", []))
        for extra in extras:
            edges += package.get("optional-dependencies", {}).get(extra, [])
        if any(package is root for root in roots):
            edges += [e for group in package.get("dev-dependencies", {}).values() for e in group]
        for edge in edges:
            if not isinstance(edge, dict) or not _holds(edge.get("marker"), env):
                continue
            name = canonical_name(str(edge.get("name", "")))
            for candidate in by_name.get(name, []):
                if edge.get("version") in (None, candidate.get("version")) and edge.get("source") in (
                    None,
                    candidate.get("source"),
                ):
                    pending.append((candidate, tuple(edge.get("extra", ()))))
                    break


def uv_lock_pins(doc: Mapping[str, Any], platform: str | None, python: Version | None) -> UvLockPins:
    """The packages ``uv sync`` installs from this lock on ``platform`` with CPython ``python``; with no
    platform, every package in the lock (the first version of each)."""
    packages = _packages(doc)
    if platform is None or python is None:
        chosen: list[dict[str, Any]] = packages
    else:
        env = marker_environment(Platform.parse(platform), _python_for(doc, python))
        chosen = list(_reachable(packages, env))
    pins: dict[str, str] = {}
    unhashed: list[str] = []
    hashes: dict[str, frozenset[str]] = {}
    for package in chosen:
        name = canonical_name(package["name"])
        if name in pins or "version" not in package:
            continue
        pins[name] = str(package["version"])
        if any(k in package.get("source", {}) for k in _OWN):
            continue
        files = list(package.get("wheels", [])) + ([package["sdist"]] if "sdist" in package else [])
        digests = frozenset(
            str(f["hash"]).split(":", 1)[1]
            for f in files
            if isinstance(f, dict) and str(f.get("hash", "")).startswith("sha256:")
        )
        hashes[name] = digests
        if not files or len(digests) < len(files):
            unhashed.append(name)
    return UvLockPins(pins, tuple(unhashed), hashes)
