"""`create` for a release that needs an older Python than the one running cudnn-resolve, for real:
TensorFlow 2.10 (Python 3.7-3.10) created from a 3.11 host with the newest interpreter the finder
locates (pyenv's 3.10 on the development machines: FACTS.md), with its smoke test. It also needs NumPy
1.x, which its metadata does not say (constraints/tensorflow.toml, [[numpy]]): the pins add numpy<2.

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
    return workspace.create("tf210", "tf=2.10")


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


def test_tensorflow_2_10_passes_its_smoke_test(
    tf210: tuple[Path, dict[str, object]], cli: Callable[..., Run]
) -> None:
    # TensorFlow 2.10 requires numpy>=1.20 but was built against NumPy 1.x: with NumPy 2 its import fails
    # ("Unable to convert function return value"). The pins hold numpy<2, so create's smoke test passes.
    prefix, report = tf210
    check = report["check"]
    assert isinstance(check, dict)
    assert check["passed"], report
    assert check["loaded_cudnn"] == "8.5.0"
    assert "numpy<2" in report["plan"]["resolution"]["pip"]["constraints"]  # type: ignore[index]
    site = next((prefix / "lib").glob("python3.*/site-packages"))
    (numpy,) = site.glob("numpy-*.dist-info")
    assert numpy.name.startswith("numpy-1."), numpy.name
    again = cli("check", "-p", str(prefix), "--json")  # what a user runs later
    assert again.code == 0, again.out
    assert again.json()["loaded_cudnn"] == "8.5.0"
