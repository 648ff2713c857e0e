"""Host detection: the NVIDIA driver version and the GPUs with their compute capability.

Tried in order, first answer wins: NVML (the library behind nvidia-smi, through nvidia-ml-py), the
kernel module's ``/proc/driver/nvidia/version`` (driver only), and ``nvidia-smi``'s CSV query. Finding no
driver is a normal answer, not an error: every attempt and why it failed is kept for the report.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import InvalidOptionError
from .versions import ComputeCapability, DriverVersion, Platform, cuda_version_text

PROC_VERSION = Path("/proc/driver/nvidia/version")
NO_DETECT_VARIABLE = "CUDNN_RESOLVE_NO_DETECT"
_SMI_QUERY = "--query-gpu=driver_version,compute_cap,name,memory.total"
_PROC_RE = re.compile(r"Kernel Module(?:\s+for\s+\S+)?\s+(\d+\.\d+(?:\.\d+)?)\b")


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    capability: ComputeCapability | None
    memory_mib: int | None = None


@dataclass(frozen=True)
class HostInfo:
    """What detection found, and what the user gave instead (--driver, --gpu-arch).

    ``method`` is how detection ran (nvml, proc, nvidia-smi), or none (nothing found), disabled
    (--no-detect) or skipped (not needed, or another platform).
    """

    driver: DriverVersion | None
    gpus: tuple[Gpu, ...]
    method: str
    attempts: tuple[str, ...]  # one line per method tried, with its outcome
    cuda_driver_max: str | None = None  # the highest CUDA the driver supports, as NVML reports it
    given_driver: DriverVersion | None = None
    given_gpus: tuple[ComputeCapability, ...] = ()

    @property
    def found(self) -> bool:
        return self.driver is not None

    @property
    def why_not_detected(self) -> str | None:
        """Why detection did not run (``--no-detect``, ``CUDNN_RESOLVE_NO_DETECT is set``, ``resolving for
        win-64, not this machine``), or None."""
        if not self.attempts or self.method not in ("disabled", "skipped"):
            return None
        if self.method == "skipped":
            return self.attempts[0].removeprefix("detection skipped: ")
        return self.attempts[0].removeprefix("detection disabled (").removesuffix(")")

    @property
    def capabilities(self) -> tuple[ComputeCapability, ...]:
        return tuple(sorted({g.capability for g in self.gpus if g.capability is not None}))


def host_platform() -> Platform:
    """This machine's platform, named as conda names its subdirs."""
    import platform  # noqa: PLC0415  # only verbs that resolve need it; start-up should not pay for it

    machine = platform.machine().lower()
    if sys.platform.startswith("win"):
        return Platform.WIN_64
    if sys.platform == "darwin":
        return Platform.OSX_ARM64 if machine in ("arm64", "aarch64") else Platform.OSX_64
    return Platform.LINUX_AARCH64 if machine in ("aarch64", "arm64") else Platform.LINUX_64


def not_detected(why: str) -> HostInfo:
    """No detection was run, for the reason given (shown as "host: not detected (WHY)")."""
    return HostInfo(None, (), "disabled", (f"detection disabled ({why})",))


NOT_DETECTED = not_detected("--no-detect")


def skipped(reason: str) -> HostInfo:
    """Detection that did not run because it was not needed or could not apply."""
    return HostInfo(None, (), "skipped", (f"detection skipped: {reason}",))


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _from_nvml() -> HostInfo:
    import pynvml  # noqa: PLC0415  # imported here: it costs start-up time and only detection needs it

    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError as exc:
        raise LookupError(f"NVML: {_text(exc)}") from None
    try:
        driver = DriverVersion.parse(_text(pynvml.nvmlSystemGetDriverVersion()))
        cuda = pynvml.nvmlSystemGetCudaDriverVersion_v2()  # e.g. 12040 for 12.4
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(handle)
            memory = pynvml.nvmlDeviceGetMemoryInfo(handle).total // (1024 * 1024)
            gpus.append(
                Gpu(index, _text(pynvml.nvmlDeviceGetName(handle)), ComputeCapability(major, minor), memory)
            )
    except pynvml.NVMLError as exc:  # a driver or library fault after init: this method has no answer
        raise LookupError(f"NVML: {type(exc).__name__}: {_text(exc)}") from None
    finally:
        pynvml.nvmlShutdown()
    cuda_max = cuda_version_text(cuda)
    return HostInfo(driver, tuple(gpus), "nvml", (), cuda_max)


def parse_proc_version(text: str) -> DriverVersion:
    """The driver version in /proc/driver/nvidia/version ("... Kernel Module  535.104.05 ...")."""
    match = _PROC_RE.search(text)
    if not match:
        raise LookupError("no driver version in the NVIDIA kernel module's version file")
    return DriverVersion.parse(match.group(1))


def parse_nvidia_smi_csv(text: str) -> tuple[DriverVersion, tuple[Gpu, ...]]:
    """Parse the output of ``nvidia-smi`` with ``_SMI_QUERY`` and ``--format=csv,noheader,nounits``."""
    driver = None
    gpus = []
    for index, line in enumerate(row for row in text.splitlines() if row.strip()):
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 3:
            raise LookupError(f"unexpected nvidia-smi output line {line!r}")
        driver = DriverVersion.parse(fields[0])
        try:
            capability: ComputeCapability | None = ComputeCapability.parse(fields[1])
        except InvalidOptionError:
            capability = None  # "[N/A]" on drivers older than the compute_cap field
        memory = int(fields[3]) if len(fields) > 3 and fields[3].isdigit() else None
        gpus.append(Gpu(index, fields[2], capability, memory))
    if driver is None:
        raise LookupError("nvidia-smi listed no GPU")
    return driver, tuple(gpus)


def _from_nvidia_smi(executable: str) -> HostInfo:
    import shutil  # noqa: PLC0415  # the last detection method: start-up should not pay for these
    import subprocess  # noqa: PLC0415

    path = shutil.which(executable)
    if path is None:
        raise LookupError(f"{executable}: not found on PATH")
    try:
        result = subprocess.run(
            [path, _SMI_QUERY, "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise LookupError(f"{executable}: {exc}") from None
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise LookupError(f"{executable}: exit {result.returncode}: {message[0] if message else ''}")
    driver, gpus = parse_nvidia_smi_csv(result.stdout)
    return HostInfo(driver, gpus, "nvidia-smi", ())


def _from_proc(path: Path) -> HostInfo:
    try:
        text = path.read_text(errors="replace")
    except OSError as exc:
        raise LookupError(f"{path}: {exc.strerror}") from None
    return HostInfo(parse_proc_version(text), (), "proc", ())


def machine_detection_disabled() -> bool:
    """True when NO_DETECT_VARIABLE is set: this machine's driver is not looked for (NVML, the kernel
    module's file, nvidia-smi on PATH; the probe's libcuda and NVML too), as if it had none. The test
    suite sets it so that its answers do not depend on the machine that runs it."""
    return bool(os.environ.get(NO_DETECT_VARIABLE))


def detect_host(
    *,
    use_nvml: bool = True,
    proc_path: Path = PROC_VERSION,
    nvidia_smi: str | None = "nvidia-smi",
) -> HostInfo:
    """Detect the driver and GPUs; never raises. Arguments let tests point at fixtures (which are read
    even when NO_DETECT_VARIABLE turns off the machine's own sources)."""
    attempts: list[str] = []
    off = machine_detection_disabled()
    methods: Sequence[tuple[str, Any]] = [
        ("nvml", _from_nvml if use_nvml else None),
        ("proc", (lambda: _from_proc(proc_path))),
        ("nvidia-smi", (lambda: _from_nvidia_smi(nvidia_smi)) if nvidia_smi else None),
    ]
    machine = {"nvml": True, "proc": proc_path == PROC_VERSION, "nvidia-smi": nvidia_smi == "nvidia-smi"}
    if off and all(machine[name] for name, method in methods if method is not None):
        return not_detected(f"{NO_DETECT_VARIABLE} is set")
    found: HostInfo | None = None
    for name, method in methods:
        if method is None:
            continue
        if off and machine[name]:
            attempts.append(f"{name}: not looked for ({NO_DETECT_VARIABLE} is set)")
            continue
        try:
            info = method()
        except (LookupError, InvalidOptionError, OSError) as exc:
            attempts.append(f"{name}: {exc}")
            continue
        attempts.append(f"{name}: driver {info.driver}")
        if found is None:
            found = info
        if info.gpus:  # /proc gives the driver only; keep looking for GPUs with nvidia-smi
            found = HostInfo(found.driver, info.gpus, found.method, (), found.cuda_driver_max)
            break
    if found is None:
        return HostInfo(None, (), "none", tuple(attempts))
    return HostInfo(found.driver, found.gpus, found.method, tuple(attempts), found.cuda_driver_max)


@dataclass(frozen=True)
class MachineFacts:
    """The driver and GPUs to resolve for, the detection to report, and notes saying what was assumed."""

    driver: DriverVersion | None
    gpus: tuple[ComputeCapability, ...]
    host: HostInfo
    notes: tuple[str, ...]


def facts_for(
    platform: Platform,
    driver: DriverVersion | None = None,
    gpus: Sequence[ComputeCapability] = (),
    *,
    detect: bool = True,
) -> MachineFacts:
    """What `pins` and every resolving verb resolve for: the driver and GPUs given, and where one is
    missing, what detection finds on this machine (only when ``platform`` is this machine's, and
    ``detect`` is true). The notes say when the answer is a framework's default build for want of facts.
    """
    given_driver, given_gpus = driver, tuple(sorted(set(gpus)))
    found_gpus = given_gpus
    notes: list[str] = []
    host = NOT_DETECTED
    same_machine = platform is host_platform()
    if detect and not same_machine:
        host = skipped(f"resolving for {platform}, not this machine")
        notes.append(f"resolving for {platform}, not this machine: host detection skipped")
    elif detect and (driver is None or not found_gpus):
        host = detect_host()
        driver = driver if driver is not None else host.driver
        found_gpus = found_gpus or host.capabilities
    elif detect:
        host = skipped("--driver and --gpu-arch given")
    host = replace(host, given_driver=given_driver, given_gpus=given_gpus)
    if driver is None and not found_gpus:
        if host.method == "none":
            notes.append(
                "no NVIDIA driver found on this machine: the pins are for each framework's default CUDA "
                "variant; pass --driver and --gpu-arch to resolve for another machine"
            )
        elif platform.has_cuda:
            notes.append("no driver or GPU given: the pins are for each framework's default CUDA variant")
    return MachineFacts(driver, found_gpus, host, tuple(notes))
