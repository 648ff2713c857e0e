"""Every verb's --help teaches: it ends with two or three real examples and the documentation's address
(a pip user has no docs/ directory), and each example is a command the parser accepts."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cudnn_resolve.cli import VERBS, main, verb_module
from cudnn_resolve.cli.helptext import DOCS_URL
from cudnn_resolve.cli.parser import build_parser

from .conftest import Run

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SHELL = {"|", ">", "2>&1", "&&", ";"}
# Examples that run offline in a second, without writing outside the working directory: run for real.
RUNNABLE = {"pins", "matrix", "envs", "data show"}


def _help(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def _words(command: str) -> list[str]:
    """The cudnn-resolve arguments of an example shell line (after the program, before a pipe)."""
    words = shlex.split(command.format(prog="PROG"))
    start = words.index("PROG") + 1
    end = next((i for i, w in enumerate(words[start:], start) if w in SHELL), len(words))
    return words[start:end]


def test_documentation_address_is_the_published_one() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["urls"]["Documentation"] == DOCS_URL


@pytest.mark.parametrize("verb", sorted(VERBS))
def test_help_ends_with_examples_and_the_documentation(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    module = verb_module(verb)
    assert 2 <= len(module.EXAMPLES) <= 3
    text = _help(capsys, verb)
    tail = text[text.index("\nexamples:\n") :]
    for command, what in module.EXAMPLES:
        assert command.format(prog="cudnn-resolve") in tail
        assert what.format(prog="cudnn-resolve") in tail
    assert tail.rstrip().endswith(
        f"documentation: {DOCS_URL}/{module.DOCS}\nJSON fields:   {DOCS_URL}/json.md"
    )
    assert (ROOT / "docs" / module.DOCS).is_file()
    assert "docs/json.md" not in text.replace(f"{DOCS_URL}/", "")  # an address, not a repository path


@pytest.mark.parametrize(
    ("verb", "command"), [(verb, c) for verb in sorted(VERBS) for c, _ in verb_module(verb).EXAMPLES]
)
def test_every_example_parses(verb: str, command: str) -> None:
    words = _words(command)
    assert words[0] == verb
    args = build_parser(words).parse_args(words)
    assert args.execute is verb_module(verb).execute


@pytest.mark.parametrize(
    "command",
    [
        c
        for verb in VERBS
        for c, _ in verb_module(verb).EXAMPLES
        if any(" ".join(_words(c)).startswith(r) for r in RUNNABLE)
    ],
)
def test_offline_examples_run(
    command: str, cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CUDNN_RESOLVE_ENVS_DIR", str(tmp_path / "envs"))
    run = cli(*_words(command))
    assert run.code == 0, run.err
    assert run.out


def test_top_level_help_points_at_the_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    text = _help(capsys)
    assert text.rstrip().endswith(f"documentation: {DOCS_URL}")


def test_python_means_a_version_or_an_interpreter_in_every_verb(capsys: pytest.CaptureFixture[str]) -> None:
    for verb in ("pins", "constraints", "env-file", "lock", "create", "check"):
        assert "--python VERSION|PATH" in _help(capsys, verb)
