"""What the commands tell a new user: never what did not happen, never a heading over nothing, the name
of what is missing, and what a bad word should have been."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from cudnn_resolve.cli import main
from cudnn_resolve.host import NO_DETECT_VARIABLE

from .conftest import Run

LINUX = ["--no-detect", "--platform", "linux-64"]


def test_check_with_no_framework_fails_and_says_nothing_was_checked(cli: Callable[..., Run]) -> None:
    # The test interpreter holds no framework: nothing was loaded, no conv ran.
    for conv in ([], ["--no-conv"]):
        run = cli("check", *conv)
        assert run.code == 1, run.out
        assert "nothing was loaded or run, so nothing was checked" in run.out
        assert "conv ran" not in run.out
        assert "verdict: FAIL" in run.out
        body = cli("check", *conv, "--json").json()
        assert body["passed"] is False
        assert [f["code"] for f in body["findings"] if f["severity"] == "error"] == ["no-framework"]


def test_doctor_with_no_framework_says_the_same(cli: Callable[..., Run]) -> None:
    run = cli("doctor", "--no-conv")
    assert run.code == 1, run.out
    assert "nothing was checked" in run.out
    assert "conv ran" not in run.out
    assert "verdict: problems found" in run.out


def test_doctor_says_how_it_looked_for_a_driver(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Detection is switched off for the suite (conftest), and doctor says that rather than "none (none)".
    first = cli("doctor", "--no-conv").out.splitlines()[0]
    assert first == f"driver:     not detected ({NO_DETECT_VARIABLE} is set); GPUs: not detected"
    monkeypatch.delenv(NO_DETECT_VARIABLE)
    lines = cli("doctor", "--no-conv").out.splitlines()
    if lines[0].startswith("driver:     no NVIDIA driver found"):  # this machine (FACTS.md), CI
        assert lines[0] == "driver:     no NVIDIA driver found; GPUs: none"
        assert [line.split(":")[0].strip() for line in lines[1:4]] == ["nvml", "proc", "nvidia-smi"]
    else:  # a GPU machine
        assert re.match(
            r"^driver:     \d+\.\d+(\.\d+)? \(found by (nvml|proc|nvidia-smi)\); GPUs: ", lines[0]
        )
    assert "(none)" not in lines[0]


def test_no_pip_headings_when_nothing_comes_from_pip(cli: Callable[..., Run]) -> None:
    run = cli("pins", "tf=2.10", "--framework-from", "conda", *LINUX)
    assert run.code == 0
    assert "pip requirements:" not in run.out
    assert "pip constraints:" not in run.out
    assert "tensorflow 2.10.0 cuda112py*" in run.out
    assert "pip requirements:" in cli("pins", "tf=2.10", *LINUX).out


@pytest.mark.parametrize(
    "args",
    [
        ["constraints", "tf=2.10", "--framework-from", "conda", *LINUX],
        ["lock", "tf=2.10", "--framework-from", "conda", *LINUX, "-o", "{tmp}/pylock.toml"],
        ["lock", "tf=2.10", "--framework-from", "conda", *LINUX, "--format", "requirements", "-o", "{tmp}/r"],
        ["create", "tf=2.10", "--framework-from", "conda", *LINUX, "--backend", "uv", "-p", "{tmp}/env"],
    ],
)
def test_pip_outputs_refuse_frameworks_from_conda(
    cli: Callable[..., Run], tmp_path: Path, args: list[str]
) -> None:
    # An empty pip file (or venv) is not an answer: say where the packages come from instead.
    run = cli(*[a.replace("{tmp}", str(tmp_path)) for a in args])
    assert run.code == 2, run.out
    assert "with --framework-from conda every package comes from conda-forge" in run.err
    assert "env-file" in run.err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["data", "foo"], "'foo' is not a valid action: choose show, update or reset."),
        (["lock", "tf", "--format", "x"], "'x' is not a valid --format: choose pylock, requirements,"),
        (["nosuch"], "'nosuch' is not a valid verb: choose pins, constraints,"),
        (
            ["pins", "tf", "--data-dir", "/nonexistent"],
            "argument --data-dir: /nonexistent is not a directory",
        ),
    ],
)
def test_bad_words_say_what_they_should_be(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "argument action" not in err


def test_check_names_the_environment_that_does_not_exist(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDNN_RESOLVE_ENVS_DIR", str(tmp_path))
    run = cli("check", "-n", "nosuch")
    assert run.code == 2
    assert f"no environment is named 'nosuch' (looked for {tmp_path / 'nosuch'})" in run.err
    assert "'cudnn-resolve envs' lists them" in run.err
    run = cli("check", "-p", str(tmp_path / "missing"))
    assert run.code == 2
    assert f"no Python interpreter at {tmp_path / 'missing'}: give an environment prefix" in run.err


def test_host_line_says_why_nothing_was_detected(cli: Callable[..., Run]) -> None:
    other = cli("pins", "tf=2.10", "--platform", "win-64").out
    assert "host      not detected (resolving for win-64, not this machine)" in other
    assert "--no-detect" not in other
    assert (
        "host      not detected (--no-detect)"
        in cli("pins", "tf=2.10", "--platform", "win-64", "--no-detect").out
    )
