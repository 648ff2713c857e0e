"""A uv project end to end, as a team uses it: `project`, then the real `uv lock` and `uv sync`, then
`lock --check uv.lock` and `check` on the synced environment (TensorFlow 2.15 with [and-cuda]: the
same wheels as the other end-to-end tests, from the shared uv cache).

No GPU here: TensorFlow maps no cuDNN without one, so the probe finds the copy TensorFlow would load and
reads its version through cuDNN's API (as in test_e2e_check.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from uv import find_uv_bin

from .conftest import Run

pytestmark = pytest.mark.e2e
REQUEST = ["tf=2.15", "--no-detect", "--platform", "linux-64"]


@pytest.fixture(scope="module")
def synced() -> Iterator[Path]:
    """A project made by `project tf=2.15`, locked and synced by uv; deleted afterwards."""
    root = Path(tempfile.mkdtemp(prefix="cudnn-resolve-e2e-project-"))
    try:
        made = subprocess.run(
            [sys.executable, "-m", "cudnn_resolve", "project", *REQUEST, "--path", str(root)],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        for step in (["lock"], ["sync", "--compile-bytecode"]):
            done = subprocess.run(
                [find_uv_bin(), *step, "--python", sys.executable, "--directory", str(root)],
                capture_output=True,
                text=True,
                timeout=3600,
                check=False,
            )
            assert done.returncode == 0, done.stderr
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_lock_matches_the_answer(cli: Callable[..., Run], synced: Path) -> None:
    run = cli("lock", *REQUEST, "--check", str(synced / "uv.lock"))
    assert run.code == 0, run.out


def test_the_synced_environment_loads_the_pinned_cudnn(
    cli: Callable[..., Run], synced: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in ("LD_PRELOAD", "PYTHONPATH", "LD_LIBRARY_PATH", "UV_PROJECT_ENVIRONMENT"):
        monkeypatch.delenv(key, raising=False)
    run = cli("check", "-p", str(synced / ".venv"), "--json")
    body = run.json()
    assert run.code == 0, body["findings"]
    assert body["expectations"]["source"] == f"the project {synced / 'pyproject.toml'}"
    assert body["expectations"]["cudnn"] == "8.9.4.25"
    assert body["loaded_cudnn"] == "8.9.4"
    assert body["frameworks"]["tensorflow"]["version"] == "2.15.1"
    monkeypatch.chdir(synced)  # in the project's directory, its environment is the one checked
    here = cli("check", "--no-conv", "--json")
    assert here.code == 0
    assert here.json()["python"]["prefix"] == str(synced / ".venv")
