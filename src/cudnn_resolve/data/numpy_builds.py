"""Which NumPy a framework's wheels work with (``[[numpy]]`` in the framework files).

NumPy 2.0 changed NumPy's C ABI: compiled code built against NumPy 1.x cannot run with NumPy 2, while
code built against NumPy 2 runs with NumPy 1.x too (numpy.org, "NumPy 2.0 migration guide" and
"For downstream package authors"). A record states, for some releases (and platforms) of one framework,
the NumPy major their wheels were compiled against and the numpy requirement their metadata declares:
where the first is 1.x and the second admits 2.x, nothing stops an installer from pairing them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..versions import Platform
from .facts import Unknown
from .reader import file_records

NO_REQUIREMENT = "none"  # `requires` where the wheels declare no numpy requirement (torch)

# NumPy releases that stand for their major when asking what a requirement admits: the requirements in
# the data are plain bounds (">=1.20", "<2.0", "~=1.19.2"), so one of these falls inside any range of a
# major they admit. The 1.x line ended with 1.26.4.
_PROBES: Mapping[int, tuple[str, ...]] = {
    1: ("1.14.6", "1.16.6", "1.18.5", "1.19.5", "1.20.3", "1.22.4", "1.23.5", "1.24.3", "1.24.4", "1.26.4"),
    2: ("2.0.0", "2.0.2", "2.1.3", "2.2.6", "2.3.5", "2.4.0", "2.9.0"),
}
NUMPY_MAJORS = tuple(_PROBES)


@dataclass(frozen=True)
class NumpyBuild:
    """The NumPy the wheels of some releases of one framework work with."""

    framework: str  # tensorflow | torch | jax
    versions: SpecifierSet  # the releases covered
    platforms: frozenset[Platform] | None  # None: every platform
    built_with: int | Unknown  # the NumPy major the wheels' compiled code was built against
    requires: SpecifierSet | None  # the wheels' numpy Requires-Dist; None: they declare none
    source: str
    # The NumPy majors `requires` admits, worked out once at load (the resolver asks per candidate).
    admitted: tuple[int, ...] = NUMPY_MAJORS

    def covers(self, version: Version, platform: Platform) -> bool:
        in_platforms = self.platforms is None or platform in self.platforms
        return in_platforms and self.versions.contains(version, prereleases=True)

    def admits(self, major: int) -> bool:
        """True if the wheels' metadata lets an installer pick a NumPy of ``major``."""
        return major in self.admitted

    def describe_requires(self) -> str:
        return "declares no numpy requirement" if self.requires is None else f"requires numpy{self.requires}"


def _admitted(requires: SpecifierSet | None) -> tuple[int, ...]:
    if requires is None:
        return NUMPY_MAJORS
    return tuple(m for m, probes in _PROBES.items() if any(requires.contains(v) for v in probes))


def parse_numpy(path: str, doc: Mapping[str, Any], framework: str) -> tuple[NumpyBuild, ...]:
    records = []
    for r in file_records(path, doc, "numpy"):
        requires = None if r.text("requires") == NO_REQUIREMENT else r.spec("requires")
        built_with = r.choice_or_unknown("built_with", tuple(str(m) for m in NUMPY_MAJORS))
        record = NumpyBuild(
            framework=framework,
            versions=r.spec("versions"),
            platforms=r.platforms("platforms") if r.has("platforms") else None,
            built_with=built_with if isinstance(built_with, Unknown) else int(built_with),
            requires=requires,
            source=r.source(),
            admitted=_admitted(requires),
        )
        r.finish()
        if not str(record.versions):
            raise r.fail("field 'versions' must name the releases it covers (a PEP 440 specifier)")
        if not record.admitted:
            raise r.fail(f"field 'requires' = '{requires}' admits no NumPy 1.x or 2.x release")
        if record.built_with == 1 and not record.admits(1):
            raise r.fail(f"built against NumPy 1.x, but field 'requires' = '{requires}' admits no NumPy 1.x")
        records.append(record)
    return tuple(records)
