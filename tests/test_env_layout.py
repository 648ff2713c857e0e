"""Where an environment's interpreter is: one answer for create, check, the finder and the backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from cudnn_resolve.env_layout import backend_python, env_python, find_env_python
from cudnn_resolve.probe import NoInterpreterError, interpreter_of


@pytest.mark.parametrize(
    ("backend", "windows", "expected"),
    [
        ("uv", False, "bin/python"),
        ("pip", False, "bin/python"),
        ("conda", False, "bin/python"),
        ("rattler", False, "bin/python"),
        ("uv", True, "Scripts/python.exe"),
        ("pip", True, "Scripts/python.exe"),
        ("conda", True, "python.exe"),  # a conda environment's Python is at its root on Windows
        ("rattler", True, "python.exe"),
    ],
)
def test_each_backend_has_its_layout(backend: str, windows: bool, expected: str) -> None:
    assert backend_python(Path("/env"), backend, windows=windows) == Path("/env") / expected
    assert env_python(Path("/env"), conda=backend in ("conda", "rattler"), windows=windows) == Path(
        "/env", expected
    )


@pytest.mark.parametrize("layout", ["bin/python", "bin/python3", "python.exe", "Scripts/python.exe"])
def test_an_existing_environment_is_found_whatever_its_kind(tmp_path: Path, layout: str) -> None:
    python = tmp_path / layout
    python.parent.mkdir(parents=True, exist_ok=True)
    python.write_text("")
    assert find_env_python(tmp_path) == python
    assert interpreter_of(tmp_path) == python


def test_no_interpreter_is_bad_input(tmp_path: Path) -> None:
    assert find_env_python(tmp_path) is None
    with pytest.raises(NoInterpreterError):
        interpreter_of(tmp_path)
