"""Compatibility rules that combine facts from several tables (drivers, GPUs, toolkits).

Pure functions of the knowledge base; the provider uses them to filter candidates and the explanations
use them to say why a candidate was rejected.
"""

from __future__ import annotations

from collections.abc import Iterable

from packaging.version import Version

from ..data import KnowledgeBase
from ..data.nvidia import CudaToolkit, CudnnBuild
from ..versions import ComputeCapability, DriverVersion, Platform
from .inference import ArchSupport, cudnn_min_cc


def driver_minimum(kb: KnowledgeBase, toolkit: CudaToolkit, platform: Platform) -> DriverVersion | None:
    """The lowest driver that runs applications built with ``toolkit`` on ``platform``.

    With CUDA minor-version compatibility (11.x and later) that is the major's compatibility minimum,
    else the toolkit's own minimum (NVIDIA CUDA release notes, tables 2 and 3).
    """
    os_name = platform.os_name
    compat = kb.cuda_majors[toolkit.major].minor_compat_driver.get(os_name)
    own = toolkit.driver.get(os_name)
    if compat is not None and own is not None:
        return min(compat, own)
    return own or compat


def driver_runs(kb: KnowledgeBase, toolkit: CudaToolkit, driver: DriverVersion, platform: Platform) -> bool:
    minimum = driver_minimum(kb, toolkit, platform)
    return minimum is None or driver >= minimum


def max_cuda_for_driver(
    kb: KnowledgeBase, driver: DriverVersion, platform: Platform
) -> tuple[Version | None, Version | None]:
    """(newest toolkit the driver fully supports, newest it runs with minor-version compatibility)."""
    full = [
        t.version
        for t in kb.toolkits
        if t.driver.get(platform.os_name) and driver >= t.driver[platform.os_name]
    ]
    compat = [t.version for t in kb.toolkits if driver_runs(kb, t, driver, platform)]
    return (max(full) if full else None, max(compat) if compat else None)


def gpu_too_old_for_toolkit(
    toolkit: CudaToolkit, gpus: Iterable[ComputeCapability]
) -> ComputeCapability | None:
    """The first GPU architecture below the toolkit's lowest supported one, if any."""
    for gpu in gpus:
        if gpu < toolkit.cc_min:
            return gpu
    return None


def gpu_too_old_for_cudnn(
    kb: KnowledgeBase, build: CudnnBuild, gpus: Iterable[ComputeCapability]
) -> ComputeCapability | None:
    """The first GPU below the build's lowest architecture (inferred where unpublished), if any."""
    minimum = cudnn_min_cc(kb, build).value
    for gpu in gpus:
        if gpu < minimum:
            return gpu
    return None


def gpu_not_in_build(support: ArchSupport, gpus: Iterable[ComputeCapability]) -> ComputeCapability | None:
    """The first GPU the build has no code for (binary compatibility), if any."""
    for gpu in gpus:
        if not support.runs_on(gpu):
            return gpu
    return None
