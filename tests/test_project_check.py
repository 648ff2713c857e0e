"""`check` on a uv project's environment: the expectations come from the answer `project` wrote into
pyproject.toml, and in the project's directory the project's environment is the one checked.

A real (empty) environment made by `uv venv`, probed by the real probe: it holds no framework, so the
check fails naming what the project pins. A synced project that passes is in test_e2e_project.py.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from uv import find_uv_bin

from cudnn_resolve.cli.options import host_platform_name

from .conftest import Run


@pytest.fixture
def project(cli: Callable[..., Run], tmp_path: Path) -> Path:
    """A project configured for torch 2.14.1 on this platform, with an empty .venv."""
    args = ["torch==2.14.1", "--no-detect", "--platform", str(host_platform_name())]
    assert cli("project", *args, "--path", str(tmp_path)).code == 0
    subprocess.run(
        [find_uv_bin(), "venv", "-q", "--python", sys.executable, str(tmp_path / ".venv")],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return tmp_path


def _fails_on_the_project_pins(run: Run, project: Path) -> None:
    assert run.code == 1, run.err
    body = run.json()
    assert body["python"]["prefix"] == str(project / ".venv")
    assert body["expectations"]["source"] == f"the project {project / 'pyproject.toml'}"
    assert body["expectations"]["cudnn"] == "9.24.0.43"
    assert body["expectations"]["frameworks"] == [{"name": "torch", "version": "2.14.1"}]
    missing = [f for f in body["findings"] if f["code"] == "framework-missing"]
    assert missing
    assert "PyTorch 2.14.1 is not installed" in missing[0]["message"]


def test_check_p_venv_reads_the_project(cli: Callable[..., Run], project: Path) -> None:
    _fails_on_the_project_pins(cli("check", "-p", str(project / ".venv"), "--no-conv", "--json"), project)


def test_check_in_the_project_directory(
    cli: Callable[..., Run], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.delenv("UV_PROJECT_ENVIRONMENT", raising=False)
    _fails_on_the_project_pins(cli("check", "--no-conv", "--json"), project)
    run = cli("check", "--no-conv", "--no-manifest", "--json")  # no expectations: nothing pinned is missing
    assert run.json()["expectations"]["cudnn"] is None


def test_project_without_its_environment(
    cli: Callable[..., Run], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    monkeypatch.setenv("UV_PROJECT_ENVIRONMENT", "elsewhere")
    run = cli("check", "--no-conv")
    assert run.code == 2
    assert "is a uv project and its environment" in run.err
    assert "Create it with 'uv sync'" in run.err
