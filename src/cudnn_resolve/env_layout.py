"""Where an environment keeps its interpreter: one answer for every module that needs it.

A venv has ``bin/python`` on POSIX and ``Scripts\\python.exe`` on Windows; a conda environment has
``bin/python`` on POSIX and ``python.exe`` at its root on Windows. Stdlib only: the probe's runner and
the Python finder use it as well as the backends.
"""

from __future__ import annotations

import os
from pathlib import Path

CONDA_LAYOUT_BACKENDS = ("conda", "rattler")  # environments in the conda format


def env_python(prefix: Path, *, conda: bool, windows: bool | None = None) -> Path:
    """The interpreter an environment of that kind has (or will have) at ``prefix``."""
    if not (os.name == "nt" if windows is None else windows):
        return prefix / "bin" / "python"
    return prefix / "python.exe" if conda else prefix / "Scripts" / "python.exe"


def backend_python(prefix: Path, backend: str, *, windows: bool | None = None) -> Path:
    """``env_python`` for an environment built by ``backend`` (uv, pip, conda, rattler)."""
    return env_python(prefix, conda=backend in CONDA_LAYOUT_BACKENDS, windows=windows)


def find_env_python(prefix: Path) -> Path | None:
    """The interpreter an existing environment has, whichever kind it is; None where it has none."""
    candidates = (
        prefix / "bin" / "python",
        prefix / "bin" / "python3",
        prefix / "python.exe",
        prefix / "Scripts" / "python.exe",
    )
    return next((c for c in candidates if c.is_file()), None)
