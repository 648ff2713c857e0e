"""The search itself: candidate pools per request and one resolvelib run over them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from packaging.version import Version
from resolvelib import BaseReporter, ResolutionImpossible, ResolutionTooDeep, Resolver

from ..data import KnowledgeBase
from ..errors import SearchTooDeepError, UnknownVersionError
from ..request import DISPLAY, FrameworkRequest, Request
from ..versions import spec_contains, specifier
from .fw_conda import conda_forge_candidates
from .fw_jax import jax_candidates
from .fw_tensorflow import tensorflow_candidates
from .fw_torch import torch_candidates
from .model import CUDA, CUDNN, PYTHON, Candidate, Constraint, FrameworkCandidate
from .numpy_need import with_numpy
from .provider import Pools, Provider

Rejected = dict[Version, str]


@lru_cache(maxsize=256)
def _pools(kb: KnowledgeBase, request: Request) -> Pools:
    return Pools(kb, request)


def framework_pool(
    kb: KnowledgeBase, request: Request, wanted: FrameworkRequest
) -> tuple[tuple[FrameworkCandidate, ...], Rejected]:
    """Every candidate of one framework for the request's platform, target and GPUs, preferred first.

    The requested version range is not applied here (the resolver applies it), so one pool serves every
    range asked of the same framework, as the explanations do when they try other releases.
    """
    return _framework_pool(kb, _cache_key(request), wanted.name, wanted.variant)


@lru_cache(maxsize=512)
def _framework_pool(
    kb: KnowledgeBase, request: Request, name: str, variant: str | None
) -> tuple[tuple[FrameworkCandidate, ...], Rejected]:
    if request.framework_source == "conda":
        # conda-forge's builds name the numpy they work with in their own conda dependencies.
        candidates, rejected = conda_forge_candidates(kb, request, name)
        return tuple(candidates), rejected
    if name == "tensorflow":
        candidates, rejected = tensorflow_candidates(kb, request)
    elif name == "torch":
        candidates, rejected = torch_candidates(kb, request, variant)
    else:
        candidates, rejected = jax_candidates(kb, request)
    return tuple(with_numpy(kb, request.platform, c) for c in candidates), rejected


def pools_for(kb: KnowledgeBase, request: Request) -> Pools:
    """The CUDA, cuDNN and Python candidates for ``request`` (host filters applied), shared by every
    request that differs only in what the resolver applies itself."""
    return _pools(kb, _cache_key(request))


def _cache_key(request: Request) -> Request:
    """The parts of a request the candidate pools depend on (the framework ranges are applied later)."""
    return replace(request, frameworks=(), python=None, cuda=None, cudnn=None, argv=())


def check_versions(kb: KnowledgeBase, request: Request) -> None:
    """Every requested range must match at least one release the data covers (else bad input)."""
    for wanted in request.frameworks:
        known = kb.framework_versions(wanted.name)
        if request.framework_source == "conda":
            known = tuple(
                sorted({v for b in kb.conda_forge if b.framework == wanted.name for v in b.versions})
            )
        if any(spec_contains(wanted.specifier, v) for v in known):
            continue
        nearest = [str(v) for v in _nearest(known, wanted)]
        if not known:
            covered = f"no conda-forge CUDA build of {DISPLAY[wanted.name]}"
        elif request.framework_source == "conda":
            covered = f"conda-forge CUDA builds of {DISPLAY[wanted.name]} {known[0]} to {known[-1]}"
        else:
            covered = f"{DISPLAY[wanted.name]} {known[0]} to {known[-1]}"
        raise UnknownVersionError(DISPLAY[wanted.name], wanted.text, nearest, covered)


def _nearest(known: tuple[Version, ...], wanted: FrameworkRequest) -> list[Version]:
    """Up to three known releases nearest what was asked: the newest where every bound asks for
    something newer than the data ('torch>=3'), the oldest where everything asked is older, else by
    distance from the first version the request names."""
    target = next((Version(s.version.rstrip(".*")) for s in wanted.specifier), None)
    if target is None or not known:
        return []
    if all(v < target for v in known):
        return list(known[-3:])
    if all(v > target for v in known):
        return list(known[:3])
    by_distance = sorted(
        known, key=lambda v: (abs(v.major - target.major), abs(v.minor - target.minor), -v.micro)
    )
    return sorted(set(by_distance[:3]))


def root_constraints(request: Request) -> list[Constraint]:
    roots = [Constraint(f.name, f.specifier, "the request", variant=f.variant) for f in request.frameworks]
    if request.cuda is not None:
        roots.append(Constraint(CUDA, request.cuda, "--cuda"))
    if request.cudnn is not None:
        roots.append(Constraint(CUDNN, request.cudnn, "--cudnn"))
    if request.python is not None:
        roots.append(Constraint(PYTHON, specifier(f"=={request.python}"), "--python"))
    return roots


MAX_ROUNDS = 500


@dataclass(frozen=True)
class Conflict:
    """resolvelib's own account of why there is no answer: each requirement it could not meet, with the
    candidate that brought it (None where the request itself asked for it)."""

    causes: tuple[tuple[Constraint, Candidate | None], ...]


def search(kb: KnowledgeBase, request: Request) -> dict[str, Candidate] | Conflict:
    """The chosen candidate per identifier, or the conflict that proves there is none.

    Raises SearchTooDeepError where the search gives up before deciding.
    """
    pools = pools_for(kb, request)
    frameworks = {f.name: framework_pool(kb, request, f)[0] for f in request.frameworks}
    resolver: Resolver = Resolver(Provider(request, pools, frameworks), BaseReporter())  # type: ignore[type-arg]
    try:
        result = resolver.resolve(root_constraints(request), max_rounds=MAX_ROUNDS)
    except ResolutionImpossible as exc:
        return Conflict(tuple((cause.requirement, cause.parent) for cause in exc.causes))
    except ResolutionTooDeep:
        raise SearchTooDeepError(request.text, MAX_ROUNDS) from None
    return dict(result.mapping)


def resolve_chosen(kb: KnowledgeBase, request: Request) -> dict[str, Candidate] | None:
    """The chosen candidates, or None where none is found (proven impossible, or the search gave up):
    for trying a changed request, where only a found answer counts."""
    try:
        outcome = search(kb, request)
    except SearchTooDeepError:
        return None
    return None if isinstance(outcome, Conflict) else outcome
