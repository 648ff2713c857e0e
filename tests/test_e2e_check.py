"""`check` end to end, for real: uv environments with torch 2.14.1 (CUDA 13 build) and
tensorflow[and-cuda] 2.15.1, and real stray nvidia-cudnn wheels shadowing them.

No GPU here: torch maps its cuDNN at import and reports its versions; TensorFlow maps none without a
GPU, so the probe finds the copy TensorFlow's loader would open (RUNPATH, LD_LIBRARY_PATH) and reads
its version through cuDNN's API.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Run
from .e2e_envs import TENSORFLOW, TORCH, Workspace

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def workspace() -> Iterator[Workspace]:
    space = Workspace()
    yield space
    space.close()


@pytest.fixture(scope="module")
def torch_env(workspace: Workspace) -> Path:
    return workspace.venv("torch", TORCH)


@pytest.fixture(scope="module")
def tf_env(workspace: Workspace) -> Path:
    return workspace.venv("tf", TENSORFLOW)


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
    body = _check(cli, monkeypatch, torch_env, "9.24.0.43")
    assert body["passed"], body["findings"]
    assert body["loaded_cudnn"] == "9.24.0"
    torch = body["frameworks"]["torch"]
    assert torch["cudnn_compiled"] == "9.24.0"
    assert torch["conv"]["device"] == "cpu"
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
