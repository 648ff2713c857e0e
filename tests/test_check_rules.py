"""`check`'s rules on probe reports: each finding from the situation that produces it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cudnn_resolve.data import load_knowledge_base
from cudnn_resolve.probe import parse_report
from cudnn_resolve.verify import Expectations, Severity, compatible, evaluate, matches

PREFIX = "/envs/x"
SITE = f"{PREFIX}/lib/python3.11/site-packages"


def _report(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "python": {"version": "3.11.7", "executable": f"{PREFIX}/bin/python", "prefix": PREFIX},
        "platform": {"machine": "x86_64"},
        "env": {},
        "driver": {"cuda_driver_version": None, "error": "libcuda.so.1: cannot open shared object file"},
        "nvml": {"driver": None, "gpus": [], "error": "libnvidia-ml.so.1: cannot open"},
        "frameworks": {
            "torch": {
                "version": "2.14.1+cu130",
                "cuda_compiled": "13.0",
                "cudnn_compiled": "9.24.0",
                "cudnn_runtime": "9.24.0",
                "arch_list": ["sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"],
                "gpu_available": False,
                "conv": {"device": "cpu", "gpu": None, "ok": True, "cpu_ms": 12.0},
            }
        },
        "libraries": [
            {
                "path": f"{SITE}/nvidia/cudnn/lib/libcudnn.so.9",
                "name": "libcudnn.so.9",
                "dir": f"{SITE}/nvidia/cudnn/lib",
                "source": "mapped",
                "version": "9.24.0",
            },
            {
                "path": f"{SITE}/nvidia/cudnn/lib/libcudnn_graph.so.9",
                "name": "libcudnn_graph.so.9",
                "dir": f"{SITE}/nvidia/cudnn/lib",
                "source": "mapped",
            },
        ],
        "loader_cache": [],
        "errors": [],
    }
    raw.update(overrides)
    return raw


def _codes(raw: dict[str, Any], expected: Expectations | None = None) -> dict[str, Severity]:
    verdict = evaluate(load_knowledge_base(), parse_report(raw), expected or Expectations())
    return {f.code: f.severity for f in verdict.findings}


def test_clean_environment_passes() -> None:
    codes = _codes(_report(), Expectations(cudnn="9.24.0.43", frameworks=(("torch", "2.14.1"),)))
    assert Severity.ERROR not in codes.values()
    assert codes["no-gpu"] is Severity.INFO
    assert codes["conv-cpu"] is Severity.INFO


@pytest.mark.parametrize(
    ("loaded", "expected", "ok"),
    [
        ("9.24.0", "9.24.0.43", True),
        ("9.24.0", "9.24", True),
        ("9.24.0", "9", True),
        ("9.20.0", "9.24.0.43", False),
        ("8.9.4", "8.9.4.25", True),
        ("8.9.7", "8.9.4.25", False),
    ],
)
def test_matches(loaded: str, expected: str, ok: bool) -> None:
    assert matches(loaded, expected) is ok


@pytest.mark.parametrize(
    ("loaded", "compiled", "ok"),
    [
        ("9.28.0", "9.24.0", True),
        ("9.20.0", "9.24.0", False),
        ("8.9.7", "9", False),
        ("9.3.0", "9", True),
        ("8.0.5", "8.1.0", False),
    ],
)
def test_compatible_is_the_frameworks_rule(loaded: str, compiled: str, ok: bool) -> None:
    assert compatible(loaded, compiled) is ok


def test_older_runtime_than_build_is_an_error() -> None:
    raw = _report()
    raw["frameworks"]["torch"]["cudnn_runtime"] = "9.20.0"
    raw["libraries"][0]["version"] = "9.20.0"
    assert _codes(raw)["cudnn-incompatible"] is Severity.ERROR


def test_newer_minor_is_a_warning_and_a_pin_mismatch() -> None:
    raw = _report()
    raw["frameworks"]["torch"]["cudnn_runtime"] = "9.28.0"
    raw["libraries"][0]["version"] = "9.28.0"
    codes = _codes(raw, Expectations(cudnn="9.24.0.43"))
    assert codes["cudnn-newer-minor"] is Severity.WARNING
    assert codes["cudnn-mismatch"] is Severity.ERROR


def test_framework_import_error_is_reported() -> None:
    raw = _report(
        frameworks={"torch": {"error": "ImportError: libcudnn.so.9: cannot open shared object file"}},
        errors=[{"section": "torch_info", "error": "ImportError: libcudnn.so.9: cannot open"}],
    )
    codes = _codes(raw)
    assert codes["framework-import-failed"] is Severity.ERROR


def test_missing_framework_from_manifest() -> None:
    raw = _report(frameworks={}, libraries=[])
    codes = _codes(raw, Expectations(frameworks=(("torch", "2.14.1"),)))
    assert codes["framework-missing"] is Severity.ERROR
    assert codes["no-framework"] is Severity.ERROR


def test_no_cudnn_anywhere() -> None:
    raw = _report(libraries=[])
    assert _codes(raw)["cudnn-not-found"] is Severity.ERROR


def test_tensorflow_ld_library_path_copy_is_an_error(tmp_path: Path) -> None:
    shadow = tmp_path / "cuda-12.0" / "lib64"
    shadow.mkdir(parents=True)
    (shadow / "libcudart.so.12").write_bytes(b"")
    raw = _report(
        env={"LD_LIBRARY_PATH": str(shadow)},
        frameworks={
            "tensorflow": {
                "version": "2.15.1",
                "cuda_compiled": "12.2",
                "cudnn_compiled": "8",
                "arch_list": ["sm_75", "compute_80"],
                "conv": {"device": "cpu", "ok": True},
            }
        },
        libraries=[
            {
                "path": f"{SITE}/nvidia/cudnn/lib/libcudnn.so.8",
                "name": "libcudnn.so.8",
                "dir": f"{SITE}/nvidia/cudnn/lib",
                "source": "would-load",
                "version": "8.9.4",
                "found_by": "DT_RUNPATH",
            }
        ],
    )
    codes = _codes(raw)
    assert codes["shadow-ld-library-path"] is Severity.ERROR


def test_torch_ignores_ld_library_path(tmp_path: Path) -> None:
    shadow = tmp_path / "lib"
    shadow.mkdir()
    (shadow / "libcudnn.so.9").write_bytes(b"")
    assert _codes(_report(env={"LD_LIBRARY_PATH": str(shadow)}))["shadow-ld-library-path"] is Severity.INFO


def test_system_copy_tensorflow_would_load() -> None:
    raw = _report(
        frameworks={
            "tensorflow": {
                "version": "2.10.1",
                "cuda_compiled": "11.2",
                "cudnn_compiled": "8",
                "conv": {"device": "cpu", "ok": True},
            }
        },
        libraries=[
            {
                "path": "/usr/lib/x86_64-linux-gnu/libcudnn.so.8",
                "name": "libcudnn.so.8",
                "dir": "/usr/lib/x86_64-linux-gnu",
                "source": "would-load",
                "version": "8.0.5",
                "found_by": "ld.so cache",
            }
        ],
    )
    codes = _codes(raw)
    assert codes["shadow-system-copy"] is Severity.ERROR
    assert (
        codes["cudnn-incompatible"] is Severity.ERROR
    )  # 8.0.5 for a TensorFlow built with 8.x: loaded via the rule


def _with_gpu(raw: dict[str, Any], cc: str, driver: str) -> dict[str, Any]:
    raw["nvml"] = {
        "driver": driver,
        "gpus": [{"index": 0, "name": "GPU", "compute_capability": cc}],
        "error": None,
    }
    raw["driver"] = {"cuda_driver_version": "13.0", "error": None}
    return raw


def test_driver_too_old_for_the_cuda_build() -> None:
    codes = _codes(_with_gpu(_report(), "8.6", "535.104.05"))
    assert codes["driver-too-old"] is Severity.ERROR
    assert "no-gpu" not in codes


def test_gpu_arch_not_built() -> None:
    codes = _codes(_with_gpu(_report(), "7.0", "580.65.06"))
    assert codes["gpu-arch-unsupported"] is Severity.ERROR


def test_newer_gpu_runs_with_binary_compatibility() -> None:
    codes = _codes(_with_gpu(_report(), "8.9", "580.65.06"))  # sm_86 kernels run on 8.9
    assert "gpu-arch-unsupported" not in codes


def test_gpu_conv_mismatch() -> None:
    raw = _with_gpu(_report(), "8.6", "580.65.06")
    raw["frameworks"]["torch"]["conv"] = {"device": "cuda:0", "gpu": "RTX", "ok": False, "max_abs_diff": 0.5}
    assert _codes(raw)["conv-mismatch"] is Severity.ERROR
