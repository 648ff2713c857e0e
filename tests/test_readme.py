"""README.md opens with the two commands a new user runs (CI runs them verbatim), and its console examples
show what the commands really print."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import Run

ROOT = Path(__file__).resolve().parent.parent


def _first_commands() -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.DOTALL)
    return [b.strip() for b in blocks[:2]]


def test_readme_starts_with_the_main_job_and_the_tests() -> None:
    main_job, tests = _first_commands()
    assert "cudnn-resolve pins" in main_job
    assert "pytest" in tests


def test_ci_runs_both_readme_commands_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in _first_commands():
        assert command in ci


def _console_examples() -> list[tuple[str, list[str]]]:
    """Each `$ cudnn-resolve ...` of the README's console blocks with the output shown under it."""
    examples = []
    for block in re.findall(r"```console\n(.*?)\n```", (ROOT / "README.md").read_text(), flags=re.DOTALL):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, *shown = chunk.splitlines()
            examples.append((command, shown))
    return examples


def _pattern(shown: list[str]) -> str:
    """A line `...` (however indented) stands for any number of lines; every other line is literal."""
    parts = ["(?:.*\\n)*?" if line.strip() == "..." else re.escape(line) + "\\n" for line in shown]
    return "".join(parts)


@pytest.mark.parametrize(("command", "shown"), _console_examples())
def test_readme_examples_show_real_output(command: str, shown: list[str], cli: Callable[..., Run]) -> None:
    words = shlex.split(command)
    assert words[0] == "cudnn-resolve"
    run = cli(*words[1:])
    output = "".join(line + "\n" for line in (run.out + run.err).rstrip("\n").splitlines())
    assert re.fullmatch(_pattern(shown), output), output


def test_readme_has_console_examples() -> None:
    assert len(_console_examples()) >= 2
