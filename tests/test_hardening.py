"""Bad input and faults: never a traceback, clear errors, nothing half-written, no shell, no secrets."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cudnn_resolve.cli import main
from cudnn_resolve.redact import redact

from .conftest import Run
from .uvtools import network

SRC = Path(__file__).resolve().parent.parent / "src" / "cudnn_resolve"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:s3cret@example.invalid/simple", "https://***@example.invalid/simple"),
        (
            "see http://token@host:8080/x and https://a:b@c/d",
            "see http://***@host:8080/x and https://***@c/d",
        ),
        ("https://download.pytorch.org/whl/cu121", "https://download.pytorch.org/whl/cu121"),
        ("git+ssh://git@host/repo.git", "git+ssh://***@host/repo.git"),
        ("no url here: a@b", "no url here: a@b"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_no_shell_is_ever_invoked() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        source = path.read_text()
        for pattern in (
            r"shell\s*=\s*True",
            r"os\.system\(",
            r"os\.popen\(",
            r"subprocess\.getoutput",
            r"commands\.",
        ):
            if re.search(pattern, source):
                offenders.append(f"{path.name}: {pattern}")
    assert offenders == []


VERBS = st.sampled_from(
    [
        "pins",
        "constraints",
        "env-file",
        "matrix",
        "explain",
        "check",
        "lock",
        "project",
        "create",
        "data",
        "envs",
        "doctor",
    ]
)
WORDS = st.lists(
    st.one_of(
        st.text(max_size=12),
        st.sampled_from(
            [
                "tf=2.10",
                "torch",
                "--json",
                "--platform",
                "win-64",
                "--driver",
                "--gpu-arch",
                "-p",
                "-n",
                "--format",
                "x",
                "--python",
                "3.11",
                "--cuda",
                "--cudnn",
                "9",
            ]
        ),
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(VERBS, WORDS)
def test_every_verb_survives_random_arguments(verb: str, words: list[str]) -> None:
    # Verbs that would reach the network or install are kept to their validating paths.
    argv = [verb, *words]
    if verb in ("create", "project"):
        argv.append("--dry-run")  # project: never edit the pyproject.toml of the directory tests run in
    if verb in ("lock", "data"):
        argv += ["--check", "/nonexistent/lock"] if verb == "lock" else []
        if verb == "data" and words[:1] == ["update"]:
            return
    if verb in ("check", "doctor"):
        return  # they run the probe; their argument errors are covered by test_cli
    out, err = io.StringIO(), io.StringIO()
    stdin, sys.stdin = sys.stdin, io.StringIO("")  # explain reads a log from standard input
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(
                [*argv, "--no-detect"]
                if verb in ("pins", "constraints", "env-file", "create", "project")
                else argv
            )
    except SystemExit as exit_:
        assert exit_.code in (0, 2), (argv, exit_.code)
        return
    finally:
        sys.stdin = stdin
    assert code in (0, 1, 2), (argv, code)
    assert "Traceback" not in err.getvalue()


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, filled up. Needs mount rights (root here and in CI); skipped otherwise."""
    mount = tmp_path / "full"
    mount.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True, check=False
    )
    if result.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here")
    try:
        with (mount / "filler").open("wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * 65536)
            except OSError:
                pass
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_disk_full_while_writing_outputs(cli: Callable[..., Run], full_disk: Path) -> None:
    run = cli(
        "constraints",
        "tf=2.18",
        "--no-detect",
        "-o",
        str(full_disk / "constraints.txt"),
        "--requirements",
        str(full_disk / "requirements.txt"),
    )
    assert run.code == 2
    assert "cannot write" in run.err
    assert "Traceback" not in run.err
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]  # nothing half-written, no temp files


@network[0]
@network[1]
def test_disk_full_during_create(cli: Callable[..., Run], full_disk: Path) -> None:
    (full_disk / "filler").unlink()
    with (full_disk / "filler").open("wb") as handle:  # leave ~200 KiB: room for the venv's first files only
        handle.write(b"\0" * (800 * 1024))
    prefix = full_disk / "env"
    run = cli("create", "torch==2.14.1", "-p", str(prefix), "--no-detect")
    assert run.code in (1, 2), run.err
    assert "Traceback" not in run.err
    assert not prefix.exists()
    assert [
        p.name for p in full_disk.iterdir() if not p.name.startswith((".env.cudnn-resolve.lock", "filler"))
    ] == []


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def test_unreachable_index_with_credentials_is_redacted(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", f"http://alice:s3cret@127.0.0.1:{_closed_port()}/simple")
    monkeypatch.setenv("UV_NO_CACHE", "1")
    out = tmp_path / "pylock.toml"
    run = cli(
        "lock", "torch==2.14.1", "--no-detect", "--python", "3.11", "--platform", "linux-64", "-o", str(out)
    )
    assert run.code == 1
    assert "uv failed to lock" in run.err
    assert "s3cret" not in run.err
    assert "***@127.0.0.1" in run.err or "127.0.0.1" in run.err
    assert not out.exists()


@network[0]
@network[1]
def test_tampered_hash_fails_the_check(cli: Callable[..., Run], tmp_path: Path) -> None:
    lock = tmp_path / "pylock.toml"
    args = ["torch==2.14.1", "--no-detect", "--python", "3.11", "--platform", "linux-64"]
    assert cli("lock", *args, "-o", str(lock)).code == 0
    text = lock.read_text()
    digest = re.search(r'name = "filelock"\nversion = "[^"]+"\n.*?sha256 = "([0-9a-f]{64})"', text, re.S)
    assert digest is not None
    lock.write_text(text.replace(digest.group(1), "0" * 64))
    run = cli("lock", *args, "--check", str(lock))
    assert run.code == 1
    assert "filelock" in run.out
    assert "not one the index has" in run.out
    offline = cli("lock", *args, "--check", str(lock), "--no-verify-hashes")
    assert offline.code == 0  # without the index, only presence of hashes is checked


def test_errors_quote_the_last_lines_of_a_tools_output_without_credentials() -> None:
    from cudnn_resolve.redact import output_tail

    output = "Resolving\n\n  fetching https://user:secret@example.invalid/simple\nerror: no such version\n"
    assert output_tail(output, 2) == "fetching https://***@example.invalid/simple error: no such version"
    assert output_tail("   \n", 3) == "no output"


def test_sigterm_ends_a_check_like_ctrl_c(tmp_path: Path) -> None:
    """A scheduler's cancel or time limit sends SIGTERM: the probe's child stops and its temporary
    directory goes (Python's default for SIGTERM is to die on the spot and leave both)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    calls = tmp_path / "calls"
    interpreter = tmp_path / "python"  # answers the interpreter query, then hangs in the probe
    interpreter.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-c" ]; then printf "CPython 3.11.7 0"; exit 0; fi\n'
        f'echo "$$" > "{calls}"\n'
        "exec sleep 120\n"
    )
    interpreter.chmod(0o755)
    env = {**os.environ, "TMPDIR": str(tmp), "CUDNN_RESOLVE_NO_DETECT": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "cudnn_resolve", "check", "--python", str(interpreter)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not calls.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert calls.exists(), "the probe never started"
        assert list(tmp.glob("cudnn-resolve-probe-*"))
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    assert not list(tmp.iterdir())
    child = int(calls.read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)
