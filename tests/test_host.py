"""Host detection: the real (driverless) machine, and each method against recorded outputs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cudnn_resolve.host import detect_host, parse_nvidia_smi_csv, parse_proc_version
from cudnn_resolve.versions import ComputeCapability, DriverVersion

FIXTURES = Path(__file__).parent / "fixtures" / "host"


def test_this_machine_has_no_driver_and_says_why(tmp_path: Path) -> None:
    # No GPU, driver or nvidia-smi here or in CI (FACTS.md): every method must fail and be reported.
    info = detect_host(proc_path=tmp_path / "missing", nvidia_smi="nvidia-smi-not-here")
    assert not info.found
    assert info.method == "none"
    assert info.gpus == ()
    assert [a.split(":")[0] for a in info.attempts] == ["nvml", "proc", "nvidia-smi"]
    assert "not found" in info.attempts[-1]


@pytest.mark.parametrize(
    ("fixture", "driver"),
    [("proc-version-535.txt", "535.104.05"), ("proc-version-open-550.txt", "550.54.14")],
)
def test_proc_version_file(fixture: str, driver: str) -> None:
    assert parse_proc_version((FIXTURES / fixture).read_text()) == DriverVersion.parse(driver)
    info = detect_host(use_nvml=False, proc_path=FIXTURES / fixture, nvidia_smi=None)
    assert info.method == "proc"
    assert str(info.driver) == driver


def test_proc_version_without_a_version() -> None:
    with pytest.raises(LookupError):
        parse_proc_version("NVRM version: something else entirely")


def test_nvidia_smi_csv() -> None:
    driver, gpus = parse_nvidia_smi_csv((FIXTURES / "nvidia-smi-query.csv").read_text())
    assert str(driver) == "550.54.14"
    assert [g.capability for g in gpus] == [ComputeCapability(8, 6), ComputeCapability(7, 5)]
    assert gpus[1].name == "Tesla T4"
    assert gpus[0].memory_mib == 24576


def test_nvidia_smi_without_compute_cap_field() -> None:
    _, gpus = parse_nvidia_smi_csv("470.57.02, [N/A], Tesla K80, 11441\n")
    assert gpus[0].capability is None


def _fake_smi(tmp_path: Path, body: str) -> str:
    """An executable standing in for nvidia-smi that prints a recorded answer (or fails)."""
    script = tmp_path / "nvidia-smi"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_nvidia_smi_subprocess_adds_gpus_to_the_proc_driver(tmp_path: Path) -> None:
    smi = _fake_smi(tmp_path, f"cat {FIXTURES / 'nvidia-smi-query.csv'}")
    info = detect_host(use_nvml=False, proc_path=FIXTURES / "proc-version-535.txt", nvidia_smi=smi)
    # The kernel module answered first (driver); nvidia-smi supplied the GPUs.
    assert info.method == "proc"
    assert str(info.driver) == "535.104.05"
    assert info.capabilities == (ComputeCapability(7, 5), ComputeCapability(8, 6))


def test_nvidia_smi_failure_is_reported(tmp_path: Path) -> None:
    smi = _fake_smi(
        tmp_path,
        "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.' >&2; exit 9",
    )
    info = detect_host(use_nvml=False, proc_path=tmp_path / "missing", nvidia_smi=smi)
    assert not info.found
    assert "exit 9" in info.attempts[-1]
    assert "could not communicate" in info.attempts[-1]


def test_nvml_is_really_absent_here() -> None:
    import pynvml

    with pytest.raises(pynvml.NVMLError):
        pynvml.nvmlInit()
    info = detect_host(proc_path=Path(os.devnull) / "x", nvidia_smi=None)
    assert info.attempts[0].startswith("nvml: NVML")
