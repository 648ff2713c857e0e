"""What a framework release needs of NumPy, from the ``[[numpy]]`` records (data/numpy_builds.py).

Wheels compiled against NumPy 1.x run with NumPy 1.x only; wheels compiled against NumPy 2 with either.
Their own numpy requirement narrows that further. Where the wheels were compiled against 1.x but their
metadata admits 2.x (TensorFlow 2.7-2.11 and 2.14.0; PyTorch before 2.3, and its 2.3 and 2.4.0 Windows
wheels), the answer pins numpy<2 and its notes say why.

Unknown facts (docs/resolution.md, "Unknown facts"): a release whose record says built_with = "unknown",
or that no record covers (a release `data update` added), is taken as compiled against NumPy 1.x when
it is older than the framework's first release compiled against NumPy 2 on that platform, and against
NumPy 2 otherwise (a framework that builds against NumPy 2 keeps doing so). The answer says so.
"""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

from packaging.version import Version

from ..data import KnowledgeBase
from ..data.facts import Unknown
from ..data.numpy_builds import NUMPY_MAJORS, NumpyBuild
from ..request import DISPLAY
from ..versions import Platform, specifier
from .model import FrameworkCandidate, NumpyNeed

PIN = "numpy<2"
_MAJORS_SPEC: dict[tuple[int, ...], str] = {(1,): "<2", (2,): ">=2"}  # a constraint over NumPy majors


def with_numpy(kb: KnowledgeBase, platform: Platform, candidate: FrameworkCandidate) -> FrameworkCandidate:
    """``candidate`` with what its wheels need of NumPy on ``platform``."""
    return replace(candidate, numpy=numpy_need(kb, candidate.identifier, candidate.version, platform))


@lru_cache(maxsize=4096)
def numpy_need(kb: KnowledgeBase, framework: str, version: Version, platform: Platform) -> NumpyNeed:
    record = next((r for r in kb.numpy.get(framework, ()) if r.covers(version, platform)), None)
    where = f"{platform} " if record is not None and record.platforms is not None else ""
    wheels = f"{DISPLAY[framework]} {version}'s {where}wheels"
    inferred = None
    if record is not None and not isinstance(record.built_with, Unknown):
        built = record.built_with
    else:
        built, inferred = _infer(kb, framework, version, platform, wheels=wheels, known=record is not None)
    # Built against NumPy N: runs with majors up to N (NumPy's ABI is backward compatible), of those
    # the ones the wheels' metadata admits.
    majors = tuple(m for m in NUMPY_MAJORS if m <= built and (record is None or record.admits(m)))
    need = NumpyNeed(
        specifier(_MAJORS_SPEC.get(majors, "")),
        inferred=inferred,
        source=None if record is None else record.source,
    )
    if built != 1 or (record is not None and not record.admits(2)):
        return need
    declared = "are not in the data" if record is None else _declared(record)
    compiled = "were compiled" if inferred is None else "are taken as compiled"
    note = (
        f"{wheels} {compiled} against NumPy 1.x, which NumPy 2 cannot load, and their metadata "
        f"{declared}: the pins add {PIN}"
    )
    return replace(need, pin=PIN, note=note)


def _declared(record: NumpyBuild) -> str:
    if record.requires is None:
        return "declares no numpy requirement"
    return f"requires numpy{record.requires}, which admits NumPy 2"


def _infer(
    kb: KnowledgeBase, framework: str, version: Version, platform: Platform, *, wheels: str, known: bool
) -> tuple[int, str]:
    """The NumPy major the wheels are taken as compiled against, and the sentence that says so."""
    records = kb.numpy.get(framework, ())
    first = next(
        (
            v
            for v in kb.framework_versions(framework)
            if any(r.built_with == 2 and r.covers(v, platform) for r in records)
        ),
        None,
    )
    unsaid = "no source states" if known else "the data does not say"
    said = f"{unsaid} which NumPy {wheels} were compiled against"
    if first is None or version < first:
        since = f"it is older than {first}, the first release" if first else "no release in the data is"
        return 1, f"{said}: taken as NumPy 1.x ({since} compiled against NumPy 2 on {platform})"
    return 2, (
        f"{said}: taken as NumPy 2 (as {first} and later releases on {platform} are; a framework that builds "
        "against NumPy 2 keeps doing so)"
    )
