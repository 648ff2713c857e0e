"""Finding a Python: where interpreters live (PATH, pyenv, conda, uv, the py launcher), the newest a range
allows, and --python as a version or a path in every verb.

Where the search is tested, the machine is replaced by a layout under tmp_path whose "interpreters" are
stand-ins answering the finder's one question (implementation, version, free-threading); that they
answer as real interpreters do is tested against the real ones (this Python, and pyenv's where present).
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from cudnn_resolve.envs import python_finder
from cudnn_resolve.envs.python_finder import (
    NoMatchingPythonError,
    ask,
    find_python,
    installed,
    parse_py_launcher,
)

from .conftest import Run

PYENV = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"


def _standin(path: Path, version: str, implementation: str = "CPython", free_threaded: str = "0") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nprintf "{implementation} {version} {free_threaded}"\n')
    path.chmod(path.stat().st_mode | stat.S_IEXEC | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty machine: a home, an empty PATH directory, no pyenv, no conda, no uv-managed Pythons."""
    home, bin_dir = tmp_path / "home", tmp_path / "bin"
    home.mkdir()
    bin_dir.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    monkeypatch.setenv("UV_PYTHON_INSTALL_DIR", str(tmp_path / "uv-pythons"))
    for name in ("CONDA_EXE", "CONDA_PREFIX", "CONDA_ENVS_PATH", "CONDA_ENVS_DIRS", "VIRTUAL_ENV"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_real_interpreters_answer_the_question() -> None:
    this = ask(sys.executable, "this Python")
    assert this is not None
    assert this.version == Version(".".join(map(str, sys.version_info[:3])))
    real = sorted(PYENV.glob("*/bin/python")) if PYENV.is_dir() else []
    for python in real:  # FACTS.md: pyenv holds 2.7 and 3.6-3.13 on the development machines
        answer = ask(python, "pyenv")
        if python.parent.parent.name[0].isdigit():
            assert answer is not None, python
            assert str(answer.version) == python.parent.parent.name


def test_finds_pythons_where_they_live(machine: Path) -> None:
    _standin(machine / "bin" / "python3.9", "3.9.18")
    _standin(machine / "shims" / "python3.8", "3.8.1")  # a shim answers for one version only: skipped
    os.environ["PATH"] += os.pathsep + str(machine / "shims")
    _standin(machine / "pyenv" / "versions" / "3.10.13" / "bin" / "python3", "3.10.13")
    listed = machine / "conda-envs-listed" / "tf"
    _standin(listed / "bin" / "python", "3.7.16")
    (machine / "home" / ".conda").mkdir()
    (machine / "home" / ".conda" / "environments.txt").write_text(f"{listed}\n")
    _standin(machine / "condarc-envs" / "old" / "bin" / "python", "3.6.15")
    (machine / "home" / ".condarc").write_text(f"envs_dirs:\n  - {machine / 'condarc-envs'}\n")
    _standin(machine / "home" / "miniforge3" / "bin" / "python", "3.12.1")
    _standin(machine / "home" / "miniforge3" / "envs" / "new" / "bin" / "python", "3.13.0")
    _standin(machine / "bin" / "pypy3", "3.10.14", implementation="PyPy")  # not CPython: no wheels
    _standin(machine / "bin" / "python3.13t", "3.13.0", free_threaded="1")  # free-threaded: other wheels
    found = {(str(i.version), i.found_by) for i in installed()}
    assert {
        ("3.9.18", "PATH"),
        ("3.10.13", "pyenv"),
        ("3.7.16", "conda"),
        ("3.6.15", "conda"),
        ("3.12.1", "conda"),
        ("3.13.0", "conda"),
    } <= found
    assert not {v for v, _ in found} & {"3.8.1", "3.10.14"}
    assert ("3.13.0", "PATH") not in found


def test_the_newest_allowed_is_chosen(machine: Path) -> None:
    for version in ("3.8.18", "3.10.13", "3.9.18"):
        _standin(machine / "pyenv" / "versions" / version / "bin" / "python3", version)
    tf210 = SpecifierSet(">=3.7,<3.11")
    assert str(find_python(tf210).version) == "3.10.13"
    assert str(find_python(tf210, "3.8").version) == "3.8.18"
    path = machine / "pyenv" / "versions" / "3.9.18" / "bin" / "python3"
    assert find_python(tf210, str(path)).path == path


def test_none_allowed_says_what_was_found_and_what_to_install(machine: Path) -> None:
    _standin(machine / "bin" / "python3.12", "3.12.1")
    with pytest.raises(NoMatchingPythonError) as raised:
        find_python(SpecifierSet(">=3.7,<3.11"), prefer="3.10")
    message = str(raised.value)
    assert "no Python >=3.7,<3.11 interpreter was found" in message
    assert "3.12.1 (PATH)" in message
    assert "Install Python 3.10, the newest allowed" in message  # not the oldest (3.7)
    assert "--python PATH" in message
    assert "--backend rattler" in message


def test_py_launcher_lists_paths() -> None:
    # `py --list-paths` (Python 3.11+'s launcher) and `py -0p` (older launchers), as printed on Windows.
    text = (
        " -V:3.12 *        C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python312\\python.exe\n"
        " -V:3.10          C:\\Python310\\python.exe\n"
        " -V:ContinuumAnalytics/Anaconda39-64 C:\\Users\\me\\anaconda3\\python.exe\n"
        " -3.9-64        C:\\Program Files\\Python39\\python.exe\n"
    )
    assert [str(p).replace("/", "\\") for p in parse_py_launcher(text)] == [
        "C:\\Users\\me\\AppData\\Local\\Programs\\Python\\Python312\\python.exe",
        "C:\\Python310\\python.exe",
        "C:\\Users\\me\\anaconda3\\python.exe",
        "C:\\Program Files\\Python39\\python.exe",
    ]


def test_python_option_takes_a_version_or_a_path_everywhere(cli: Callable[..., Run], machine: Path) -> None:
    python310 = _standin(machine / "pyenv" / "versions" / "3.10.13" / "bin" / "python3", "3.10.13")
    linux = ["--no-detect", "--platform", "linux-64"]
    by_path = cli("pins", "tf=2.10", "--python", str(python310), *linux, "--json").json()
    by_version = cli("pins", "tf=2.10", "--python", "3.10", *linux, "--json").json()
    assert by_path["python_version"] == by_version["python_version"] == "3.10"
    run = cli("create", "tf=2.10", "-p", str(machine / "env"), *linux, "--dry-run", "--json")
    assert run.code == 0, run.err
    assert run.json()["plan"]["python"] == str(python310)  # found in pyenv, not through its shims
    run = cli(
        "create", "tf=2.10", "-p", str(machine / "env"), "--python", str(python310), *linux, "--dry-run"
    )
    assert run.code == 0, run.err
    assert not (machine / "env").exists()


def test_python_option_that_is_neither(cli: Callable[..., Run], tmp_path: Path) -> None:
    not_python = tmp_path / "notes.txt"
    not_python.write_text("hello\n")
    for verb in (
        ["pins", "tf=2.10"],
        ["check"],
        ["create", "tf=2.10", "-p", str(tmp_path / "env"), "--dry-run"],
    ):
        run = cli(*verb, "--python", str(not_python))
        assert run.code == 2, run.err
        assert "is not a working CPython interpreter" in run.err
    run = cli("pins", "tf=2.10", "--python", "three")
    assert run.code == 2
    assert "expected a Python version such as 3.11, or an interpreter" in run.err


def test_create_with_no_python_allowed_fails_before_touching_anything(
    cli: Callable[..., Run], machine: Path
) -> None:
    # TensorFlow 2.10 supports Python 3.7-3.10; this empty machine has only the Python running the tests.
    if ask(sys.executable, "") is not None and Version(".".join(map(str, sys.version_info[:2]))) < Version(
        "3.11"
    ):
        pytest.skip("the Python running the tests can run TensorFlow 2.10")
    run = cli("create", "tf=2.10", "-p", str(machine / "env"), "--no-detect")
    assert run.code == 1
    assert "no Python >=3.7,<3.11 interpreter was found" in run.err
    assert "Install Python 3.10, the newest allowed" in run.err
    assert not (machine / "env").exists()


def test_a_named_version_found_nearby_does_not_run_uv(machine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--python 3.10` with a 3.10 on PATH: uv's list (most of a second) is not asked; without one there,
    it is, and a uv-managed 3.10 is used."""
    asked: list[str] = []

    def uv_list() -> Iterator[Path]:
        asked.append("uv")
        yield managed

    managed = _standin(machine / "uv-pythons" / "cpython-3.10.16" / "bin" / "python3", "3.10.16")
    monkeypatch.setattr(python_finder, "_uv", uv_list)
    _standin(machine / "bin" / "python3.10", "3.10.13")
    tf210 = SpecifierSet(">=3.7,<3.11")
    assert str(find_python(tf210, "3.10").version) == "3.10.13"
    assert asked == []
    assert str(find_python(tf210).version) == "3.10.16"  # no version named: every source, newest wins
    assert asked == ["uv"]
    (machine / "bin" / "python3.10").unlink()
    assert find_python(tf210, "3.10").path == managed
    assert asked == ["uv", "uv"]
