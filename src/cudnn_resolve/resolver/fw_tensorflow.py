"""TensorFlow candidates: one per release, platform and way of delivering CUDA.

Generations (facts in constraints/tensorflow.toml):
- 2.14 and later on Linux x86_64: the ``[and-cuda]`` extra brings NVIDIA's wheels itself.
- up to 2.13, and native Windows up to 2.10: the wheels bring no CUDA libraries. TensorFlow checks only
  that the loaded cuDNN has the build's major and at least its minor ("Loaded runtime CuDNN library ...
  CuDNN library needs to have matching major version and equal or higher minor version"), so any CUDA and
  cuDNN of the same major, at or above the tested ones, will do: nearest the tested versions first.
"""

from __future__ import annotations

from packaging.version import Version

from ..data import KnowledgeBase
from ..data.frameworks import AndCuda, GpuConfig, TensorflowRelease
from ..request import Request, Target
from ..versions import Platform, same_major_at_least
from .model import CUDA, CUDNN, Constraint, Delivery, FrameworkCandidate, PackageSet
from .needs import requirement_line, wheel_constraints

NAME = "tensorflow"
LAST_NATIVE_WINDOWS = "2.10"


def _delivered(
    release: TensorflowRelease, config: GpuConfig, version: Version, delivery: Delivery, rank: int
) -> FrameworkCandidate:
    origin = f"TensorFlow {version}"
    cuda = Constraint(CUDA, same_major_at_least(config.cuda), origin, config.cuda, delivery)
    cudnn = Constraint(CUDNN, same_major_at_least(config.cudnn), origin, config.cudnn, delivery)
    package = f"{release.gpu_package}=={version}"
    where = "NVIDIA's pip wheels" if delivery is Delivery.PIP else "conda-forge"
    notes = [
        f"TensorFlow {release.series} wheels carry no CUDA libraries: CUDA and cuDNN come from {where}, "
        "and the environment must make them loadable (cudnn-resolve create does)"
    ]
    if release.gpu_package != "tensorflow":
        notes.append(f"TensorFlow {release.series}'s GPU build is the separate package {release.gpu_package}")
    return FrameworkCandidate(
        identifier=NAME,
        version=version,
        variant=f"cuda{config.cuda}-{delivery}",
        python=config.python,
        cuda=cuda,
        cudnn=cudnn,
        packages=PackageSet(requirements=(package,), constraints=(package,)),
        tested_cuda=config.cuda,
        tested_cudnn=config.cudnn,
        notes=tuple(notes),
        sources=(config.source,),
        rank=rank,
        brings_cuda=False,
    )


def _and_cuda(release: TensorflowRelease, extra: AndCuda) -> FrameworkCandidate:
    origin = f"TensorFlow {extra.version} [and-cuda]"
    cuda, cudnn = wheel_constraints(
        extra.requires, origin, release.linux.cuda, extra.tested_cudnn, cuda_prefer=extra.tested_cuda
    )
    pins = [p for p in (r.constraint_pin() for r in extra.requires) if p is not None]
    notes = []
    unusable = [r for r in extra.requires if r.name == "tensorrt"]
    if unusable:
        # tensorrt 8.5.3.1 (2.14's extra) publishes no wheels for Python 3.11+: installing the extra fails
        # there. TensorRT is optional (TF-TRT only), so list the CUDA wheels without it.
        requirements: tuple[str, ...] = (
            f"tensorflow=={extra.version}",
            *(requirement_line(r) for r in extra.requires if r.name != "tensorrt"),
        )
        pins = [p for p in pins if not p.startswith("tensorrt")]
        notes.append(
            f"TensorFlow {extra.version}'s [and-cuda] extra also requires {unusable[0]}, which has no wheels "
            "for Python 3.11 and later; it is optional (TF-TRT only) and left out of the pins"
        )
    else:
        requirements = (f"tensorflow[and-cuda]=={extra.version}",)
    if cuda.delivery is Delivery.PIP:
        notes.append(
            f"TensorFlow {extra.version}'s [and-cuda] extra uses open ranges; the pins hold the versions it "
            f"was built and tested with (CUDA {extra.tested_cuda}, cuDNN {extra.tested_cudnn})"
        )
    return FrameworkCandidate(
        identifier=NAME,
        version=extra.version,
        variant="and-cuda",
        python=release.linux.python,
        cuda=cuda,
        cudnn=cudnn,
        packages=PackageSet(
            requirements=requirements, constraints=(f"tensorflow=={extra.version}", *sorted(pins))
        ),
        tested_cuda=extra.tested_cuda,
        tested_cudnn=extra.tested_cudnn,
        notes=tuple(notes),
        sources=(release.source, extra.source),
    )


def tensorflow_candidates(
    kb: KnowledgeBase, request: Request
) -> tuple[list[FrameworkCandidate], dict[Version, str]]:
    """Candidates newest first, and why the releases left out were left out."""
    platform = request.platform
    candidates: list[FrameworkCandidate] = []
    rejected: dict[Version, str] = {}
    for release in reversed(kb.tensorflow):
        for version in reversed(release.versions):
            reason = _platform_reason(release, platform, request.target)
            if reason:
                rejected[version] = reason
                continue
            if not platform.has_cuda:
                candidates.append(_cpu_only(release, version))
            elif platform.is_windows:
                assert release.windows is not None
                candidates.append(_delivered(release, release.windows, version, Delivery.CONDA, 0))
            elif version in kb.and_cuda:
                candidates.append(_and_cuda(release, kb.and_cuda[version]))
            else:
                for rank, delivery in enumerate(_deliveries(request.target)):
                    candidates.append(_delivered(release, release.linux, version, delivery, rank))
    return candidates, rejected


def _deliveries(target: Target | None) -> tuple[Delivery, ...]:
    if target is Target.PIP:
        return (Delivery.PIP,)
    if target is Target.CONDA:
        return (Delivery.CONDA,)
    # No target asked: NVIDIA's pip wheels where they exist (CUDA 11.7+), conda-forge otherwise.
    return (Delivery.PIP, Delivery.CONDA)


def _platform_reason(release: TensorflowRelease, platform: Platform, target: Target | None) -> str | None:
    if platform is Platform.LINUX_AARCH64:
        return (
            "TensorFlow publishes no CUDA build for Linux aarch64 (its aarch64 wheels are CPU-only and the "
            "[and-cuda] extra is limited to x86_64)"
        )
    if platform.is_windows:
        if release.windows is None:
            return (
                f"TensorFlow {release.series} has no native Windows GPU build (native Windows GPU support "
                f"ended at {LAST_NATIVE_WINDOWS}); use WSL2 with --platform linux-64"
            )
        if target is Target.PIP:
            return (
                "TensorFlow's native Windows GPU builds load CUDA from conda-forge's cudatoolkit and cudnn "
                "(its documented recipe); use --target conda"
            )
    return None


def _cpu_only(release: TensorflowRelease, version: Version) -> FrameworkCandidate:
    package = f"tensorflow=={version}"
    return FrameworkCandidate(
        identifier=NAME,
        version=version,
        variant="cpu",
        python=release.linux.python,
        cuda=None,
        cudnn=None,
        packages=PackageSet(requirements=(package,), constraints=(package,)),
        tested_cuda=None,
        tested_cudnn=None,
        sources=(release.source,),
    )
