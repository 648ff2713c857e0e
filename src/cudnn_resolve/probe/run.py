"""Run the probe with an environment's own interpreter and read its report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..env_layout import find_env_python
from ..errors import CudnnResolveError, UsageError
from ..redact import output_tail
from .report import ProbeReport, parse_report

SCRIPT = Path(__file__).with_name("script.py")


class ProbeError(CudnnResolveError):
    """The probe could not run in the environment at all (its report is missing). Exit 1."""

    exit_code = 1

    def __init__(self, python: str, detail: str) -> None:
        self.python = python
        self.detail = detail
        super().__init__(
            f"the smoke test could not run with {python}: {detail}. Check that this interpreter starts "
            "(run it with --version) and that its environment is complete"
        )


class NoInterpreterError(UsageError):
    def __init__(self, where: str) -> None:
        super().__init__(
            f"no Python interpreter at {where}: give an environment prefix (-p PREFIX, the directory holding "
            "bin/python or python.exe) or an interpreter (--python PATH)"
        )


def interpreter_of(prefix: Path) -> Path:
    """The interpreter of a venv or conda environment at ``prefix``."""
    found = find_env_python(prefix)
    if found is None:
        raise NoInterpreterError(str(prefix))
    return found


def run_probe(
    python: Path | str | None = None,
    *,
    conv: bool = True,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
) -> ProbeReport:
    """Run the probe under ``python`` (default: this interpreter) with ``env`` (default: ours).

    The environment's loader variables (LD_LIBRARY_PATH, LD_PRELOAD, PYTHONPATH) are passed unchanged:
    they are part of what is being checked.
    """
    interpreter = str(python or sys.executable)
    with tempfile.TemporaryDirectory(prefix="cudnn-resolve-probe-") as tmp:
        output = Path(tmp, "report.json")
        args = [interpreter, str(SCRIPT), "--output", str(output)]
        if not conv:
            args.append("--no-conv")
        try:
            result = subprocess.run(
                args,
                capture_output=True,
                text=True,
                timeout=timeout,
                env=dict(env if env is not None else os.environ),
                check=False,
            )
        except (FileNotFoundError, PermissionError, NotADirectoryError):  # missing, or not a program
            raise NoInterpreterError(interpreter) from None
        except subprocess.TimeoutExpired:
            raise ProbeError(interpreter, f"no answer within {timeout:.0f} s") from None
        if not output.exists():
            tail = output_tail(result.stderr or result.stdout or "", 3)
            raise ProbeError(interpreter, f"exit {result.returncode}: {tail}")
        raw = json.loads(output.read_text())
    return parse_report(raw)
