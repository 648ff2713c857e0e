"""A wheel requirement as the data records write it (``nvidia-cudnn-cu12==9.1.0.70``)."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.specifiers import SpecifierSet

from ..versions import canonical_name


@dataclass(frozen=True)
class WheelRequirement:
    """Name, extras and specifier of one Requires-Dist entry, markers dropped.

    A plain value rather than ``packaging.requirements.Requirement``: that class re-parses its text
    when unpickled, which made loading the cached knowledge base ten times slower.
    """

    name: str  # canonical (PEP 503)
    extras: tuple[str, ...]
    specifier: SpecifierSet

    @classmethod
    def parse(cls, text: str) -> WheelRequirement:
        """Raises ValueError (InvalidRequirement) for text that is not a PEP 508 requirement."""
        # Imported here: only parsing the data files needs it, and a cached knowledge base loads without
        # it (packaging.requirements pulls in markers and tags: ~15 ms of every command's start-up).
        from packaging.requirements import Requirement  # noqa: PLC0415

        req = Requirement(text)
        return cls(canonical_name(req.name), tuple(sorted(req.extras)), req.specifier)

    def __str__(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"
