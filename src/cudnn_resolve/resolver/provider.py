"""The resolvelib provider: candidates from the knowledge base, host facts as fixed filters."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version
from resolvelib import AbstractProvider

from ..data import KnowledgeBase
from ..request import Request
from ..versions import spec_contains, specifier, version
from .inference import cudnn_min_cc
from .model import (
    CUDA,
    CUDNN,
    NUMPY,
    PYTHON,
    Candidate,
    Constraint,
    CudaCandidate,
    CudnnCandidate,
    Delivery,
    FrameworkCandidate,
    NumpyCandidate,
    PythonCandidate,
)
from .rules import driver_minimum, driver_runs, gpu_too_old_for_cudnn, gpu_too_old_for_toolkit

# Frameworks first (their choice fixes most of the rest), then CUDA, cuDNN, Python, NumPy.
_ORDER = {CUDA: 1, CUDNN: 2, PYTHON: 3, NUMPY: 4}


@lru_cache(maxsize=8)
def python_minors(kb: KnowledgeBase) -> tuple[str, ...]:
    """CPython minors to consider, newest first: 3.6 up to the newest any record's range names."""
    newest = 12
    specs = (
        [t.linux.python for t in kb.tensorflow] + [t.python for t in kb.torch] + [j.python for j in kb.jax]
    )
    for spec in specs:
        for s in spec:
            v = version(s.version.replace(".*", ""))
            if len(v.release) >= 2 and v.major == 3:
                newest = max(newest, v.minor - 1 if s.operator == "<" else v.minor)
    return tuple(f"3.{m}" for m in range(newest, 5, -1))


class Pools:
    """Every CUDA, cuDNN and Python candidate for one request, host filters applied.

    ``rejected`` keeps, per identifier, why a candidate was filtered out, for explanations.
    """

    def __init__(self, kb: KnowledgeBase, request: Request) -> None:
        self.rejected: dict[str, dict[Any, str]] = {CUDA: {}, CUDNN: {}, PYTHON: {}}
        platform = request.platform
        self.cuda: list[CudaCandidate] = []
        for toolkit in reversed(kb.toolkits):
            reason = None
            if request.driver is not None and not driver_runs(kb, toolkit, request.driver, platform):
                needed = driver_minimum(kb, toolkit, platform)
                reason = (
                    f"CUDA {toolkit.version} needs driver >= {needed} on {platform}, not {request.driver}"
                )
            gpu = gpu_too_old_for_toolkit(toolkit, request.gpus)
            if gpu is not None:
                supported = f"compute capability {toolkit.cc_min} and newer"
                reason = f"CUDA {toolkit.version} supports {supported}, not {gpu}"
            cuda = CudaCandidate(
                toolkit, kb.pip_sets.get(toolkit.version), kb.conda_toolkits.get(toolkit.version)
            )
            if reason:
                self.rejected[CUDA][cuda] = reason
            else:
                self.cuda.append(cuda)
        self.cudnn: list[CudnnCandidate] = []
        for build in reversed(kb.cudnn):
            cudnn = CudnnCandidate(build)
            gpu = gpu_too_old_for_cudnn(kb, build, request.gpus)
            if gpu is not None:
                minimum = cudnn_min_cc(kb, build)
                inferred = " (inferred: no support matrix states it)" if minimum.inferred else ""
                self.rejected[CUDNN][cudnn] = (
                    f"cuDNN {build.release} supports compute capability {minimum.value} and newer{inferred}, "
                    f"not {gpu}"
                )
            else:
                self.cudnn.append(cudnn)
        self.python = [PythonCandidate(version(m)) for m in python_minors(kb)]
        # NumPy majors, newest first: wheels compiled against NumPy 1.x ask for 1 (resolver/numpy_need.py).
        self.numpy = [NumpyCandidate(Version("2")), NumpyCandidate(Version("1"))]
        # satisfies() answers, per (constraint, candidate) identity; pools outlive one resolution, so
        # the answers serve every resolution that shares them (the whole matrix, explanations).
        self.memo: dict[tuple[Constraint, Candidate], bool] = {}

    def satisfies(self, constraint: Constraint, candidate: Candidate, request: Request) -> bool:
        key = (constraint, candidate)
        answer = self.memo.get(key)
        if answer is None:
            if len(self.memo) > 500_000:
                self.memo.clear()
            answer = self.memo[key] = satisfies(constraint, candidate, request)
        return answer


def satisfies(constraint: Constraint, candidate: Candidate, request: Request) -> bool:
    """True if ``candidate`` meets ``constraint``, delivery and wheel ranges included."""
    if isinstance(candidate, FrameworkCandidate):
        if constraint.variant is not None and candidate.variant != constraint.variant:
            return False
        return spec_contains(constraint.specifier, candidate.version)
    if not spec_contains(constraint.specifier, candidate.version):
        return False
    if isinstance(candidate, CudaCandidate):
        return _cuda_delivers(constraint, candidate, request)
    if isinstance(candidate, CudnnCandidate):
        return _cudnn_delivers(constraint, candidate, request)
    return True


def _cuda_delivers(constraint: Constraint, candidate: CudaCandidate, request: Request) -> bool:
    if constraint.delivery is Delivery.PIP:
        if candidate.pip_set is None:
            return False
        wheels = dict(candidate.pip_set.wheels)
        # Only the toolkit's own components decide whether a pip set delivers a CUDA; libraries with
        # their own release cadence (NCCL, cuSPARSELt, NVSHMEM) are pinned only where they fit.
        return all(
            spec_contains(r.specifier, version(wheels[r.name]))
            for r in constraint.pip_ranges
            if r.name in wheels and not is_companion_library(r.name)
        )
    if constraint.delivery is Delivery.CONDA:
        return candidate.conda is not None and request.platform in candidate.conda.platforms
    return True


COMPANION_LIBRARIES = ("nvidia-nccl", "nvidia-cusparselt", "nvidia-nvshmem")


def is_companion_library(name: str) -> bool:
    return name.startswith(COMPANION_LIBRARIES)


def _cudnn_delivers(constraint: Constraint, candidate: CudnnCandidate, request: Request) -> bool:
    """Pip and conda delivery need a package of the build for the platform; a framework that brings
    its own cuDNN (torch, tensorflow[and-cuda]) needs only the build to exist."""
    build = candidate.build
    if constraint.delivery is Delivery.FRAMEWORK:
        return True
    if request.platform not in build.platforms:
        return False
    if constraint.delivery is Delivery.PIP:
        if build.pip is None:
            return False
        return all(spec_contains(r.specifier, build.pip) for r in constraint.pip_ranges)
    return build.conda is not None


class Provider(AbstractProvider):  # type: ignore[type-arg]  # resolvelib's generics vary by version
    def __init__(
        self, request: Request, pools: Pools, frameworks: Mapping[str, Sequence[FrameworkCandidate]]
    ):
        self.request = request
        self.pools = pools
        self.frameworks = frameworks
        # The framework with the fewest candidates in the requested range is pinned first: it constrains
        # CUDA and cuDNN most, so the others fail fast against it instead of backtracking through it.
        self.sizes = {
            f.name: sum(1 for c in frameworks[f.name] if spec_contains(f.specifier, c.version))
            for f in request.frameworks
        }

    def identify(self, requirement_or_candidate: Constraint | Candidate) -> str:
        return requirement_or_candidate.identifier

    def get_preference(self, identifier: str, *args: Any, **kwargs: Any) -> tuple[int, int, str]:
        return (_ORDER.get(identifier, 0), self.sizes.get(identifier, 0), identifier)

    def _pool(self, identifier: str) -> Sequence[Candidate]:
        if identifier == CUDA:
            return self.pools.cuda
        if identifier == CUDNN:
            return self.pools.cudnn
        if identifier == PYTHON:
            return self.pools.python
        if identifier == NUMPY:
            return self.pools.numpy
        return self.frameworks[identifier]

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Constraint]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> Iterable[Candidate]:
        constraints = list(requirements[identifier])
        bad = set(incompatibilities[identifier])
        matches = [
            c
            for c in self._pool(identifier)
            if c not in bad and all(self.pools.satisfies(r, c, self.request) for r in constraints)
        ]
        prefer = [r.prefer for r in constraints if r.prefer is not None]
        if prefer and identifier in (CUDA, CUDNN):
            # Nearest the tested version first: ascending from it, then the rest newest first.
            floor = max(prefer)
            above = sorted(
                (c for c in matches if c.version >= floor), key=lambda c: (not _is(c, floor), c.version)
            )
            matches = above + [c for c in matches if c.version < floor]
        tested = [r.tested for r in constraints if r.tested is not None]
        if tested and identifier == PYTHON:
            # Every Python with wheels is admitted; the tested ones come first (newest first within each).
            matches.sort(key=lambda c: not all(spec_contains(t, c.version) for t in tested))
        return matches

    def is_satisfied_by(self, requirement: Constraint, candidate: Candidate) -> bool:
        return self.pools.satisfies(requirement, candidate, self.request)

    def get_dependencies(self, candidate: Candidate) -> Iterable[Constraint]:
        if isinstance(candidate, FrameworkCandidate):
            return candidate.dependencies
        if isinstance(candidate, CudnnCandidate):
            build = candidate.build
            return (
                Constraint(
                    CUDA,
                    _cuda_range(build.cuda_min or version(f"{build.cuda_major}.0"), build.cuda_major),
                    f"cuDNN {build.version} for CUDA {build.cuda_major}",
                ),
            )
        return ()


def _is(candidate: Candidate, prefer: Version) -> bool:
    if isinstance(candidate, CudnnCandidate):
        return candidate.matches_preferred(prefer)
    return bool(candidate.version == prefer)


def _cuda_range(cuda_min: Version, major: int) -> SpecifierSet:
    return specifier(f">={cuda_min},<{major + 1}")
