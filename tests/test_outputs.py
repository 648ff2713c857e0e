"""Where output goes: files get the mode a user's umask gives, and a closed or full standard output is an
answer (exit 0 or 2, one line), never a traceback, for every verb."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cudnn_resolve.cli import VERBS
from cudnn_resolve.fileio import write_files

from .conftest import Run

LINUX = ["--no-detect", "--platform", "linux-64"]


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_022")
def test_new_files_get_the_umask_mode(cli: Callable[..., Run], tmp_path: Path) -> None:
    outputs = [tmp_path / "constraints.txt", tmp_path / "requirements.txt", tmp_path / "environment.yml"]
    con, req, env = outputs
    assert cli("constraints", "tf=2.18", *LINUX, "-o", str(con), "--requirements", str(req)).code == 0
    assert cli("env-file", "tf=2.10", *LINUX, "-o", str(env)).code == 0
    assert {p.name: oct(_mode(p)) for p in outputs} == {p.name: "0o644" for p in outputs}


def test_another_umask_is_followed(tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        write_files([(tmp_path / "a.txt", "a\n")])
    finally:
        os.umask(previous)
    assert oct(_mode(tmp_path / "a.txt")) == "0o640"


@pytest.mark.usefixtures("umask_022")
def test_a_replaced_file_keeps_its_mode(cli: Callable[..., Run], tmp_path: Path) -> None:
    shared, public = tmp_path / "shared.txt", tmp_path / "public.txt"
    shared.write_text("old\n")
    shared.chmod(0o664)
    public.write_text("old\n")
    public.chmod(0o644)
    assert cli("constraints", "tf=2.18", *LINUX, "-o", str(shared), "--requirements", str(public)).code == 0
    assert "tensorflow==2.18" in shared.read_text()
    assert (oct(_mode(shared)), oct(_mode(public))) == ("0o664", "0o644")


# One command per verb that writes to standard output, offline. {tmp} is a scratch directory.
VERB_COMMANDS = {
    "pins": ["pins", "tf=2.10", *LINUX],
    "constraints": ["constraints", "tf=2.10", *LINUX],
    "env-file": ["env-file", "tf=2.10", *LINUX],
    "lock": ["lock", "tf=2.10", *LINUX, "--check", "{tmp}/requirements.lock.txt", "--no-verify-hashes"],
    "create": ["create", "tf=2.15", *LINUX, "-p", "{tmp}/env", "--dry-run"],
    "envs": ["envs"],
    "check": ["check", "--no-conv"],
    "doctor": ["doctor", "--no-conv"],
    "explain": ["explain", "{tmp}/error.log"],
    "matrix": ["matrix"],
    "data": ["data", "show"],
    "project": ["project", "tf=2.10", *LINUX, "--path", "{tmp}", "--dry-run"],
    "dockerfile": ["dockerfile", "--help"],  # writing one needs the package index (its lock)
    "image": ["image"],
    "fleet": ["fleet", "check", "--help"],  # its own output needs a Slurm cluster (tests/test_fleet.py)
    "--help": ["--help"],
}


def test_every_verb_has_a_stream_case() -> None:
    assert set(VERBS) <= set(VERB_COMMANDS)


def _command(verb: str, tmp: Path) -> list[str]:
    (tmp / "requirements.lock.txt").write_text("tensorflow==2.10.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    (tmp / "error.log").write_text("Could not load dynamic library 'libcudnn.so.8'\n")
    words = [w.replace("{tmp}", str(tmp)) for w in VERB_COMMANDS[verb]]
    return [sys.executable, "-m", "cudnn_resolve", *words]


def _run(verb: str, tmp: Path, stdout: int) -> subprocess.CompletedProcess[str]:
    """``cudnn-resolve`` with the verb's command, standard output on the file descriptor ``stdout``."""
    return subprocess.run(
        _command(verb, tmp),
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CUDNN_RESOLVE_ENVS_DIR": str(tmp / "envs")},
        check=False,
    )


@pytest.mark.parametrize("verb", sorted(VERB_COMMANDS))
def test_full_standard_output(verb: str, tmp_path: Path) -> None:
    # /dev/full: every write fails with ENOSPC, as on a full disk.
    with open("/dev/full", "w") as full:
        result = _run(verb, tmp_path, full.fileno())
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        "cudnn-resolve: error: cannot write the output: No space left on device. Free some space on its "
        "device, or redirect it elsewhere"
    ]


@pytest.mark.parametrize("verb", sorted(VERB_COMMANDS))
def test_closed_standard_output(verb: str, tmp_path: Path) -> None:
    # `cudnn-resolve VERB | head -1` once head has exited: the pipe's reading end is closed before the
    # command writes anything, so its first write fails with EPIPE.
    read, write = os.pipe()
    os.close(read)
    try:
        result = _run(verb, tmp_path, write)
    finally:
        os.close(write)
    assert "Traceback" not in result.stderr
    assert "Exception ignored" not in result.stderr
    assert result.returncode == 141, result.stderr  # 128 + SIGPIPE, as a shell reports `yes | head`
    assert result.stderr == ""
