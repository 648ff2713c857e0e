"""Laws of the pyproject editor, over generated project files (hypothesis): the result is TOML that keeps
every table and dependency it does not manage, a second run changes nothing, and a run for another
request followed by the first one's again gives back the first one's configuration (the dependencies
it replaced included)."""

from __future__ import annotations

import sys
from functools import cache

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cudnn_resolve import Request, ResolutionImpossibleError, parse_frameworks, resolve
from cudnn_resolve.versions import Platform
from cudnn_resolve.writers.pyproject import ProjectEdit, ProjectFileError, edit_pyproject
from cudnn_resolve.writers.uvproject import UvProjectConfig, requirement_name, uv_project_config

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

REQUESTS = ["tf=2.10", "tf=2.15", "tf=2.18", "torch==2.14.1", "torch==2.4.1+cu118", "jax=0.6"]
PLATFORMS = [("linux-64",), ("linux-64", "win-64"), ("osx-arm64", "linux-64")]
DEPENDENCIES = [
    "numpy>=1.26",
    "torch>=2.0",
    "requests",
    "tensorflow<2.16",
    "mylib",
    "scipy ; python_version >= '3.10'",
]


@cache
def config(request: str, platforms: tuple[str, ...]) -> UvProjectConfig | None:
    """The configuration, or None where a platform has no answer (TensorFlow's CUDA builds on Windows)."""
    try:
        resolutions = [resolve(Request(parse_frameworks([request]), platform=Platform(p))) for p in platforms]
    except ResolutionImpossibleError:
        return None
    return uv_project_config(resolutions, f"cudnn-resolve project {request}")


@st.composite
def pyprojects(draw: st.DrawFn) -> str | None:
    if draw(st.booleans()) and draw(st.booleans()):
        return None  # no file yet
    lines = ["# a comment the user wrote"] if draw(st.booleans()) else []
    if draw(st.booleans()):
        lines += ["[project]", 'name = "app"', 'version = "1.0"']
        python = draw(st.sampled_from([None, ">=3.8", ">=3.10", ">=3.11.4", ">=3.9,<3.12", "~=3.10"]))
        if python:
            lines.append(f'requires-python = "{python}"')
        deps = draw(st.lists(st.sampled_from(DEPENDENCIES), unique=True, max_size=4))
        if draw(st.booleans()):
            lines += ["dependencies = [", *[f'    "{d}",  # why' for d in deps], "]"]
        else:
            lines.append("dependencies = [" + ", ".join(f'"{d}"' for d in deps) + "]")
        lines.append("")
    if draw(st.booleans()):
        lines += ["[tool.uv]", 'constraint-dependencies = ["numpy<2"]', ""]
    if draw(st.booleans()):
        lines += ["[tool.uv.sources]", 'mylib = { path = "../mylib" }', ""]
    if draw(st.booleans()):
        lines += ["[tool.ruff]", "line-length = 100  # wide", ""]
    return "\n".join(lines) + "\n"


def _edit(text: str | None, request: str, platforms: tuple[str, ...]) -> ProjectEdit | None:
    answer = config(request, platforms)
    assume(answer is not None)
    assert answer is not None
    try:
        return edit_pyproject(text, answer, "app", "pyproject.toml")
    except ProjectFileError:
        return None


def _content(text: str) -> dict[str, object]:
    """The document, dependencies as a set: a round trip may put a restored dependency elsewhere."""
    doc = tomllib.loads(text)
    doc["project"]["dependencies"] = sorted(doc["project"]["dependencies"])
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pyprojects(), st.sampled_from(REQUESTS), st.sampled_from(REQUESTS), st.sampled_from(PLATFORMS))
def test_editor_laws(text: str | None, first: str, second: str, platforms: tuple[str, ...]) -> None:
    edit = _edit(text, first, platforms)
    if edit is None:
        return  # refused (a requires-python with no Python in common): covered in test_project.py
    doc = tomllib.loads(edit.text)
    before = tomllib.loads(text or "")
    if "ruff" in before.get("tool", {}):
        assert doc["tool"]["ruff"] == before["tool"]["ruff"]
        assert "line-length = 100  # wide" in edit.text
    ours = {requirement_name(d) for d in config(first, platforms).dependencies}  # type: ignore[union-attr]
    theirs = [d for d in before.get("project", {}).get("dependencies", []) if requirement_name(d) not in ours]
    assert [d for d in doc["project"]["dependencies"] if d in theirs] == theirs
    if "constraint-dependencies" in before.get("tool", {}).get("uv", {}):
        assert doc["tool"]["uv"]["constraint-dependencies"][0] == "numpy<2"
    again = _edit(edit.text, first, platforms)
    assert again is not None
    assert again.text == edit.text
    other = _edit(edit.text, second, platforms)
    if other is not None:
        back = _edit(other.text, first, platforms)
        assert back is not None
        assert _content(back.text) == _content(edit.text)
