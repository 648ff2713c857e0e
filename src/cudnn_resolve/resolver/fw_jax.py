"""JAX candidates: one per release and CUDA plugin extra (cuda12, cuda13).

The plugins' nvidia-* requirements are open ranges, so the resolver picks the CUDA pip set and cuDNN
wheel inside them (shared with other frameworks of the request) and the constraints pin that choice.
"""

from __future__ import annotations

from packaging.version import Version

from ..data import KnowledgeBase
from ..data.frameworks import JaxCuda, JaxRelease
from ..request import Request
from .model import FrameworkCandidate, PackageSet
from .needs import wheel_constraints

NAME = "jax"


def _pins(release: JaxRelease) -> tuple[str, ...]:
    pins = [f"jax=={release.version}"]
    if release.jaxlib is not None:
        pins.append(f"jaxlib=={release.jaxlib}")
    return tuple(pins)


def _candidate(release: JaxRelease, extra: JaxCuda, rank: int) -> FrameworkCandidate:
    origin = f"JAX {release.version} [{extra.extra}]"
    cuda, cudnn = wheel_constraints(extra.requires, origin, extra.cuda_min, None)
    plugin_pins = tuple(
        pin
        for r in extra.requires
        if not r.name.startswith("nvidia-") and r.name != "jax" and (pin := r.constraint_pin()) is not None
    )
    return FrameworkCandidate(
        identifier=NAME,
        version=release.version,
        variant=extra.extra,
        python=release.python,
        cuda=cuda,
        cudnn=cudnn,
        packages=PackageSet(
            requirements=(f"jax[{extra.extra}]=={release.version}",),
            constraints=(*_pins(release), *plugin_pins),
        ),
        tested_cuda=extra.cuda_min,
        tested_cudnn=None,
        sources=(release.source, extra.source),
        rank=rank,
    )


def jax_candidates(
    kb: KnowledgeBase, request: Request
) -> tuple[list[FrameworkCandidate], dict[Version, str]]:
    platform = request.platform
    candidates: list[FrameworkCandidate] = []
    rejected: dict[Version, str] = {}
    for release in reversed(kb.jax):
        if not platform.has_cuda:
            candidates.append(_cpu_only(release))
            continue
        extras = sorted((e for e in release.cuda if platform in e.platforms), key=lambda e: -e.cuda_major)
        if not extras:
            rejected[release.version] = f"JAX {release.version} publishes no CUDA plugin for {platform}"
            continue
        for rank, extra in enumerate(extras):
            candidates.append(_candidate(release, extra, rank))
    return candidates, rejected


def _cpu_only(release: JaxRelease) -> FrameworkCandidate:
    return FrameworkCandidate(
        identifier=NAME,
        version=release.version,
        variant="cpu",
        python=release.python,
        cuda=None,
        cudnn=None,
        packages=PackageSet(requirements=(f"jax=={release.version}",), constraints=_pins(release)),
        tested_cuda=None,
        tested_cudnn=None,
        sources=(release.source,),
    )
