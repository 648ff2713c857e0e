"""What a uv project needs so that ``uv lock`` lands on the resolved CUDA stack: pure data from the
resolutions of one request, one per platform asked. ``writers.pyproject`` puts it into the file.

uv's documented way to pick a PyTorch CUDA build (uv's "Using uv with PyTorch" guide): the framework as
a plain dependency, a named ``[[tool.uv.index]]`` with ``explicit = true`` (only packages routed to it
are taken from it) and ``[tool.uv.sources]`` entries routing torch and its companions there, with
platform markers where the build differs by platform. The exact ``nvidia-*`` pins go into
``[tool.uv] constraint-dependencies`` (constraints restrict versions without adding packages), each with
the marker of the platforms it was resolved for: ``uv lock`` resolves for every platform at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from ..markers import platform_marker, platforms_marker
from ..resolver.resolution import Resolution
from ..versions import Platform, canonical_name
from .lockfiles import tool_table

_LOCAL = re.compile(
    r"^(?P<name>[^=<>!~;\s\[]+)(?P<extras>\[[^\]]*\])?==(?P<public>[^+;\s]+)\+(?P<local>\S+)$"
)


@dataclass(frozen=True)
class UvSource:
    """``[tool.uv.sources]``: take ``package`` from the index ``index`` where ``marker`` holds."""

    package: str
    index: str
    marker: str


@dataclass(frozen=True)
class UvIndex:
    name: str
    url: str


@dataclass(frozen=True)
class UvProjectConfig:
    """Everything ``project`` writes, as values; ``record`` is the ``[tool.cudnn-resolve]`` table."""

    dependencies: tuple[str, ...]
    constraints: tuple[str, ...]
    environments: tuple[str, ...]
    sources: tuple[UvSource, ...]
    indexes: tuple[UvIndex, ...]
    requires_python: SpecifierSet
    record: dict[str, object]

    def pinned_names(self) -> set[str]:
        """Every package a dependency or constraint names (canonical)."""
        return {n for n in map(requirement_name, (*self.dependencies, *self.constraints)) if n}


def requirement_name(text: str) -> str | None:
    """The canonical package name of a PEP 508 requirement, or None where it does not parse."""
    try:
        return canonical_name(Requirement(text).name)
    except InvalidRequirement:
        return None


def index_name(url: str) -> str:
    """``https://download.pytorch.org/whl/cu118`` -> ``pytorch-cu118``: the index's own last path part."""
    return "pytorch-" + url.rstrip("/").rsplit("/", 1)[-1]


def _grouped(per_platform: Sequence[tuple[Platform, Sequence[str]]]) -> list[tuple[str, list[Platform]]]:
    """Each distinct entry, in first-seen order, with the platforms whose answer holds it."""
    found: dict[str, list[Platform]] = {}
    for platform, entries in per_platform:
        for entry in entries:
            found.setdefault(entry, []).append(platform)
    return list(found.items())


def _public(requirement: str) -> str:
    """``torch==2.4.1+cu118`` -> ``torch==2.4.1``: the build itself is chosen by the index source."""
    match = _LOCAL.match(requirement)
    if match is None:
        return requirement
    return f"{match.group('name')}{match.group('extras') or ''}=={match.group('public')}"


def _sources(resolution: Resolution) -> list[tuple[str, str]]:
    """(package, index name) for every pin with a local version label served by one of the
    resolution's extra indexes (``torch==2.4.1+cu118`` from ``.../whl/cu118``)."""
    urls = resolution.pip.index_urls
    routed = []
    for pin in resolution.pip.constraints:
        match = _LOCAL.match(pin)
        if match is None or not urls:
            continue
        label = match.group("local")
        url = next((u for u in urls if u.rstrip("/").endswith("/" + label)), urls[0])
        routed.append((canonical_name(match.group("name")), index_name(url)))
    return routed


def _with_marker(entry: str, platforms: Sequence[Platform]) -> str:
    return f"{entry} ; {platforms_marker(platforms)}"


def _python(resolutions: Iterable[Resolution]) -> SpecifierSet:
    spec = SpecifierSet()
    for resolution in resolutions:
        spec &= SpecifierSet(resolution.python)
    return spec


def uv_project_config(resolutions: Sequence[Resolution], command: str) -> UvProjectConfig:
    """The configuration for the resolutions of one request (one per platform, in the order asked).

    A framework requirement that every platform's answer shares is written without a marker (on the
    platforms not asked, uv resolves it as the index has it); every other entry carries the marker of
    the platforms whose answer holds it.
    """
    platforms = [r.platform for r in resolutions]
    frameworks = {f.name for r in resolutions for f in r.frameworks}
    dependencies = []
    for entry, where in _grouped(
        [(r.platform, [_public(q) for q in r.pip.requirements]) for r in resolutions]
    ):
        plain = where == platforms and requirement_name(entry) in frameworks
        dependencies.append(entry if plain else _with_marker(entry, where))
    constraints = [
        _with_marker(entry, where)
        for entry, where in _grouped([(r.platform, r.pip.constraints) for r in resolutions])
    ]
    routes: dict[tuple[str, str], list[Platform]] = {}
    urls: dict[str, str] = {}
    for resolution in resolutions:
        for url in resolution.pip.index_urls:
            urls.setdefault(index_name(url), url)
        for route in _sources(resolution):
            routes.setdefault(route, []).append(resolution.platform)
    sources = tuple(UvSource(pkg, index, platforms_marker(where)) for (pkg, index), where in routes.items())
    record: dict[str, object] = {
        "command": command,
        "request": resolutions[0].request.text,
        "platforms": [str(p) for p in platforms],
        "answer": [{k: v for k, v in tool_table(r).items() if k != "request"} for r in resolutions],
    }
    return UvProjectConfig(
        dependencies=tuple(dependencies),
        constraints=tuple(constraints),
        environments=tuple(platform_marker(p) for p in platforms),
        sources=sources,
        indexes=tuple(UvIndex(name, url) for name, url in urls.items()),
        requires_python=_python(resolutions),
        record=record,
    )
