"""Turn a framework's nvidia-* wheel requirements into CUDA and cuDNN constraints."""

from __future__ import annotations

from collections.abc import Iterable

from packaging.version import Version

from ..data.wheels import WheelRequirement
from ..versions import major_minor, specifier
from .model import CUDA, CUDNN, Constraint, Delivery


def requirement_line(req: WheelRequirement, keep_extras: bool = True) -> str:
    """``name[extras]==1.2`` without markers (the emitted files target one platform each); a
    requirement that allows one version is written ``==version``, as pip constraints files need."""
    extras = f"[{','.join(sorted(req.extras))}]" if keep_extras and req.extras else ""
    pin = req.exact_pin()
    return f"{req.name}{extras}=={pin}" if pin is not None else f"{req.name}{extras}{req.specifier}"


def nvidia_requirements(requires: Iterable[WheelRequirement]) -> list[WheelRequirement]:
    return [r for r in requires if r.name.startswith("nvidia-")]


def wheel_constraints(
    requires: Iterable[WheelRequirement],
    origin: str,
    cuda_floor: Version,
    cudnn_prefer: Version | None,
    cuda_prefer: Version | None = None,
) -> tuple[Constraint, Constraint]:
    """CUDA and cuDNN constraints implied by a framework's nvidia-* requirements.

    Exact pins (torch, TensorFlow 2.14-2.19) fix the CUDA minor (read from the cuda-runtime pin) and the
    cuDNN build; the framework's own wheels deliver them. Open ranges (TensorFlow 2.20+, JAX plugins) let
    the resolver choose a CUDA pip set and cuDNN wheel inside the ranges, nearest the tested ones first.
    """
    nvidia = nvidia_requirements(requires)
    cudnn_reqs = [r for r in nvidia if r.name.startswith("nvidia-cudnn-cu")]
    other = [r for r in nvidia if not r.name.startswith("nvidia-cudnn-cu")]
    runtime = next((r for r in other if r.name.startswith("nvidia-cuda-runtime-cu")), None)
    runtime_pin = runtime.exact_pin() if runtime is not None else None
    if runtime_pin is not None and all(r.exact_pin() is not None for r in other):
        cuda = Constraint(CUDA, specifier(f"=={major_minor(runtime_pin)}"), origin)
    else:
        cuda = Constraint(
            CUDA,
            specifier(f">={cuda_floor},<{cuda_floor.major + 1}"),
            origin,
            prefer=cuda_prefer,
            delivery=Delivery.PIP,
            pip_ranges=tuple(other),
        )
    pin = cudnn_reqs[0].exact_pin() if cudnn_reqs else None
    if pin is not None:
        cudnn = Constraint(CUDNN, specifier(f"=={pin}"), origin)
    elif cudnn_reqs:
        cudnn = Constraint(
            CUDNN,
            cudnn_reqs[0].specifier,
            origin,
            prefer=cudnn_prefer,
            delivery=Delivery.PIP,
            pip_ranges=tuple(cudnn_reqs),
        )
    else:
        cudnn = Constraint(CUDNN, specifier(f">={cudnn_prefer}") if cudnn_prefer else specifier(""), origin)
    return cuda, cudnn
