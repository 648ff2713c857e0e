"""README.md opens with the two commands a new user runs; CI must run the second one verbatim."""

from __future__ import annotations

import re
from pathlib import Path

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
