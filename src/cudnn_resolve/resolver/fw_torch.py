"""PyTorch candidates: one per release and CUDA variant (cu118, cu121, ...).

Order among the variants of one release: with no host facts (no driver or GPU given or detected), the
variant the package index's default wheel carries comes first, since that is what a plain
``pip install torch==X`` installs; with host facts, the newest CUDA first, and the driver and GPU filters
reject what the host cannot run.
"""

from __future__ import annotations

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..data import KnowledgeBase
from ..data.frameworks import TorchPypi, TorchRelease, TorchVariant
from ..request import Request
from ..versions import Platform, specifier
from .inference import torch_arch
from .model import CUDA, CUDNN, Constraint, FrameworkCandidate, PackageSet
from .rules import gpu_not_in_build

NAME = "torch"


def _companions(release: TorchRelease, version: Version, local: str) -> tuple[str, ...]:
    companion = release.companions.get(version)
    if companion is None:
        return ()
    pins = []
    if companion.torchvision is not None:
        pins.append(f"torchvision=={companion.torchvision}{local}")
    if companion.torchaudio is not None:
        pins.append(f"torchaudio=={companion.torchaudio}{local}")
    return tuple(pins)


def _candidate(
    kb: KnowledgeBase,
    *,
    release: TorchRelease,
    version: Version,
    variant: TorchVariant,
    default: TorchPypi | None,
    rank: int,
    platform: Platform,
) -> FrameworkCandidate:
    origin = f"PyTorch {version}+{variant.name}"
    sources = [release.source, variant.source]
    if default is not None and default.variant == variant.name:
        # The index's default wheel: its own nvidia-* pins go into the constraints as they are.
        torch_pin = f"torch=={version}"
        pins = tuple(p for p in (r.constraint_pin() for r in default.requires) if p is not None)
        packages = PackageSet(
            requirements=(torch_pin,),
            constraints=(torch_pin, *_companions(release, version, ""), *pins),
        )
        sources.append(default.source)
    else:
        torch_pin = f"torch=={version}+{variant.name}"
        packages = PackageSet(
            requirements=(torch_pin,),
            constraints=(torch_pin, *_companions(release, version, f"+{variant.name}")),
            index_urls=(variant.index_url,),
        )
    support = torch_arch(kb, release, variant)
    arch = tuple(str(a) for a in support.arch) if support.arch is not None else None
    return FrameworkCandidate(
        identifier=NAME,
        version=version,
        variant=variant.name,
        python=_admitted(release, platform),
        python_tested=release.python if _admitted(release, platform) is not release.python else None,
        python_experimental=release.python_experimental,
        cuda=Constraint(CUDA, specifier(f"=={variant.cuda}"), origin),
        cudnn=Constraint(CUDNN, specifier(f"=={variant.cudnn}"), origin),
        packages=packages,
        tested_cuda=variant.cuda,
        tested_cudnn=variant.cudnn,
        gpu_arch=arch,
        arch_inferred=support.inferred,
        sources=tuple(sources),
        rank=rank,
    )


def _admitted(release: TorchRelease, platform: Platform) -> SpecifierSet:
    """Every Python the release has wheels for; wheel availability is recorded for linux x86_64 only,
    elsewhere the tested range stands."""
    return release.python_admitted if platform is Platform.LINUX_64 else release.python


def _order(
    variants: list[TorchVariant], default: TorchPypi | None, fallback: str | None, host: bool
) -> list[TorchVariant]:
    newest_first = sorted(variants, key=lambda v: v.cuda, reverse=True)
    if host:
        return newest_first
    # The default wheel's variant first; where the index's default wheel is CPU-only (Windows), the
    # variant the Linux default carries, which is the one PyTorch's install selector recommends.
    first = default.variant if default is not None and default.variant != "cpu" else fallback
    return sorted(newest_first, key=lambda v: v.name != first)


def _arch_reason(
    kb: KnowledgeBase, release: TorchRelease, variant: TorchVariant, request: Request
) -> str | None:
    """Why the request's GPUs cannot run this variant, if they cannot.

    CUDA's binary-compatibility rule decides against the published architecture list, or against the
    conservative stand-in for an unpublished one (resolver/inference.py), which the reason then names.
    """
    support = torch_arch(kb, release, variant)
    gpu = gpu_not_in_build(support, request.gpus)
    if gpu is None:
        return None
    if support.inferred:
        return f"{support.inferred}, not {gpu}"
    built = support.describe()
    return f"PyTorch {release.series} {variant.name} is built for compute capability {built}, not {gpu}"


def torch_candidates(
    kb: KnowledgeBase, request: Request, wanted_variant: str | None
) -> tuple[list[FrameworkCandidate], dict[Version, str]]:
    platform = request.platform
    candidates: list[FrameworkCandidate] = []
    rejected: dict[Version, str] = {}
    for release in reversed(kb.torch):
        for version in reversed(release.versions):
            if not platform.has_cuda:
                candidates.append(_cpu_only(release, version))
                continue
            variants = [v for v in release.variants if platform in v.platforms]
            if wanted_variant is not None:
                variants = [v for v in variants if v.name == wanted_variant]
            reasons = []
            usable = []
            for variant in variants:
                reason = _arch_reason(kb, release, variant, request)
                if reason:
                    reasons.append(reason)
                else:
                    usable.append(variant)
            if not usable:
                named = f" {wanted_variant}" if wanted_variant else ""
                rejected[version] = (
                    "; ".join(reasons) or f"PyTorch {version} has no CUDA{named} build for {platform}"
                )
                continue
            default = kb.torch_pypi.get((version, platform))
            linux_default = kb.torch_pypi.get((version, Platform.LINUX_64))
            fallback = linux_default.variant if linux_default is not None else None
            for rank, variant in enumerate(_order(usable, default, fallback, request.has_host_facts)):
                candidates.append(
                    _candidate(
                        kb,
                        release=release,
                        version=version,
                        variant=variant,
                        default=default,
                        rank=rank,
                        platform=platform,
                    )
                )
    return candidates, rejected


def _cpu_only(release: TorchRelease, version: Version) -> FrameworkCandidate:
    pin = f"torch=={version}"
    return FrameworkCandidate(
        identifier=NAME,
        version=version,
        variant="cpu",
        python=release.python,
        cuda=None,
        cudnn=None,
        packages=PackageSet(requirements=(pin,), constraints=(pin, *_companions(release, version, ""))),
        tested_cuda=None,
        tested_cudnn=None,
        sources=(release.source,),
    )
