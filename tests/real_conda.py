"""A real conda (26.7.1, from the project's shared/conda/setup.sh) with this checkout installed into it, so
that `python -m conda cudnn-env ...` loads the plugin through its entry point (a helper module, not a test
file; the session fixture `real_conda` in conftest.py makes one per test run and removes it after).

conda's channels are unreachable here: tests build a local file:// channel (tests/conda_channel.py) and
pass it with `-c ... --override-channels`. conda runs with a private HOME (its environments.txt), condarc,
package cache and envs directory, all inside the fixture's directory.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Where shared/conda is: $CUDNN_RESOLVE_CONDA_DIR, else beside the clone (CI lays shared/ next to it),
# else the developers' machines' copy.
CONDA_DIR_VARIABLE = "CUDNN_RESOLVE_CONDA_DIR"
_CANDIDATES = (ROOT.parent / "shared" / "conda", Path("/work/shared/conda"))


def setup_script() -> Path | None:
    override = os.environ.get(CONDA_DIR_VARIABLE)
    for directory in [Path(override)] if override else _CANDIDATES:
        if (directory / "setup.sh").is_file():
            return directory / "setup.sh"
    return None


def require_setup_script() -> Path:
    """The setup script; a missing one fails the test in CI or when $CUDNN_RESOLVE_CONDA_DIR names it (as
    .ci/run does), and skips it elsewhere."""
    script = setup_script()
    if script is None:
        where = os.environ.get(CONDA_DIR_VARIABLE) or " or ".join(str(c) for c in _CANDIDATES)
        message = f"no real conda: {where} has no setup.sh (set {CONDA_DIR_VARIABLE})"
        if os.environ.get("CI") or os.environ.get(CONDA_DIR_VARIABLE):
            pytest.fail(message)
        pytest.skip(message)
    return script


@dataclass
class RealConda:
    root: Path  # everything of this conda lives below here
    env: dict[str, str] = field(default_factory=dict)

    @property
    def prefix(self) -> Path:
        """The venv holding conda (conda's base environment) and the project."""
        return self.root / "conda"

    @property
    def python(self) -> Path:
        return self.prefix / "bin" / "python"

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def envs_dir(self) -> Path:
        return self.prefix / "conda-envs"

    def run(
        self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        """``python -m conda ARGS`` (the console script refuses most commands in a plain venv)."""
        return subprocess.run(
            [str(self.python), "-m", "conda", *args],
            capture_output=True,
            text=True,
            env={**self.env, **(env or {})},
            cwd=cwd,
            timeout=timeout,
            check=False,
        )

    def registered(self) -> list[str]:
        """The prefixes in conda's environments.txt (in the private HOME)."""
        path = self.home / ".conda" / "environments.txt"
        return (
            [line.strip() for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
        )


def make_real_conda(root: Path) -> RealConda:
    """Set up conda with setup.sh under ``root`` and install this checkout (editable) into it."""
    script = require_setup_script()
    conda = RealConda(root)
    result = subprocess.run(
        ["bash", str(script), str(conda.prefix), sys.executable],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    uv = subprocess.run(
        [
            sys.executable,
            "-m",
            "uv",
            "pip",
            "install",
            "--quiet",
            "--compile-bytecode",
            "--refresh-package",  # uv's cache may hold a build of another checkout of the same version
            "cudnn-resolve",
            "--python",
            str(conda.python),
            "-e",
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert uv.returncode == 0, uv.stderr
    conda.home.mkdir()
    keep = ("PATH", "LANG", "LC_ALL", "UV_CACHE_DIR", "TMPDIR", "PYTHONDONTWRITEBYTECODE", "SSL_CERT_FILE")
    conda.env = {
        **{k: v for k, v in os.environ.items() if k in keep},
        "HOME": str(conda.home),
        "PATH": f"{conda.prefix / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "CONDARC": str(conda.prefix / "condarc"),
        "CONDA_SOLVER": "classic",
        "CONDA_PKGS_DIRS": str(conda.prefix / "conda-pkgs"),
        "CONDA_ENVS_DIRS": str(conda.envs_dir),
        "RATTLER_CACHE_DIR": str(root / "rattler-cache"),
        "CUDNN_RESOLVE_CACHE_DIR": str(root / "cudnn-resolve-cache"),
        # No driver here: solves that need __cuda are told the machine's CUDA explicitly.
        "CONDA_OVERRIDE_CUDA": "12.4",
    }
    return conda


def tool_venv(name: str, requirement: str) -> Path:
    """A venv holding ``requirement`` from the package index (through pip), kept between test runs under
    ~/.cache/cudnn-resolve-tests/NAME. It is built beside and renamed into place, so its scripts'
    shebangs are stale: run its tools as ``NAME/bin/python -m MODULE``."""
    home = Path.home() / ".cache" / "cudnn-resolve-tests" / name
    if (home / "ready").exists():
        return home
    building = home.with_name(f"{home.name}.{os.getpid()}")
    subprocess.run([sys.executable, "-m", "venv", str(building)], check=True)
    result = subprocess.run(
        [str(building / "bin" / "python"), "-m", "pip", "install", "--quiet", requirement],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (building / "ready").write_text(requirement + "\n")
    try:
        building.rename(home)
    except OSError:  # another test run finished first: use its copy
        shutil.rmtree(building, ignore_errors=True)
    return home


def remove(conda: RealConda) -> None:
    shutil.rmtree(conda.root, ignore_errors=True)
