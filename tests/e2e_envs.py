"""Real environments for end-to-end tests, shared by a test session and deleted at its end.

Wheels come through uv's cache (UV_CACHE_DIR, reused across runs: a warm install takes seconds); the
environments themselves live in one temporary directory removed when the session finishes, so repeated
runs do not fill the disk.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from uv import find_uv_bin

TORCH = "torch==2.14.1"  # the CUDA 13.0 build on the package index (nvidia-cudnn-cu13 9.24.0.43)
TENSORFLOW = "tensorflow[and-cuda]==2.15.1"  # pins nvidia-cudnn-cu12 8.9.4.25


class Workspace:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cudnn-resolve-e2e-"))

    def uv(self, *args: str) -> None:
        subprocess.run([find_uv_bin(), *args], check=True, timeout=1800, capture_output=True, text=True)

    def create(self, name: str, *request: str, backend: str = "uv") -> tuple[Path, dict[str, object]]:
        """``cudnn-resolve create`` as a user runs it; returns the prefix and its --json report."""
        prefix = self.root / name
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "cudnn_resolve",
                "create",
                *request,
                "-p",
                str(prefix),
                "--no-detect",
                "--backend",
                backend,
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
        assert result.returncode == 0, result.stderr + result.stdout
        report: dict[str, object] = json.loads(result.stdout)
        return prefix, report

    def venv(self, name: str, *requirements: str) -> Path:
        prefix = self.root / name
        self.uv("venv", "-q", "--python", sys.executable, str(prefix))
        self.uv(
            "pip",
            "install",
            "-q",
            "--compile-bytecode",
            "--python",
            str(prefix / "bin" / "python"),
            *requirements,
        )
        return prefix

    def wheel_dir(self, name: str, requirement: str) -> Path:
        """A wheel unpacked outside any environment (``uv pip install --target``): a stray copy."""
        target = self.root / name
        self.uv(
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            "--python-version",
            "3.11",
            "--python-platform",
            "x86_64-manylinux_2_28",
            requirement,
        )
        return target

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
