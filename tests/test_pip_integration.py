"""`constraints` output installs exactly the resolved set: resolved through uv against the real index.

Resolve-only (uv resolves in about a second from wheel metadata; nothing is installed or downloaded
whole). For TensorFlow 2.21, whose [and-cuda] ranges would pull the newest cuDNN 9.x, the constraints
must hold the tested 9.3.0.75.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.version import Version

from .conftest import Run
from .uvtools import network, uv_compile

pytestmark = network


@pytest.mark.parametrize(
    ("request_text", "python", "framework", "cudnn"),
    [
        ("tensorflow==2.15.1", "3.11", ("tensorflow", "2.15.1"), ("nvidia-cudnn-cu12", "8.9.4.25")),
        ("tf=2.18", "3.11", ("tensorflow", "2.18.1"), ("nvidia-cudnn-cu12", "9.3.0.75")),
        ("tensorflow==2.21.0", "3.11", ("tensorflow", "2.21.0"), ("nvidia-cudnn-cu12", "9.3.0.75")),
        ("torch==2.14.1", "3.11", ("torch", "2.14.1"), ("nvidia-cudnn-cu13", "9.24.0.43")),
        ("tf=2.10", "3.10", ("tensorflow", "2.10.1"), ("nvidia-cudnn-cu11", "8.5.0.96")),
    ],
)
def test_requirements_with_constraints_resolve_to_the_pins(
    cli: Callable[..., Run],
    tmp_path: Path,
    request_text: str,
    python: str,
    framework: tuple[str, str],
    cudnn: tuple[str, str],
) -> None:
    con, req = tmp_path / "constraints.txt", tmp_path / "requirements.txt"
    run = cli(
        "constraints",
        request_text,
        "--python",
        python,
        "--platform",
        "linux-64",
        "--no-detect",
        "-o",
        str(con),
        "--requirements",
        str(req),
        "--json",
    )
    assert run.code == 0, run.err
    answer = run.json()["resolution"]
    resolved = uv_compile([str(req), "-c", str(con)], python=python)
    assert resolved[framework[0]] == framework[1]
    name, _ = cudnn
    assert resolved[name] == answer["cudnn_version"]
    assert resolved[name] == cudnn[1]
    # Every pin the constraints hold is what got resolved, where the package is part of the install.
    for line in con.read_text().splitlines():
        if line and not line.startswith("#"):
            pinned, _, version = line.partition("==")
            if pinned.lower() in resolved:
                assert Version(resolved[pinned.lower()]) == Version(version), line
