"""The rules about the machine: the driver against the CUDA the build needs, each GPU against the build's
architectures and cuDNN's minimum compute capability, and the conv2d smoke test's result."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

from ..data import KnowledgeBase
from ..data.facts import known
from ..probe.report import ProbeReport
from ..request import DISPLAY
from ..resolver.rules import driver_minimum
from ..versions import ComputeCapability, DriverVersion, Platform, version
from .findings import Finding
from .manifest import Expectations
from .rules_common import ERROR, INFO, parts

_ARCH = re.compile(r"^(sm|compute)_(\d+)(\d)a?$")


def _arch_ok(gpu: ComputeCapability, arch_list: Sequence[str]) -> bool:
    for flag in arch_list:
        match = _ARCH.match(flag.replace(".", ""))
        if not match:
            continue
        built = ComputeCapability(int(match.group(2)), int(match.group(3)))
        if match.group(1) == "sm" and gpu.runs_binary_for(built):
            return True
        if match.group(1) == "compute" and built <= gpu:  # PTX: compiled at load time for newer GPUs
            return True
    return False


def hardware_findings(kb: KnowledgeBase, report: ProbeReport, expected: Expectations) -> list[Finding]:
    if report.driver is None:
        return [_no_gpu(report)]
    findings = _driver_findings(kb, report, expected)
    for gpu in report.gpus:
        if gpu.compute_capability is not None:
            findings += _gpu_findings(kb, report, gpu.name, ComputeCapability.parse(gpu.compute_capability))
    return findings


def _no_gpu(report: ProbeReport) -> Finding:
    # Say the conv ran on the CPU only where one ran: with --no-conv, or with no framework, none did.
    ran = any(f.conv is not None for f in report.frameworks.values())
    # The probe did not look when told not to (CUDNN_RESOLVE_NO_DETECT): then say that, not "no driver".
    looked = not (report.driver_error or "").startswith("not looked for")
    return Finding(
        "no-gpu",
        INFO,
        (f"no NVIDIA driver ({report.driver_error}): " if looked else f"driver {report.driver_error}: ")
        + ("conv ran on the CPU; " if ran else "")
        + "GPU loading and kernels were not exercised",
    )


def _driver_findings(kb: KnowledgeBase, report: ProbeReport, expected: Expectations) -> list[Finding]:
    """The driver against the minimum of the CUDA the environment was built for."""
    assert report.driver is not None
    cuda = expected.cuda or next(
        (f.cuda_compiled for f in report.frameworks.values() if f.cuda_compiled), None
    )
    toolkit = kb.toolkit(version(".".join(str(p) for p in parts(cuda)[:2]))) if cuda else None
    if toolkit is None:
        return []
    platform = Platform.WIN_64 if os.name == "nt" else Platform.LINUX_64
    minimum = driver_minimum(kb, toolkit, platform)
    if minimum is None or DriverVersion.parse(report.driver) >= minimum:
        return []
    return [
        Finding(
            "driver-too-old",
            ERROR,
            f"driver {report.driver} is older than CUDA {toolkit.version} needs ({minimum})",
            f"upgrade the NVIDIA driver to >= {minimum}, or use a build for an older CUDA",
        )
    ]


def _gpu_findings(kb: KnowledgeBase, report: ProbeReport, name: str, cc: ComputeCapability) -> list[Finding]:
    """One GPU against each framework's build architectures and each loaded cuDNN's minimum."""
    findings = [
        Finding(
            "gpu-arch-unsupported",
            ERROR,
            f"{name} (compute capability {cc}) is not among {DISPLAY.get(fw, fw)}'s build architectures "
            f"({' '.join(framework.arch_list)})",
            f"install a build for this GPU (cudnn-resolve pins ... --gpu-arch {cc} shows which)",
        )
        for fw, framework in report.frameworks.items()
        if framework.arch_list and not _arch_ok(cc, framework.arch_list)
    ]
    for lib in report.libraries:
        build = kb.cudnn_build(version(lib.version)) if lib.version else None
        # Only a published minimum makes this an error; an unknown one is no evidence.
        cudnn_min = known(build.min_cc) if build is not None else None
        if cudnn_min is not None and cc < cudnn_min:
            findings.append(
                Finding(
                    "gpu-below-cudnn-minimum",
                    ERROR,
                    f"cuDNN {lib.version} supports compute capability {cudnn_min} and newer, not {cc} "
                    f"({name})",
                    "use an older cuDNN (and the framework build that goes with it)",
                )
            )
    return findings


# The probe's sections whose failures become framework or conv findings, not generic probe errors.
FRAMEWORK_SECTIONS = tuple(
    f"{name}_{part}" for name in ("torch", "tensorflow", "jax") for part in ("info", "conv")
)


def conv_findings(report: ProbeReport) -> list[Finding]:
    findings: list[Finding] = []
    if not report.raw.get("conv_requested", True):
        return findings
    for name, framework in report.frameworks.items():
        label = DISPLAY.get(name, name)
        conv = framework.conv
        if framework.error:
            continue
        if conv is None or conv.error:
            why = f" ({conv.error})" if conv is not None else ""
            findings.append(
                Finding(
                    "conv-failed",
                    ERROR,
                    f"the {label} conv2d did not run{why}",
                    "see the probe's errors (--json: probe.errors) for where it failed",
                )
            )
        elif conv.gpu is None:
            findings.append(
                Finding(
                    "conv-cpu",
                    INFO,
                    f"{label} conv2d forward+backward ran on the CPU ({conv.cpu_ms} ms): gpu: none",
                )
            )
        elif not conv.ok:
            findings.append(
                Finding(
                    "conv-mismatch",
                    ERROR,
                    f"{label} conv2d on {conv.gpu} differs from the CPU by {conv.max_abs_diff}",
                    "check the cuDNN and driver the GPU run used",
                )
            )
        else:
            findings.append(
                Finding(
                    "conv-gpu",
                    INFO,
                    f"{label} conv2d on {conv.gpu} matches the CPU (max difference "
                    f"{conv.max_abs_diff}; {conv.gpu_ms} ms, then {conv.gpu_ms_warm} ms warm)",
                )
            )
    return findings
