"""Resolve-only checks against the package index through uv (no downloads of whole wheels)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence

import pytest

_LINE = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")

network = [
    pytest.mark.network,
    pytest.mark.skipif(os.environ.get("CUDNN_RESOLVE_OFFLINE") == "1", reason="CUDNN_RESOLVE_OFFLINE=1"),
]


def uv_compile(args: Sequence[str], stdin: str | None = None, python: str = "3.11") -> dict[str, str]:
    """``uv pip compile ARGS`` for CPython ``python`` on manylinux x86_64: resolved name -> version."""
    from uv import find_uv_bin

    result = subprocess.run(
        [
            find_uv_bin(),
            "pip",
            "compile",
            *args,
            "--python-version",
            python,
            "--python-platform",
            "x86_64-manylinux_2_28",
            "--no-header",
            "--no-annotate",
            "--quiet",
        ],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return {m.group(1).lower(): m.group(2) for m in map(_LINE.match, result.stdout.splitlines()) if m}
