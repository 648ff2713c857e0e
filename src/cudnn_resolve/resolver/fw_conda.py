"""Framework candidates from conda-forge's own CUDA builds (``--framework-from conda``).

conda-forge builds each framework against one CUDA per variant (cuda_compiler_version) and a cuDNN major
pin; such a build runs with any CUDA runtime of the same major at or above it (conda-forge's
``cuda-version`` run constraint) and brings its CUDA and cuDNN from conda packages.
"""

from __future__ import annotations

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..data import KnowledgeBase
from ..data.frameworks import CondaForgeBuild
from ..request import DISPLAY, Request
from ..versions import specifier
from .model import CUDA, CUDNN, Constraint, Delivery, FrameworkCandidate, PackageSet


def _python(kb: KnowledgeBase, name: str, version: Version) -> SpecifierSet:
    """The Python range of the same release on the package index (conda-forge builds follow it)."""
    if name == "tensorflow":
        return next((r.linux.python for r in kb.tensorflow if version in r.versions), SpecifierSet(">=3.8"))
    if name == "torch":
        return next((r.python for r in kb.torch if version in r.versions), SpecifierSet(">=3.8"))
    return next((r.python for r in kb.jax if r.version == version), SpecifierSet(">=3.9"))


def _cudnn_spec(pins: tuple[str, ...]) -> SpecifierSet:
    """The newest pin of the series: '9' -> any 9.x, '9.10' -> 9.10.*."""
    if not pins:
        return SpecifierSet()
    newest = max(pins, key=lambda p: tuple(int(x) for x in p.split(".")))
    return specifier(f"=={newest}.*")


def _candidate(
    kb: KnowledgeBase, build: CondaForgeBuild, version: Version, cuda: Version, rank: int
) -> FrameworkCandidate:
    origin = f"{DISPLAY[build.framework]} {version} (conda-forge cuda{cuda.major}{cuda.minor})"
    specs = [build.spec(version, cuda)]
    if build.framework == "jax":
        specs.insert(0, f"jax {version}")
    return FrameworkCandidate(
        identifier=build.framework,
        version=version,
        variant=f"conda-forge-cuda{cuda.major}{cuda.minor}",
        python=_python(kb, build.framework, version),
        cuda=Constraint(CUDA, specifier(f">={cuda},<{cuda.major + 1}"), origin, cuda, Delivery.CONDA),
        cudnn=Constraint(CUDNN, _cudnn_spec(build.cudnn), origin, None, Delivery.CONDA),
        packages=PackageSet(conda=tuple(specs)),
        tested_cuda=cuda,
        tested_cudnn=None,
        sources=(build.source,),
        rank=rank,
    )


def conda_forge_candidates(
    kb: KnowledgeBase, request: Request, name: str
) -> tuple[list[FrameworkCandidate], dict[Version, str]]:
    candidates: list[FrameworkCandidate] = []
    rejected: dict[Version, str] = {}
    builds = sorted((b for b in kb.conda_forge if b.framework == name), key=lambda b: b.series, reverse=True)
    for build in builds:
        for version in sorted(build.versions, reverse=True):
            if request.platform not in build.platforms:
                rejected[version] = (
                    f"conda-forge has no CUDA build of {DISPLAY[name]} {version} for {request.platform}"
                )
                continue
            for rank, cuda in enumerate(sorted(build.cuda, reverse=True)):
                candidates.append(_candidate(kb, build, version, cuda, rank))
    for version in kb.framework_versions(name):
        if not any(c.version == version for c in candidates):
            rejected.setdefault(
                version, f"conda-forge has no CUDA build of {DISPLAY[name]} {version} in the data"
            )
    return candidates, rejected
