"""The suite on a machine with an NVIDIA driver, here: a stand-in driver (NVML, libcuda, nvidia-smi built by
tests/native) put where programs look for one. It proves that detection reads it, through the real
nvidia-ml-py and the probe's ctypes calls, and that the tests which read host facts pass with a driver
present (they failed there before the suite controlled them). The real GPU machine is the final word."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cudnn_resolve.host import NO_DETECT_VARIABLE

from .native.fakes import fake_driver

ROOT = Path(__file__).resolve().parent.parent
# The test files that read host facts (driver, GPUs) somewhere.
HOST_READING = ["test_host.py", "test_probe.py", "test_cli.py", "test_binary.py", "test_messages.py"]


@pytest.fixture
def driver_machine(tmp_path: Path) -> dict[str, str]:
    libs, bin_dir = fake_driver(tmp_path / "driver")
    env = {k: v for k, v in os.environ.items() if k != NO_DETECT_VARIABLE}
    env["LD_LIBRARY_PATH"] = str(libs)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    return env


def test_detection_reads_the_driver(driver_machine: dict[str, str]) -> None:
    doctor = subprocess.run(
        [sys.executable, "-m", "cudnn_resolve", "doctor", "--no-conv", "--json"],
        capture_output=True,
        text=True,
        env=driver_machine,
        check=False,
    )
    body = json.loads(doctor.stdout)
    assert body["host"]["method"] == "nvml"
    assert body["host"]["driver"] == "550.54.14"
    assert body["host"]["gpus"] == [{"name": "NVIDIA A10", "compute_capability": "8.6"}]
    probe = body["environment"]
    assert probe["driver"] == "550.54.14"
    assert probe["cuda_driver"] == "12.4"


def test_host_reading_tests_pass_with_a_driver(driver_machine: dict[str, str]) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "not network and not e2e",
            *(str(ROOT / "tests" / name) for name in HOST_READING),
        ],
        capture_output=True,
        text=True,
        env=driver_machine,
        cwd=ROOT,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout
