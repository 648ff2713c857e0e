"""Requirement lines as pip and uv write them: ``name[extra]==version ; marker --hash=sha256:... \\``.

Read with packaging's PEP 508 parser (imported when a line is read: its import costs start-up).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .versions import canonical_name

_OPTION = re.compile(r"\s+--(?=[a-z])")  # where a line's options (--hash=...) begin
# PEP 508's name rule, for the names of the data's own pins: the resolver reads one per pin of every
# answer, and packaging.requirements' import alone would add ~10 ms to every `pins`.
_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


@dataclass(frozen=True)
class PinLine:
    name: str  # canonical (PEP 503)
    version: str
    marker: str | None  # as written
    hashes: frozenset[str]  # sha256 digests from --hash options


def parse_pin_line(line: str) -> PinLine | None:
    """The exact pin on one logical line (continuations already joined); None for a blank line, a
    comment or an option line (``--index-url ...``).

    Raises ValueError for a requirement that is not PEP 508 or not pinned with ``==``.
    """
    text = line.strip().removesuffix("\\").strip()
    if not text or text.startswith(("#", "-")):
        return None
    requirement, *options = _OPTION.split(text)
    from packaging.requirements import Requirement  # noqa: PLC0415  # see the module docstring

    parsed = Requirement(requirement)
    specifiers = list(parsed.specifier)
    if len(specifiers) != 1 or specifiers[0].operator not in ("==", "==="):
        raise ValueError(f"{requirement.strip()!r} is not a name==version pin")
    marker = requirement.split(";", 1)[1].strip() if ";" in requirement else None
    hashes = frozenset(o.split(":", 1)[1].strip() for o in options if o.startswith("hash=sha256:"))
    return PinLine(canonical_name(parsed.name), specifiers[0].version, marker or None, hashes)


def requirement_name(text: str) -> str:
    """The canonical name a requirement (``nvidia-cudnn-cu12==9.1.0.70``) starts with.

    Raises ValueError where it starts with no name.
    """
    match = _NAME.match(text)
    if match is None:
        raise ValueError(f"{text!r} does not start with a package name")
    return canonical_name(match.group(1))
