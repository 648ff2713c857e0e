"""`create` for a release that needs an older Python than the one running cudnn-resolve, for real:
TensorFlow 2.10 (Python 3.7-3.10) created from a 3.11 host with the newest interpreter the finder
locates (pyenv's 3.10 on the development machines: FACTS.md), then checked.

Downloads TensorFlow 2.10.1 and NVIDIA's CUDA 11 wheels (~1.5 GB) into the shared uv cache once.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from cudnn_resolve.envs.python_finder import Interpreter, NoMatchingPythonError, find_python
from cudnn_resolve.uvtool import find_uv

from .conftest import Run
from .e2e_envs import Workspace

pytestmark = pytest.mark.e2e
TF_2_10_PYTHONS = SpecifierSet(">=3.7,<3.11")


@pytest.fixture(scope="module")
def older_python() -> Interpreter:
    if TF_2_10_PYTHONS.contains(".".join(map(str, sys.version_info[:3]))):
        pytest.skip("the Python running the tests can run TensorFlow 2.10 itself")
    try:
        return find_python(TF_2_10_PYTHONS)
    except NoMatchingPythonError:
        pytest.skip("no Python 3.7-3.10 on this machine")


@pytest.fixture(scope="module")
def tf210(workspace: Workspace, older_python: Interpreter) -> tuple[Path, dict[str, object]]:
    return workspace.create("tf210", "tf=2.10", "--no-check")


def test_create_uses_the_newest_python_the_release_allows(
    tf210: tuple[Path, dict[str, object]], older_python: Interpreter
) -> None:
    prefix, report = tf210
    plan = report["plan"]
    assert isinstance(plan, dict)
    assert plan["python"] == str(older_python.path)
    assert (
        plan["resolution"]["python_version"] == f"{older_python.version.major}.{older_python.version.minor}"
    )
    version = subprocess.run(
        [str(prefix / "bin" / "python"), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == plan["resolution"]["python_version"]
    site = next((prefix / "lib").glob("python3.*/site-packages"))
    assert (site / "tensorflow-2.10.1.dist-info").is_dir()
    assert (site / "nvidia_cudnn_cu11-8.5.0.96.dist-info").is_dir()


@pytest.mark.xfail(
    strict=True,
    reason="TensorFlow <= 2.11 wheels require numpy without an upper bound but were built against NumPy "
    "1.x: with NumPy 2 their import fails, so the smoke test fails; the pins need numpy<2 (data, not yet)",
)
def test_tensorflow_2_10_passes_its_smoke_test(workspace: Workspace, older_python: Interpreter) -> None:
    workspace.create("tf210-checked", "tf=2.10")


def test_with_numpy_1_the_environment_passes_check(
    tf210: tuple[Path, dict[str, object]], cli: Callable[..., Run]
) -> None:
    # What stands between TensorFlow 2.10 and a passing smoke test is NumPy 2 alone.
    prefix, _ = tf210
    failed = cli("check", "-p", str(prefix), "--no-conv", "--json")
    assert failed.code == 1
    errors = [f for f in failed.json()["findings"] if f["severity"] == "error"]
    assert [f["code"] for f in errors] == ["framework-import-failed"]
    assert "Unable to convert function return value" in errors[0]["message"]  # the cause, shown
    python = str(prefix / "bin" / "python")
    subprocess.run([find_uv(), "pip", "install", "-q", "--python", python, "numpy<2"], check=True)
    passed = cli("check", "-p", str(prefix), "--json")
    assert passed.code == 0, passed.out
    assert passed.json()["loaded_cudnn"] == "8.5.0"
