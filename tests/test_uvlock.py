"""Reading a uv.lock for one platform: the graph walk `uv sync` does, on a lock written the way uv writes
them (several versions of a package told apart by resolution-markers, edges with markers, extras,
dependency groups): tests/fixtures/uvlock/uv.lock. Real locks made by the real uv are read in
test_project_uv.py."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.version import Version

from cudnn_resolve.lock import read_lock
from cudnn_resolve.lock.check import LockFileError

from .conftest import Run

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

LOCK = (Path(__file__).parent / "fixtures" / "uvlock" / "uv.lock").read_text()


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    path = tmp_path / "uv.lock"
    path.write_text(LOCK)
    tomllib.loads(LOCK)  # the fixture itself is valid TOML
    return path


def test_linux_gets_the_cuda_build_and_what_it_pulls(lock: Path) -> None:
    locked = read_lock(lock, "linux-64", Version("3.11"))
    assert locked.kind == "uv-lock"
    assert locked.pins == {
        "demo": "0.1.0",
        "torch": "2.4.1+cu118",
        "nvidia-cudnn-cu11": "9.1.0.70",
        "tensorflow": "2.15.1",
        "nvidia-cudnn-cu12": "8.9.4.25",
        "mylib": "0.3.0",
        "pytest": "8.3.0",
    }
    assert locked.unhashed == ("nvidia-cudnn-cu12",)  # the project and an editable have nothing to hash
    assert locked.hashes[("torch", "2.4.1+cu118")] == frozenset({"bb"})


def test_markers_select_per_platform_and_python(lock: Path) -> None:
    mac = read_lock(lock, "osx-arm64", Version("3.11")).pins
    assert mac["torch"] == "2.4.1"
    assert "nvidia-cudnn-cu11" not in mac
    assert "nvidia-cudnn-cu12" not in mac
    aarch64 = read_lock(lock, "linux-aarch64", Version("3.11")).pins
    assert aarch64["torch"] == "2.4.1+cu118"
    assert "nvidia-cudnn-cu11" not in aarch64  # its edge holds on x86_64 only
    assert "tensorflow" not in read_lock(lock, "linux-64", Version("3.12")).pins
    # a Python the lock does not cover is read as the newest one it does (3.12 here)
    assert "tensorflow" not in read_lock(lock, "linux-64", Version("3.14")).pins


def test_not_a_uv_lock(tmp_path: Path) -> None:
    path = tmp_path / "uv.lock"
    path.write_text("version = 1\n[options]\n")
    with pytest.raises(LockFileError, match="it has no"):
        read_lock(path, "linux-64", Version("3.11"))


def test_create_refuses_a_uv_lock(cli: Callable[..., Run], lock: Path, tmp_path: Path) -> None:
    run = cli("create", "--lock", str(lock), "-p", str(tmp_path / "env"))
    assert run.code == 2
    assert "is a uv project's lock. Install it with uv itself ('uv sync'" in run.err
    assert not (tmp_path / "env").exists()
