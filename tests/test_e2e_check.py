"""`create` and `check` end to end, for real: environments made by `cudnn-resolve create` (uv backend) with
torch 2.14.1 (the CUDA 13 build) and tensorflow[and-cuda] 2.15.1, then real stray nvidia-cudnn wheels
shadowing them.

No GPU here: torch maps its cuDNN at import and reports its versions; TensorFlow maps none without a
GPU, so the probe finds the copy TensorFlow's loader would open (RUNPATH, LD_LIBRARY_PATH) and reads
its version through cuDNN's API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import Run
from .e2e_envs import TENSORFLOW, TORCH, Workspace

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def torch_env(workspace: Workspace) -> Path:
    prefix, report = workspace.create("torch", TORCH)
    assert report["check"]["passed"]  # type: ignore[index]
    assert report["check"]["loaded_cudnn"] == "9.24.0"  # type: ignore[index]
    return prefix


@pytest.fixture(scope="module")
def tf_env(workspace: Workspace) -> Path:
    prefix, report = workspace.create("tf", TENSORFLOW.replace("[and-cuda]", ""))
    assert report["check"]["passed"]  # type: ignore[index]
    assert report["check"]["loaded_cudnn"] == "8.9.4"  # type: ignore[index]
    return prefix


def _check(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, prefix: Path, cudnn: str, **env: str
) -> dict[str, Any]:
    for key in ("LD_PRELOAD", "PYTHONPATH", "LD_LIBRARY_PATH"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    run = cli("check", "-p", str(prefix), "--expect-cudnn", cudnn, "--json")
    body = run.json()
    assert run.code == (0 if body["passed"] else 1)
    return body


def _errors(body: dict[str, Any]) -> set[str]:
    return {f["code"] for f in body["findings"] if f["severity"] == "error"}


def test_torch_clean_env_loads_the_pinned_cudnn(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, torch_env: Path
) -> None:
    manifest = json.loads((torch_env / "cudnn-resolve.json").read_text())
    assert manifest["resolution"]["cudnn_version"] == "9.24.0.43"
    for key in ("LD_PRELOAD", "PYTHONPATH", "LD_LIBRARY_PATH"):
        monkeypatch.delenv(key, raising=False)
    run = cli("check", "-p", str(torch_env), "--json")  # expectations from the manifest create wrote
    assert run.code == 0, run.out
    assert run.json()["expectations"]["cudnn"] == "9.24.0.43"
    body = _check(cli, monkeypatch, torch_env, "9.24.0.43")
    assert body["passed"], body["findings"]
    assert body["loaded_cudnn"] == "9.24.0"
    torch = body["frameworks"]["torch"]
    assert torch["cudnn_compiled"] == "9.24.0"
    # On the CPU here (no driver: FACTS.md); on a GPU machine on the GPU, compared with the CPU.
    assert torch["conv"]["device"] == ("cpu" if not torch["gpu_available"] else "cuda:0")
    assert torch["conv"]["ok"] is True
    libraries = body["libraries"]
    assert all(str(lib["path"]).startswith(str(torch_env)) for lib in libraries)


@pytest.mark.parametrize("variable", ["LD_PRELOAD", "PYTHONPATH"])
def test_torch_older_cudnn_shadow_fails(
    cli: Callable[..., Run],
    monkeypatch: pytest.MonkeyPatch,
    torch_env: Path,
    workspace: Workspace,
    variable: str,
) -> None:
    stray = workspace.wheel_dir("cudnn-9.20", "nvidia-cudnn-cu13==9.20.0.48")
    value = str(stray / "nvidia/cudnn/lib/libcudnn.so.9") if variable == "LD_PRELOAD" else str(stray)
    body = _check(cli, monkeypatch, torch_env, "9.24.0.43", **{variable: value})
    assert not body["passed"]
    errors = _errors(body)
    assert {"cudnn-mismatch", "cudnn-incompatible"} <= errors
    assert ("shadow-ld-preload" if variable == "LD_PRELOAD" else "shadow-pythonpath") in errors


def test_torch_newer_minor_shadow_is_still_reported(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, torch_env: Path, workspace: Workspace
) -> None:
    stray = workspace.wheel_dir("cudnn-9.28", "nvidia-cudnn-cu13==9.28.0.42")
    body = _check(cli, monkeypatch, torch_env, "9.24.0.43", PYTHONPATH=str(stray))
    assert not body["passed"]  # torch accepts 9.28 silently; the pin says 9.24
    assert "cudnn-mismatch" in _errors(body)
    warnings = {f["code"] for f in body["findings"] if f["severity"] == "warning"}
    assert "cudnn-newer-minor" in warnings


def test_tensorflow_clean_env_would_load_its_own_cudnn(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tf_env: Path
) -> None:
    body = _check(cli, monkeypatch, tf_env, "8.9.4.25")
    assert body["passed"], body["findings"]
    (cudnn,) = [lib for lib in body["libraries"] if lib["version"]]
    if body["frameworks"]["tensorflow"]["gpu_available"]:  # a GPU machine: TensorFlow maps it itself
        assert cudnn["source"] == "mapped"
    else:
        assert cudnn["source"] == "would-load"
        assert cudnn["found_by"] == "DT_RUNPATH"
    assert cudnn["version"] == "8.9.4"
    assert str(tf_env) in os.path.realpath(cudnn["path"])


def test_tensorflow_ld_library_path_cudnn_is_reported(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tf_env: Path, workspace: Workspace
) -> None:
    stray = workspace.wheel_dir("cudnn-8.9.7", "nvidia-cudnn-cu12==8.9.7.29")
    body = _check(cli, monkeypatch, tf_env, "8.9.4.25", LD_LIBRARY_PATH=str(stray / "nvidia/cudnn/lib"))
    assert not body["passed"]
    assert {"cudnn-mismatch", "shadow-ld-library-path"} <= _errors(body)
    assert body["loaded_cudnn"] == "8.9.7"


def test_tensorflow_ld_library_path_cuda_runtime_is_reported(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, tf_env: Path, workspace: Workspace
) -> None:
    stray = workspace.wheel_dir("cudart-12.4", "nvidia-cuda-runtime-cu12==12.4.127")
    body = _check(
        cli, monkeypatch, tf_env, "8.9.4.25", LD_LIBRARY_PATH=str(stray / "nvidia/cuda_runtime/lib")
    )
    assert "shadow-ld-library-path" in _errors(body)


def test_tensorflow_2_13_loads_its_cudnn_through_the_preload(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, workspace: Workspace
) -> None:
    """TensorFlow <= 2.13 ships no CUDA: create adds NVIDIA's cu11 wheels and a start-up preload, so the
    environment's cuDNN is mapped with no activation and no LD_LIBRARY_PATH; without the preload the
    environment's own copies are found by nothing."""
    prefix, report = workspace.create("tf213", "tf=2.13")
    assert report["check"]["passed"], report  # type: ignore[index]
    assert report["check"]["loaded_cudnn"] == "8.6.0"  # type: ignore[index]
    assert any("libcudnn.so.8" in lib for lib in report["preloaded_libraries"])  # type: ignore[attr-defined]
    body = _check(cli, monkeypatch, prefix, "8.6.0.163")
    mapped = [lib for lib in body["libraries"] if lib["version"]]
    assert mapped[0]["source"] == "mapped"
    body = _check(cli, monkeypatch, prefix, "8.6.0.163", CUDNN_RESOLVE_NO_PRELOAD="1")
    assert "cudnn-not-found" in _errors(body)


def test_pip_backend_creates_the_same_environment(workspace: Workspace) -> None:
    """python -m venv + pip instead of uv (pip's own configuration and caches apply)."""
    prefix, report = workspace.create("torch-pip", TORCH, backend="pip")
    assert report["plan"]["backend"] == "pip"  # type: ignore[index]
    assert report["check"]["passed"]  # type: ignore[index]
    assert report["check"]["loaded_cudnn"] == "9.24.0"  # type: ignore[index]
    assert (prefix / "bin" / "python").exists()
    head = next(p for p in (prefix / "bin").iterdir() if p.name.startswith("pip")).read_text().splitlines()[0]
    assert head.startswith(f"#!{prefix}/bin/python")  # the final prefix, not the build directory


def test_create_from_a_team_lock(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch, workspace: Workspace
) -> None:
    """lock -> commit -> create --lock: the environment installs exactly the lock and checks against it."""
    lock = workspace.root / "pylock.toml"
    run = cli("lock", TORCH, "--no-detect", "--python", "3.11", "--platform", "linux-64", "-o", str(lock))
    assert run.code == 0, run.err
    prefix = workspace.root / "from-lock"
    run = cli("create", "--lock", str(lock), "-p", str(prefix), "--json")
    assert run.code == 0, run.err
    report = run.json()
    assert report["plan"]["lock"] == str(lock)
    assert report["check"]["passed"]
    assert report["check"]["loaded_cudnn"] == "9.24.0"
    manifest = json.loads((prefix / "cudnn-resolve.json").read_text())
    assert manifest["lock"]["sha256"]
    assert manifest["resolution"]["cudnn_version"] == "9.24.0.43"
    run = cli("create", "torch==2.14.1", "--lock", str(lock), "-p", str(workspace.root / "x"))
    assert run.code == 2  # a request and a lock: one or the other


def test_gpu_validation_script_degrades_to_clear_no_gpu_reports(torch_env: Path, tmp_path: Path) -> None:
    """benchmarks/gpu_validation.sh as the GPU machine runs it (a wheelhouse, a throw-away venv, the target
    environment's own pins), here without a GPU: every report written, each saying there is none."""
    root = Path(__file__).resolve().parent.parent
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    wheelhouse = tmp_path / "wheelhouse"
    built = subprocess.run(
        ["bash", str(root / "benchmarks" / "gpu_wheelhouse.sh"), python, str(wheelhouse)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert built.returncode == 0, built.stderr
    out = tmp_path / "out"
    env = {
        **os.environ,
        "CR_TARGET_PYTHON": str(torch_env / "bin" / "python"),
        "CR_BASE_PYTHON": sys.executable,
        "CR_WHEELHOUSE": str(wheelhouse),
    }
    for key in ("LD_PRELOAD", "PYTHONPATH", "LD_LIBRARY_PATH"):
        env.pop(key, None)
    done = subprocess.run(
        ["bash", str(root / "benchmarks" / "gpu_validation.sh"), str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir()} >= {"summary.md", "summary.json", "doctor.json", "check.json"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["gpu"] == "no GPU: conv ran on the CPU (no nvidia-smi, no driver)"
    assert summary["all_agree"], summary["comparisons"]
    agreed = {c["what"]: c["reported"] for c in summary["comparisons"]}
    assert agreed["loaded cuDNN (probe) vs the wheels' pin"] == "9.24.0"  # torch 2.14.1 pins 9.24.0.43
    assert agreed["torch: no GPU, conv2d ran on the CPU"] == "cpu"
    assert summary["target"]["expected_because"] == "torch 2.14.1 pins nvidia-cudnn-cu13==9.24.0.43"
    check = json.loads((out / "check.json").read_text())
    assert check["passed"]
    assert check["frameworks"]["torch"]["conv"]["device"] == "cpu"
    assert "no GPU: conv ran on the CPU" in (out / "summary.md").read_text()
