"""Running uv: resolution against the package index, through uv's own configuration.

uv is a dependency (it ships its binary in a wheel); a uv on PATH is used when the wheel's is absent.
The index is whatever uv is configured for (UV_INDEX_URL, uv.toml, requirements-file index lines): we
never name one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from .errors import CudnnResolveError, UsageError
from .redact import output_tail
from .versions import Platform

# uv's --python-platform names for our platforms. manylinux_2_28 is the floor current CUDA wheels of
# torch and TensorFlow are tagged with; older manylinux2014 wheels remain installable under it.
UV_PLATFORMS = {
    Platform.LINUX_64: "x86_64-manylinux_2_28",
    Platform.LINUX_AARCH64: "aarch64-manylinux_2_28",
    Platform.WIN_64: "x86_64-pc-windows-msvc",
    Platform.OSX_64: "x86_64-apple-darwin",
    Platform.OSX_ARM64: "aarch64-apple-darwin",
}


class UvNotFoundError(UsageError):
    def __init__(self) -> None:
        super().__init__(
            "uv is needed for this command and was not found: install it with 'pip install uv' (it is a "
            "dependency of cudnn-resolve, so reinstalling cudnn-resolve also brings it)"
        )


class UvError(CudnnResolveError):
    """uv could not resolve or install: the index is unreachable, or the pins do not install."""

    exit_code = 1

    def __init__(self, action: str, detail: str) -> None:
        self.action = action
        self.detail = detail
        summary = output_tail(detail, 6)
        super().__init__(
            f"uv failed to {action}: {summary}. Check that the package index is reachable (uv's own "
            "configuration: UV_INDEX_URL, uv.toml) and retry"
        )


def find_uv() -> str:
    """The uv executable: the one installed with the ``uv`` wheel, else ``uv`` on PATH."""
    try:
        from uv import find_uv_bin  # noqa: PLC0415  # the wheel may be absent; PATH is the fallback

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found is None:
        raise UvNotFoundError()
    return found


def run_uv(
    args: Sequence[str], action: str, cwd: Path | None = None, timeout: float = 1800, stdin: str | None = None
) -> str:
    """Run ``uv ARGS`` (an argument list: never a shell), returning stdout; raises UvError on failure."""
    env = {**os.environ, "UV_NO_PROGRESS": os.environ.get("UV_NO_PROGRESS", "1")}
    try:
        result = subprocess.run(
            [find_uv(), *args],
            capture_output=True,
            text=True,
            cwd=cwd,
            env=env,
            timeout=timeout,
            check=False,
            input=stdin,
        )
    except subprocess.TimeoutExpired:
        raise UvError(action, f"no answer within {timeout:.0f} s") from None
    if result.returncode != 0:
        raise UvError(action, result.stderr or result.stdout)
    return result.stdout


def compile_lock(
    requirements: Path,
    constraints: Path,
    python: str,
    platform: Platform,
    output_format: str,
) -> str:
    """``uv pip compile`` of requirements + constraints for one Python and platform, with hashes.

    ``output_format`` is ``pylock.toml`` or ``requirements.txt``. Returns uv's output without its header.
    """
    args = [
        "pip",
        "compile",
        str(requirements),
        "-c",
        str(constraints),
        "--python-version",
        python,
        "--python-platform",
        UV_PLATFORMS[platform],
        "--format",
        output_format,
        "--no-header",
        "--quiet",
        "--emit-index-url",
    ]
    if output_format == "requirements.txt":
        args.append("--generate-hashes")
    return run_uv(args, f"lock {requirements.name} for Python {python} on {platform}")
