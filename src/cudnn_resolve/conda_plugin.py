"""The conda plugin: ``conda cudnn-env <verb>`` runs cudnn-resolve's verbs inside conda.

Declared in pyproject as the ``conda`` entry point. conda imports every plugin and builds every plugin's
parser on every command, so this module imports only conda names conda has already loaded, and declares
the subcommand without a parser (conda hands it the arguments after ``cudnn-env``): cudnn-resolve is
imported when a hook runs. This is the only module of cudnn-resolve that imports conda.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from conda import CondaError
from conda.plugins import hookimpl
from conda.plugins.types import CondaHealthCheck, CondaSubcommand

SUMMARY = "Resolve, create and check environments whose CUDA and cuDNN match the framework (cudnn-resolve)."


class CudnnEnvError(CondaError):  # type: ignore[misc]  # conda ships no type information
    """An expected cudnn-resolve failure, shown by conda as a short message (no crash report)."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.return_code = exit_code


def _locate(name: str) -> Path:
    from conda.core.prefix_data import PrefixData

    return Path(PrefixData.from_name(name).prefix_path)


def _channels(given: Sequence[str], override: bool) -> tuple[str, ...]:
    # conda's own rules (Context.channels): -c first, then the configured channels, or -c alone with
    # --override-channels; allow/deny lists and `override_channels_enabled` apply.
    # A fresh Context reads the same condarc files and environment, and leaves conda's own untouched.
    from conda.base.context import Context

    namespace = argparse.Namespace(channel=list(given), override_channels=override)
    return tuple(Context(argparse_args=namespace).channels)


def _known_prefixes() -> tuple[Path, ...]:
    from conda.core.envs_manager import list_all_known_prefixes

    return tuple(Path(p) for p in list_all_known_prefixes())


def _register(prefix: Path) -> None:
    from conda.core.envs_manager import register_env

    register_env(str(prefix))


def _context() -> Any:
    from conda.base.context import context

    from .cli.conda_context import CondaContext

    active = os.environ.get("CONDA_PREFIX")
    return CondaContext(
        envs_dirs=tuple(Path(d) for d in context.envs_dirs),
        root_prefix=Path(context.root_prefix),
        command=(sys.executable, "-m", "conda"),
        active_prefix=Path(active) if active else None,
        locate=_locate,
        channels=_channels,
        known_prefixes=_known_prefixes,
        register=_register,
    )


def execute(argv: tuple[str, ...]) -> int:
    from .cli.conda_context import conda_advice, run_in_conda
    from .errors import CudnnResolveError

    try:
        return run_in_conda(argv, _context())
    except CudnnResolveError as error:
        raise CudnnEnvError(conda_advice(str(error)), error.exit_code) from None


def health_check(prefix: str, verbose: bool) -> None:
    """``conda doctor``: is the cuDNN this environment loads consistent with its frameworks?"""
    from .cli.conda_health import health_lines

    for line in health_lines(Path(prefix), verbose):
        print(line)


def error_hints(error: BaseException) -> Iterator[Any]:
    """Hints for conda's own errors that a cudnn-resolve command fixes (a solve that needs ``__cuda``)."""
    from conda.plugins.types import CondaErrorHint  # conda >= 26.7 (the hook's own release)

    from .conda_hints import hints_for

    for code, text in hints_for(f"{type(error).__name__}: {error}"):
        yield CondaErrorHint(text=text, hint_code=code)


@hookimpl  # type: ignore[untyped-decorator]  # conda ships no type information
def conda_subcommands() -> Iterator[Any]:
    # No configure_parser: conda passes the arguments after `cudnn-env` to the action as a tuple.
    yield CondaSubcommand(name="cudnn-env", summary=SUMMARY, action=execute)


@hookimpl  # type: ignore[untyped-decorator]  # conda ships no type information
def conda_health_checks() -> Iterator[Any]:
    yield CondaHealthCheck(name="cuDNN consistency (cudnn-resolve)", action=health_check)


@hookimpl  # type: ignore[untyped-decorator]  # conda ships no type information
def conda_error_hints(error: BaseException) -> Iterator[Any]:
    yield from error_hints(error)
