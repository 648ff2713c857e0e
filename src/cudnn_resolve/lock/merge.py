"""Several Pythons in one pip lock. uv locks one Python at a time (``--python-version``); these functions
merge the per-Python bodies into one file and state which Pythons it holds wheels for.

PEP 751 lets one pylock.toml hold several Pythons: a ``[[packages]]`` entry may repeat a name with another
version, told apart by its ``marker``, and an installer picks, per package, the wheel whose tags fit the
running interpreter; ``requires-python`` names the Pythons the lock is for. Hashed requirements files take
the same markers after ``;`` (PEP 508). A package identical in every Python's lock is written once with its
wheels united; one that differs gets ``python_version == 'X.Y'`` markers. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from packaging.version import Version

from .. import tomlread as tomllib
from ..requirement_lines import parse_pin_line
from ..tomlwrite import key as toml_key
from ..tomlwrite import value as toml_value


def python_range(pythons: Sequence[str]) -> str:
    """A requires-python admitting exactly ``pythons`` (X.Y each): ">=3.10,!=3.11.*,<3.13" for 3.10, 3.12."""
    minors = sorted({Version(p).release[:2] for p in pythons})
    (major, low), (_, high) = minors[0], minors[-1]
    gaps = [f"!={major}.{m}.*" for m in range(low + 1, high) if (major, m) not in minors]
    return ",".join([f">={major}.{low}", *gaps, f"<{major}.{high + 1}"])


def _marker(python: str, marker: str | None) -> str:
    clause = f"python_version == '{python}'"
    return f"{clause} and ({marker})" if marker else clause


def _combined(per_python: Mapping[str, str | None], pythons: Sequence[str]) -> str | None:
    """One entry's marker: unchanged when every Python has it with the same marker, else one clause
    per Python that has it."""
    if len(per_python) == len(pythons) and len(set(per_python.values())) == 1:
        return next(iter(per_python.values()))
    return " or ".join(_marker(p, m) for p, m in per_python.items())


def _sorted_pythons(bodies: Mapping[str, str]) -> list[str]:
    return sorted(bodies, key=Version)


def merge_pylock(bodies: Mapping[str, str]) -> str:
    """uv's pylock.toml bodies, one per Python (X.Y -> text), as one lock with ``requires-python`` set to
    exactly those Pythons."""
    pythons = _sorted_pythons(bodies)
    docs = {p: tomllib.loads(bodies[p]) for p in pythons}
    groups: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}
    for python in pythons:
        for package in docs[python].get("packages", []):
            groups.setdefault((package["name"], package["version"]), {})[python] = package
    top = dict(docs[pythons[0]])
    top.pop("packages", None)
    top["requires-python"] = python_range(pythons)
    lines = [f"{toml_key(k)} = {toml_value(v)}" for k, v in top.items()]
    if not groups:
        lines.append("packages = []")
    for name, version in sorted(groups, key=lambda g: (g[0], Version(g[1]))):
        entries = groups[(name, version)]
        merged = {k: v for k, v in next(iter(entries.values())).items() if k not in ("marker", "wheels")}
        marker = _combined({p: e.get("marker") for p, e in entries.items()}, pythons)
        wheels = list({w["url"]: w for e in entries.values() for w in e.get("wheels", [])}.values())
        ordered = {"name": name, "version": version, **({"marker": marker} if marker else {}), **merged}
        if wheels:
            ordered["wheels"] = wheels
        lines += ["", "[[packages]]"] + [f"{toml_key(k)} = {toml_value(v)}" for k, v in ordered.items()]
    return "\n".join(lines) + "\n"


def _requirement_blocks(body: str) -> tuple[list[str], dict[tuple[str, str], tuple[str | None, list[str]]]]:
    """uv's hashed requirements: the lines before the first pin (index options), and per (name, version)
    its marker and its continuation lines (hashes, "# via" comments)."""
    preamble: list[str] = []
    blocks: dict[tuple[str, str], tuple[str | None, list[str]]] = {}
    current: list[str] | None = None
    for line in body.splitlines():
        pin = None if line[:1].isspace() else parse_pin_line(line)
        if pin is not None:
            current = []
            blocks[(pin.name, pin.version)] = (pin.marker, current)
        elif current is not None and line[:1].isspace():
            current.append(line)
        elif current is None:
            preamble.append(line)
        else:
            raise ValueError(f"unexpected line in uv's requirements output: {line!r}")
    return preamble, blocks


def merge_requirements(bodies: Mapping[str, str]) -> str:
    """uv's hashed requirements, one per Python (X.Y -> text), as one file with markers where they differ."""
    pythons = _sorted_pythons(bodies)
    parsed = {p: _requirement_blocks(bodies[p]) for p in pythons}
    groups: dict[tuple[str, str], dict[str, tuple[str | None, list[str]]]] = {}
    for python in pythons:
        for key, block in parsed[python][1].items():
            groups.setdefault(key, {})[python] = block
    lines = list(parsed[pythons[0]][0])
    for name, version in sorted(groups, key=lambda g: (g[0], Version(g[1]))):
        entries = groups[(name, version)]
        marker = _combined({p: m for p, (m, _) in entries.items()}, pythons)
        rest = next(iter(entries.values()))[1]
        line = f"{name}=={version}" + (f" ; {marker}" if marker else "")
        lines.append(line + (" \\" if rest and rest[0].lstrip().startswith("--hash") else ""))
        lines += rest
    return "\n".join(lines) + "\n"


def merge_bodies(bodies: Mapping[str, str], output_format: str) -> str:
    """``merge_pylock`` or ``merge_requirements``, by uv's ``--format`` name."""
    return merge_pylock(bodies) if output_format == "pylock.toml" else merge_requirements(bodies)
