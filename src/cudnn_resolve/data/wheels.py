"""A wheel requirement as the data records write it (``nvidia-cudnn-cu12==9.1.0.70``)."""

from __future__ import annotations

from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import Version

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

    def exact_pin(self) -> Version | None:
        """The one version the requirement allows (``==X``, or ``>=X,<=X`` as JAX writes its plugin)."""
        specs = list(self.specifier)
        if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
            return Version(specs[0].version)
        bounds = {s.operator: s.version for s in specs}
        if (
            len(specs) == 2
            and bounds.keys() == {">=", "<="}
            and Version(bounds[">="]) == Version(bounds["<="])
        ):
            return Version(bounds[">="])
        return None

    def constraint_pin(self) -> str | None:
        """``name==version`` for a constraints file, or None where the requirement names no single
        version.

        pip constraints files take plain pins. A bounded range (torch 2.12 declares
        ``nvidia-cublas>=13.1.0.3,<=13.1.1.3``) is pinned to its inclusive upper bound, the version an
        installer picks; an open range is left to the installer.
        """
        pin = self.exact_pin()
        if pin is None:
            upper = [s.version for s in self.specifier if s.operator == "<="]
            pin = Version(upper[0]) if len(upper) == 1 and "*" not in upper[0] else None
        return None if pin is None else f"{self.name}=={pin}"

    def __str__(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        return f"{self.name}{extras}{self.specifier}"
