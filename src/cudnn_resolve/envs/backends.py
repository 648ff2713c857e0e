"""Environment backends: build a complete environment in a directory (the staging directory).

uv (default for pip-delivered frameworks), pip (python -m venv + pip), conda (conda, mamba or micromamba
found on PATH, from the environment.yml the writers produce) and rattler (py-rattler solves and installs
a conda environment with no conda installed). Every external tool runs with an argument list, never a
shell.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..env_layout import env_python
from ..errors import CudnnResolveError, UsageError
from ..redact import output_tail
from ..resolver.resolution import Resolution
from ..uvtool import find_uv
from ..writers import constraints_text, environment_yml, requirements_text
from .progress import Progress

BACKENDS = ("auto", "uv", "pip", "conda", "rattler")
CONDA_EXECUTABLES = ("conda", "mamba", "micromamba")
RECORD_DIR = "cudnn-resolve"  # inside the environment: the requirements/constraints it was built from


class BackendError(CudnnResolveError):
    """An installer failed. Exit 1; the message carries the installer's last lines."""

    exit_code = 1

    def __init__(self, tool: str, detail: str) -> None:
        summary = output_tail(detail, 8).rstrip(".")
        super().__init__(
            f"{tool} failed: {summary}. Nothing was left at the target; fix the cause (network, disk space, "
            "an index that does not have the pinned version) and run the same command again"
        )


class BackendUnavailableError(UsageError):
    def __init__(self, backend: str, why: str) -> None:
        super().__init__(f"the {backend} backend cannot be used here: {why}")


@dataclass(frozen=True)
class Plan:
    """Everything a create will do, decided before anything is touched (and what --dry-run prints)."""

    prefix: Path
    backend: str
    backend_reason: str
    python: str  # an interpreter path (venv backends) or "X.Y from conda-forge"
    resolution: Resolution | None  # None when creating from a lock
    lock: Path | None
    channels: tuple[str, ...]
    argv: tuple[str, ...]
    conda_command: tuple[str, ...] = ()  # how to run conda: ("/usr/bin/mamba",) or (python, "-m", "conda")

    @property
    def packages(self) -> tuple[str, ...]:
        if self.lock is not None or self.resolution is None:
            return (f"everything pinned in {self.lock}",)
        if self.backend in ("conda", "rattler"):
            return (*self.resolution.conda.dependencies, *(f"pip: {p}" for p in self.resolution.conda.pip))
        return (
            *self.resolution.pip.requirements,
            *(f"constraint: {c}" for c in self.resolution.pip.constraints),
        )


def run_tool(
    args: Sequence[str],
    tool: str,
    progress: Progress,
    env: dict[str, str] | None = None,
    cause: Callable[[str], str | None] | None = None,
) -> None:
    """Run an installer. On a terminal its own progress shows; otherwise its output is kept for errors.

    ``cause`` finds the failure's cause in the tool's error output (stderr, then stdout); a tool given one
    keeps its stderr even on a terminal, so the error can name the cause instead of the output's last lines.
    """
    show = progress.enabled
    try:
        result = subprocess.run(
            list(args),
            stdout=None if show else subprocess.PIPE,
            stderr=None if show and cause is None else subprocess.PIPE,
            text=True,
            env=env,
            check=False,
        )
    except FileNotFoundError:
        raise BackendError(tool, f"{args[0]} was not found") from None
    if result.returncode != 0:
        found = (
            next(filter(None, (cause(out or "") for out in (result.stderr, result.stdout))), None)
            if cause
            else None
        )
        if found is not None:
            raise BackendError(tool, found)
        output = (result.stderr or "") + (result.stdout or "")
        raise BackendError(tool, output if output.strip() else f"exit {result.returncode}")


# conda prints an expected failure as "ExceptionName: message" followed by its explanation, after its
# progress lines (conda/exception_handler.py, ExceptionHandler.handle_application_exception).
_CONDA_ERROR = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Conflict)\b:?", re.MULTILINE)


def conda_cause(output: str) -> str | None:
    """The last error conda printed, from its name to the end, as one paragraph; None if there is none."""
    starts = [m.start() for m in _CONDA_ERROR.finditer(output)]
    if not starts:
        return None
    block = output[starts[-1] :]
    return " ".join(line.strip() for line in block.splitlines() if line.strip())[:2000]


def venv_python(prefix: Path) -> Path:
    return env_python(prefix, conda=False)


def _record(build: Path, plan: Plan) -> tuple[Path, Path]:
    assert plan.resolution is not None
    record = build / RECORD_DIR
    record.mkdir(exist_ok=True)
    req, con = record / "requirements.txt", record / "constraints.txt"
    req.write_text(requirements_text(plan.resolution, plan.argv))
    con.write_text(constraints_text(plan.resolution, plan.argv))
    return req, con


def _uv_env() -> dict[str, str]:
    # Bytecode: PYTHONDONTWRITEBYTECODE may be set (it is on our CI machines); --compile-bytecode below
    # compiles at install time so the first imports are not three times slower.
    return {**os.environ, "UV_NO_PROGRESS": "0"}


def install_uv(build: Path, plan: Plan, progress: Progress) -> None:
    uv = find_uv()
    with progress.step(f"creating a virtual environment with {plan.python}"):
        run_tool(
            [uv, "venv", "--quiet", "--relocatable", "--python", plan.python, str(build), "--allow-existing"],
            "uv venv",
            progress,
        )
    if plan.lock:
        sources = ["-r", str(plan.lock)]
    else:
        req, con = _record(build, plan)
        sources = ["-r", str(req), "-c", str(con)]
    with progress.step("installing with uv"):
        run_tool(
            [uv, "pip", "install", "--compile-bytecode", "--python", str(venv_python(build)), *sources],
            "uv pip install",
            progress,
            _uv_env(),
        )


def install_pip(build: Path, plan: Plan, progress: Progress) -> None:
    with progress.step(f"creating a virtual environment with {plan.python} -m venv"):
        run_tool([plan.python, "-m", "venv", str(build)], "python -m venv", progress)
    python = str(venv_python(build))
    if plan.lock is not None:
        sources = ["--require-hashes", "--no-deps", "-r", str(plan.lock)]
    else:
        req, con = _record(build, plan)
        sources = ["-r", str(req), "-c", str(con)]
    with progress.step("installing with pip"):
        run_tool(
            [python, "-m", "pip", "install", "--disable-pip-version-check", *sources], "pip install", progress
        )


def find_conda() -> str | None:
    for name in CONDA_EXECUTABLES:
        found = shutil.which(name)
        if found:
            return found
    return None


def install_conda(build: Path, plan: Plan, progress: Progress) -> None:
    """The conda packages with the running (or found) conda, from exactly ``plan.channels``; then the
    pip: section with uv, under the same constraints as a venv (conda would run pip without them)."""
    resolution = plan.resolution
    assert resolution is not None
    assert plan.conda_command
    command = list(plan.conda_command)
    tool = "conda" if command[-1] == "conda" else Path(command[0]).name
    channels = [arg for channel in plan.channels for arg in ("-c", channel)]
    args = [*command, "create", "--yes", "--prefix", str(build), "--override-channels", *channels]
    # The build directory is temporary: conda must not record it in environments.txt (the final prefix
    # is registered once it is in place, by the plugin).
    env = {**os.environ, "CONDA_REGISTER_ENVS": "false"}
    with progress.step(f"creating the conda environment with {tool} from {', '.join(plan.channels)}"):
        shutil.rmtree(build)  # conda creates the prefix itself and refuses an existing directory
        run_tool([*args, *resolution.conda.dependencies], tool, progress, env, cause=conda_cause)
    record = build / RECORD_DIR
    record.mkdir(exist_ok=True)
    (record / "environment.yml").write_text(
        environment_yml(resolution, plan.argv, plan.prefix.name, plan.channels)
    )
    install_pip_section(build, plan, progress)


def install_pip_section(build: Path, plan: Plan, progress: Progress) -> None:
    """A conda environment's pip: packages, installed with uv into its Python under the constraints."""
    assert plan.resolution is not None
    if not plan.resolution.conda.pip:
        return
    req, con = _record(build, plan)
    with progress.step("installing the pip packages with uv"):
        run_tool(
            [
                find_uv(),
                "pip",
                "install",
                "--compile-bytecode",
                "--python",
                str(env_python(build, conda=True)),
                "-r",
                str(req),
                "-c",
                str(con),
            ],
            "uv pip install",
            progress,
            _uv_env(),
        )


def install_rattler(build: Path, plan: Plan, progress: Progress) -> None:
    from ..conda_packages import install, solve  # noqa: PLC0415  # py-rattler is loaded only for conda prefixes
    from ..lock.conda import virtual_packages  # noqa: PLC0415

    resolution = plan.resolution
    assert resolution is not None
    with progress.step(
        f"solving {len(resolution.conda.dependencies)} conda specs ({', '.join(plan.channels)})"
    ):
        packages = solve(
            resolution.conda.dependencies,
            plan.channels,
            str(resolution.platform),
            virtual_packages(resolution),
        )
    shutil.rmtree(build)  # the installer wants a new or empty prefix
    with progress.step(f"installing {len(packages)} conda packages with py-rattler"):
        install(packages, build, str(resolution.platform))
    install_pip_section(build, plan, progress)
