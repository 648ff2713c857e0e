"""pip lock bodies: uv compiles the resolution's requirements and constraints, with hashes."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..resolver.resolution import Resolution
from ..uvtool import compile_lock
from ..writers import constraints_text, requirements_text


def pip_lock_body(resolution: Resolution, output_format: str) -> str:
    """uv's lock of exactly the resolved set for the resolution's platform and Python.

    ``output_format``: ``pylock.toml`` or ``requirements.txt`` (hashed). Raises UvError when uv cannot
    resolve (an unreachable index, or pins that do not install together).
    """
    with tempfile.TemporaryDirectory(prefix="cudnn-resolve-lock-") as tmp:
        requirements = Path(tmp, "requirements.txt")
        constraints = Path(tmp, "constraints.txt")
        requirements.write_text(requirements_text(resolution, ()))
        constraints.write_text(constraints_text(resolution, ()))
        return compile_lock(
            requirements, constraints, str(resolution.python_version), resolution.platform, output_format
        )
