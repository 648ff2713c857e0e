"""`project`: the answer written into a uv project's pyproject.toml, offline.

Golden files (tests/fixtures/project/CASE.before.toml -> CASE.golden.toml; regenerate with
CUDNN_RESOLVE_UPDATE_GOLDEN=1 and review the diff), idempotence, a run for another request replacing the
earlier one, the user's own entries kept, and every bad input refused with exit 2 and nothing written.
That uv reads these files the way we mean is proven with the real uv in test_project_uv.py.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

from cudnn_resolve.cli.project import recorded_command
from cudnn_resolve.writers.pyproject import ProjectFileError, merge_requires_python

from .conftest import Run

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

GOLDEN = Path(__file__).parent / "fixtures" / "project"
UPDATE = os.environ.get("CUDNN_RESOLVE_UPDATE_GOLDEN") == "1"
LINUX = "--no-detect --platform linux-64"
CASES = {
    "new-tf-2.15": f"tf=2.15 {LINUX}",
    "team-project": "torch==2.4.1+cu118 --no-detect --platform linux-64 --platform win-64",
    "requires-python": f"jax=0.6 {LINUX}",
}
TEAM = (GOLDEN / "team-project.before.toml").read_text()


def _project(cli: Callable[..., Run], directory: Path, *args: str) -> Run:
    return cli("project", *args, "--path", str(directory))


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, cli: Callable[..., Run], tmp_path: Path) -> None:
    before = GOLDEN / f"{case}.before.toml"
    directory = tmp_path / "demo"  # a new project is named after its directory
    if before.exists():
        directory.mkdir()
        (directory / "pyproject.toml").write_text(before.read_text())
    run = _project(cli, directory, *shlex.split(CASES[case]))
    assert run.code == 0, run.err
    text = (directory / "pyproject.toml").read_text()
    golden = GOLDEN / f"{case}.golden.toml"
    if UPDATE:
        golden.write_text(text)
    assert text == golden.read_text(), f"{golden.name} differs; see the module docstring"


def test_the_users_file_is_kept(cli: Callable[..., Run], tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(TEAM)
    run = _project(cli, tmp_path, *shlex.split(CASES["team-project"]))
    assert "replaced your dependency 'torch>=2.0'" in run.out
    text = (tmp_path / "pyproject.toml").read_text()
    for line in TEAM.splitlines():
        if not any(edited in line for edited in ("torch>=2.0", "requires-python", "constraint-dep")):
            assert line in text, line  # every other line, comments included, as the user wrote it
    doc = tomllib.loads(text)
    assert doc["project"]["dependencies"] == ["numpy>=1.26", "torch==2.4.1", "mylib"]
    assert doc["project"]["requires-python"] == ">=3.9,<3.13"
    uv = doc["tool"]["uv"]
    assert uv["constraint-dependencies"][0] == "numpy<2"
    assert '    "numpy<2",\n    "torch==2.4.1+cu118 ; ' in text  # one entry a line, the user's first
    assert uv["sources"]["mylib"] == {"path": "../mylib", "editable": True}
    linux_or_windows = (
        "(sys_platform == 'linux' and platform_machine == 'x86_64') or "
        "(sys_platform == 'win32' and platform_machine == 'AMD64')"
    )
    assert uv["sources"]["torch"] == [{"index": "pytorch-cu118", "marker": linux_or_windows}]
    assert uv["index"] == [
        {"name": "pytorch-cu118", "url": "https://download.pytorch.org/whl/cu118", "explicit": True}
    ]
    assert f"torch==2.4.1+cu118 ; {linux_or_windows}" in uv["constraint-dependencies"]
    answer = {a["platform"]: a for a in doc["tool"]["cudnn-resolve"]["answer"]}
    assert answer["linux-64"]["cudnn"] == "9.1.0.70"
    assert answer["win-64"]["driver-min"] == "452.39"


def test_a_second_run_changes_nothing(cli: Callable[..., Run], tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(TEAM)
    args = shlex.split(CASES["team-project"])
    assert _project(cli, tmp_path, *args).code == 0
    first = (tmp_path / "pyproject.toml").read_bytes()
    stamp = (tmp_path / "pyproject.toml").stat().st_mtime_ns
    run = _project(cli, tmp_path, *args, "--json")
    assert run.code == 0
    assert run.json()["changed"] is False
    assert run.json()["written"] is False
    assert (tmp_path / "pyproject.toml").read_bytes() == first
    assert (tmp_path / "pyproject.toml").stat().st_mtime_ns == stamp


def test_another_request_replaces_the_earlier_one(cli: Callable[..., Run], tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(TEAM)
    torch = shlex.split(CASES["team-project"])
    assert _project(cli, tmp_path, *torch).code == 0
    with_torch = (tmp_path / "pyproject.toml").read_text()
    run = _project(cli, tmp_path, *shlex.split(f"tf=2.18 {LINUX}"))
    assert "restored your dependency 'torch>=2.0' (an earlier run had replaced it)" in run.out
    doc = tomllib.loads((tmp_path / "pyproject.toml").read_text())
    assert doc["project"]["dependencies"] == [
        "numpy>=1.26",
        "torch>=2.0",  # the team's own, back now that the answer no longer names torch
        "tensorflow[and-cuda]==2.18.1",
        "mylib",
    ]
    assert doc["project"]["requires-python"] == ">=3.9,<3.13"
    constraints = doc["tool"]["uv"]["constraint-dependencies"]
    assert constraints[0] == "numpy<2"
    assert not [c for c in constraints if c.startswith("torch")]
    assert (
        "nvidia-cudnn-cu12==9.3.0.75 ; sys_platform == 'linux' and platform_machine == 'x86_64'"
        in constraints
    )
    assert list(doc["tool"]["uv"]["sources"]) == ["mylib"]
    assert "index" not in doc["tool"]["uv"]
    assert doc["tool"]["uv"]["required-environments"] == [
        "sys_platform == 'linux' and platform_machine == 'x86_64'"
    ]
    assert _project(cli, tmp_path, *torch).code == 0
    assert (tmp_path / "pyproject.toml").read_text() == with_torch


def test_the_answers_numpy_pin_sits_beside_the_users(cli: Callable[..., Run], tmp_path: Path) -> None:
    # The team constrains numpy itself (numpy<2); TensorFlow 2.10's answer adds its own numpy<2 (built
    # against NumPy 1.x). Reruns and a run for another request must leave the team's entry alone.
    (tmp_path / "pyproject.toml").write_text(TEAM)
    ours = "numpy<2 ; sys_platform == 'linux' and platform_machine == 'x86_64'"
    assert _project(cli, tmp_path, *shlex.split(f"tf=2.10 {LINUX}")).code == 0
    first = (tmp_path / "pyproject.toml").read_text()
    assert tomllib.loads(first)["tool"]["uv"]["constraint-dependencies"][:2] == ["numpy<2", ours]
    assert _project(cli, tmp_path, *shlex.split(f"tf=2.10 {LINUX}")).code == 0
    assert (tmp_path / "pyproject.toml").read_text() == first
    assert _project(cli, tmp_path, *shlex.split(f"tf=2.18 {LINUX}")).code == 0
    constraints = tomllib.loads((tmp_path / "pyproject.toml").read_text())["tool"]["uv"][
        "constraint-dependencies"
    ]
    assert [c for c in constraints if c.startswith("numpy")] == ["numpy<2"]


def test_dry_run_shows_the_diff_and_writes_nothing(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = _project(cli, tmp_path, *shlex.split(f"torch==2.14.1 {LINUX}"), "--dry-run")
    assert run.code == 0
    assert run.out.startswith("--- /dev/null\n+++ ")
    assert '+dependencies = ["torch==2.14.1"]' in run.out
    assert "(dry run: nothing written)" in run.out
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "pyproject.toml").write_text(TEAM)
    run = _project(cli, tmp_path, *shlex.split(f"torch==2.14.1 {LINUX}"), "--dry-run")
    assert '-    "torch>=2.0",   # replaced by the exact build\n+    "torch==2.14.1",' in run.out
    assert (tmp_path / "pyproject.toml").read_text() == TEAM


def test_the_recorded_command_leaves_out_how_it_ran() -> None:
    argv = ["cudnn-resolve", "project", "tf=2.15", "--path", "x", "--dry-run", "--path=y", "--json"]
    assert recorded_command(argv) == "cudnn-resolve project tf=2.15"


def test_permissions_kept_and_no_temporary_left(cli: Callable[..., Run], tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_text(TEAM)
    path.chmod(0o640)
    assert _project(cli, tmp_path, *shlex.split(f"tf=2.18 {LINUX}")).code == 0
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["pyproject.toml"]


CU118 = "torch==2.4.1+cu118"
BAD = {  # case: (pyproject.toml, request, what the message must say)
    "not TOML": ("[project\nname = 1\n", CU118, "it is not valid TOML"),
    "hand-written torch source": (
        TEAM.replace('mylib = { path = "../mylib", editable = true }', 'torch = { index = "pytorch-cpu" }'),
        CU118,
        "routes torch to {'index': 'pytorch-cpu'}; the answer needs torch from pytorch-cu118",
    ),
    "source for a default build": (
        '[project]\nname = "x"\n[tool.uv.sources]\ntorch = { index = "pytorch-cu126" }\n',
        "torch==2.14.1",
        "the answer needs torch from the default index",
    ),
    "index of the same name elsewhere": (
        '[project]\nname = "x"\n[[tool.uv.index]]\nname = "pytorch-cu118"\nurl = "https://mirror.example/cu118"\n',
        CU118,
        "[[tool.uv.index]] 'pytorch-cu118' is",
    ),
    "constraint excluding the pin": (
        '[project]\nname = "x"\n[tool.uv]\nconstraint-dependencies = ["nvidia-cudnn-cu12<9"]\n',
        "tf=2.18",
        "[tool.uv] constraint-dependencies holds 'nvidia-cudnn-cu12<9', which excludes the pinned "
        "nvidia-cudnn-cu12==9.3.0.75",
    ),
    "override excluding the pin": (
        '[project]\nname = "x"\n[tool.uv]\noverride-dependencies = ["torch==2.5.0"]\n',
        CU118,
        "[tool.uv] override-dependencies holds 'torch==2.5.0', which excludes the pinned torch==2.4.1+cu118",
    ),
    "dependency excluding the pin": (
        '[project]\nname = "x"\ndependencies = ["tensorflow", "nvidia-cudnn-cu12>=9.5"]\n',
        "tf=2.18",
        "[project] dependencies holds 'nvidia-cudnn-cu12>=9.5', which excludes the pinned",
    ),
    "dynamic dependencies": (
        '[project]\nname = "x"\ndynamic = ["dependencies"]\n',
        CU118,
        "[project] declares dependencies dynamic",
    ),
    "requires-python outside the answer": (
        '[project]\nname = "x"\nrequires-python = ">=3.13"\n',
        CU118,
        "the project requires Python >=3.13 and the answer runs on Python >=3.8,<3.13 only",
    ),
    "dependencies not a list": (
        '[project]\nname = "x"\ndependencies = "torch"\n',
        CU118,
        "dependencies is not a list",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_and_writes_nothing(case: str, cli: Callable[..., Run], tmp_path: Path) -> None:
    text, request, message = BAD[case]
    (tmp_path / "pyproject.toml").write_text(text)
    run = _project(cli, tmp_path, request, "--no-detect", "--platform", "linux-64")
    assert run.code == 2, run.out
    assert message in run.err
    assert run.err.startswith(f"cudnn-resolve: error: cannot update {tmp_path / 'pyproject.toml'}: ")
    assert "Traceback" not in run.err
    assert (tmp_path / "pyproject.toml").read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["pyproject.toml"]


def test_path_naming_another_file_is_bad_input(cli: Callable[..., Run], tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("")
    run = _project(cli, tmp_path / "setup.cfg", "tf=2.18", "--no-detect")
    assert run.code == 2
    assert "is a file, not a project directory" in run.err


@pytest.mark.parametrize(
    ("theirs", "ours", "merged"),
    [
        (None, ">=3.10,<3.15", ">=3.10,<3.15"),
        (">=3.9", ">=3.10,<3.15", ">=3.10,<3.15"),
        (">=3.11", ">=3.10,<3.15", ">=3.11,<3.15"),
        (">=3.11.4", ">=3.10,<3.15", ">=3.11.4,<3.15"),
        (">=3.10,<3.12", ">=3.9,<3.13", ">=3.10,<3.12"),  # already narrower: kept as written
        (">= 3.10, != 3.11.*", ">=3.9,<3.13", ">=3.10,!=3.11.*,<3.13"),
    ],
)
def test_requires_python_is_narrowed(theirs: str | None, ours: str, merged: str) -> None:
    assert merge_requires_python(theirs, SpecifierSet(ours), "pyproject.toml") == merged


def test_requires_python_with_no_common_version_is_refused() -> None:
    with pytest.raises(
        ProjectFileError, match=r"requires Python >=3\.12 and the answer runs on Python >=3\.9,<3\.12 only"
    ):
        merge_requires_python(">=3.12", SpecifierSet(">=3.9,<3.12"), "pyproject.toml")
