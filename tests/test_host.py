"""Host detection: this machine (with or without a driver), and each method against recorded outputs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cudnn_resolve.host import (
    NO_DETECT_VARIABLE,
    detect_host,
    not_detected,
    parse_nvidia_smi_csv,
    parse_proc_version,
)
from cudnn_resolve.versions import ComputeCapability, DriverVersion

FIXTURES = Path(__file__).parent / "fixtures" / "host"


def test_every_failed_method_says_why(tmp_path: Path) -> None:
    # NVML is this machine's (see the next test); the other two methods point at nothing.
    info = detect_host(proc_path=tmp_path / "missing", nvidia_smi="nvidia-smi-not-here")
    assert not info.found
    assert info.method == "none"
    assert info.gpus == ()
    assert info.attempts == (
        f"nvml: not looked for ({NO_DETECT_VARIABLE} is set)",
        f"proc: {tmp_path / 'missing'}: No such file or directory",
        "nvidia-smi: nvidia-smi-not-here: not found on PATH",
    )


def test_real_nvml_answers_or_says_why(monkeypatch: pytest.MonkeyPatch) -> None:
    # This machine's NVML, whichever machine runs the tests: a driver (a GPU machine), or its error
    # (none here or in CI: FACTS.md), never an exception.
    import pynvml

    monkeypatch.delenv(NO_DETECT_VARIABLE)
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        present = False
    else:
        pynvml.nvmlShutdown()
        present = True
    info = detect_host(proc_path=Path(os.devnull) / "x", nvidia_smi=None)
    if present:
        assert info.method == "nvml"
        assert info.attempts[0] == f"nvml: driver {info.driver}"
        assert info.cuda_driver_max
    else:
        assert info.method == "none"
        assert info.attempts[0].startswith("nvml: NVML")


def test_the_variable_turns_off_this_machines_sources_only(tmp_path: Path) -> None:
    # Set for every test (conftest): the machine is not read, recorded outputs still are.
    assert detect_host() == not_detected(f"{NO_DETECT_VARIABLE} is set")
    info = detect_host(use_nvml=False, proc_path=FIXTURES / "proc-version-535.txt", nvidia_smi=None)
    assert str(info.driver) == "535.104.05"


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


def test_an_nvml_fault_after_init_is_an_attempt_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pynvml

    from cudnn_resolve.host import NO_DETECT_VARIABLE, detect_host

    def not_supported() -> str:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)

    monkeypatch.delenv(NO_DETECT_VARIABLE, raising=False)
    monkeypatch.setattr(pynvml, "nvmlInit", lambda: None)
    monkeypatch.setattr(pynvml, "nvmlShutdown", lambda: None)
    monkeypatch.setattr(pynvml, "nvmlSystemGetDriverVersion", not_supported)
    info = detect_host(proc_path=tmp_path / "no-such-file", nvidia_smi=None)
    assert info.driver is None
    assert info.attempts[0].startswith("nvml: NVML: NVMLError")
    assert "Not Supported" in info.attempts[0]
