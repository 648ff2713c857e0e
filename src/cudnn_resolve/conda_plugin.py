"""The conda plugin: ``conda cudnn-env <verb>`` runs cudnn-resolve's verbs inside conda.

Declared in pyproject as the ``conda`` entry point. conda builds every plugin's parser on every invocation,
so this module only declares hooks; cudnn-resolve's modules are imported when a hook is called. This is the
only module of cudnn-resolve that imports conda.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from conda import CondaError
from conda.plugins import hookimpl
from conda.plugins.types import CondaHealthCheck, CondaSubcommand

SUMMARY = "Resolve, create and check environments whose CUDA and cuDNN match the framework (cudnn-resolve)."


class CudnnEnvError(CondaError):  # type: ignore[misc]  # conda ships no type information
    """An expected cudnn-resolve failure, shown by conda as a short message (no crash report)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.return_code = exit_code


def _context() -> object:
    from conda.base.context import context

    from .cli.conda_context import CondaContext

    active = os.environ.get("CONDA_PREFIX")
    return CondaContext(
        envs_dirs=tuple(Path(d) for d in context.envs_dirs),
        command=(sys.executable, "-m", "conda"),
        active_prefix=Path(active) if active else None,
    )


def configure_parser(parser: argparse.ArgumentParser) -> None:
    from .cli import DESCRIPTION, add_verbs

    parser.description = DESCRIPTION
    add_verbs(parser)


def execute(args: argparse.Namespace) -> int:
    from .cli import run_verb
    from .errors import CudnnResolveError

    args.conda_context = _context()
    args.argv = ("conda", "cudnn-env", *sys.argv[2:])
    try:
        return run_verb(args)
    except CudnnResolveError as error:
        raise CudnnEnvError(str(error), error.exit_code) from None


def health_check(prefix: str, verbose: bool) -> None:
    """``conda doctor``: is the cuDNN this environment loads consistent with its frameworks?"""
    from .data import load_knowledge_base
    from .probe import interpreter_of, run_probe
    from .verify import Expectations, Severity, evaluate, read_manifest

    try:
        python = interpreter_of(Path(prefix))
    except Exception:  # an environment without Python has no framework to check
        print("cuDNN consistency: no Python in this environment")
        return
    manifest = read_manifest(Path(prefix))
    verdict = evaluate(
        load_knowledge_base(), run_probe(python, conv=False), manifest[0] if manifest else Expectations()
    )
    errors = [f for f in verdict.findings if f.severity is Severity.ERROR]
    mark = "\u2705" if not errors else "\u274c"
    print(f"{mark} cuDNN consistency (cudnn-resolve): loaded cuDNN {verdict.loaded_cudnn or 'none'}")
    for finding in errors if not verbose else verdict.findings:
        print(f"  {finding.severity}: {finding.message}")


@hookimpl  # type: ignore[untyped-decorator]  # conda ships no type information
def conda_subcommands() -> Iterator[object]:
    yield CondaSubcommand(
        name="cudnn-env", summary=SUMMARY, action=execute, configure_parser=configure_parser
    )


@hookimpl  # type: ignore[untyped-decorator]  # conda ships no type information
def conda_health_checks() -> Iterator[object]:
    yield CondaHealthCheck(name="cuDNN consistency (cudnn-resolve)", action=health_check)
