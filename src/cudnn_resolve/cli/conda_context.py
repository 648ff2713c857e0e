"""The verbs inside conda (``conda cudnn-env VERB``): what the plugin tells them, and how they run there.

Inside conda, ``-n NAME`` and ``-p PREFIX`` mean conda environments, ``-c`` follows conda's channel rules,
``create`` uses the running conda and registers what it made, and advice names ``conda cudnn-env VERB``.
This module imports nothing from conda: the plugin module fills a :class:`CondaContext` with conda's own
functions, and hands it the arguments that follow ``cudnn-env`` (conda parses nothing of ours, because
conda reads some attributes of a parsed namespace itself: ``prefix``, ``name``, ``channel``, ``json``).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

PROG = "conda cudnn-env"


@dataclass(frozen=True)
class CondaContext:
    """conda's view of environments and channels, as functions of the running conda."""

    envs_dirs: tuple[Path, ...]  # conda's envs_dirs, first is where new environments go
    root_prefix: Path  # conda's own environment, "base"
    command: tuple[str, ...]  # how to run the running conda: (sys.executable, "-m", "conda")
    active_prefix: Path | None  # the active environment (CONDA_PREFIX), the default for check/doctor
    locate: Callable[[str], Path]  # -n NAME -> its prefix, by conda's rules (existing, else where it goes)
    # (-c channels, --override-channels) -> the channels conda itself would use for them
    channels: Callable[[Sequence[str], bool], tuple[str, ...]]
    known_prefixes: Callable[[], tuple[Path, ...]]  # what `conda env list` lists
    register: Callable[[Path], None]  # record a new environment in conda's environments.txt

    def prefix_of(self, name: str) -> Path:
        return self.locate(name)


def conda_context(args: argparse.Namespace) -> CondaContext | None:
    context = getattr(args, "conda_context", None)
    return context if isinstance(context, CondaContext) else None


def add_channel_arguments(group: argparse._ArgumentGroup, what: str) -> None:
    """``-c/--channel`` (repeatable) and ``--override-channels``, with conda's meaning inside conda."""
    group.add_argument(
        "-c",
        "--channel",
        action="append",
        default=[],
        metavar="CHANNEL",
        help=f"a conda channel {what}, in priority order (repeatable). Standalone it replaces the default "
        "conda-forge; inside conda it goes before your configured channels, as in conda",
    )
    group.add_argument(
        "--override-channels",
        action="store_true",
        help="inside conda: use only the -c channels, not the configured ones (standalone -c always does)",
    )


def channels_of(args: argparse.Namespace, default: Sequence[str] = ("conda-forge",)) -> tuple[str, ...]:
    """The conda channels a verb uses: conda's rules inside conda (``-c`` goes before the configured
    channels, ``--override-channels`` keeps only ``-c``); standalone, ``-c`` replaces ``default``."""
    given = tuple(getattr(args, "channel", None) or ())
    context = conda_context(args)
    if context is not None:
        return context.channels(given, bool(getattr(args, "override_channels", False)))
    return given or tuple(default)


def _verb_pattern() -> re.Pattern[str]:
    from . import VERBS  # noqa: PLC0415  # cli/__init__ imports the verbs, which import this module

    names = "|".join(sorted(VERBS, key=len, reverse=True))
    return re.compile(rf"(?<![\w./-])cudnn-resolve (?=(?:{names})\b)")


def conda_advice(text: str) -> str:
    """``text`` with each standalone command it names (``cudnn-resolve check``) as run inside conda."""
    return _verb_pattern().sub(PROG + " ", text)


class _AdviceStream:
    """A text stream that writes through to ``stream`` with :func:`conda_advice` applied."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(conda_advice(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, isatty, fileno, encoding: the wrapped stream's
        return getattr(self._stream, name)


@contextmanager
def advice_for_conda() -> Iterator[None]:
    """While the verb runs, what it prints names the commands as run inside conda."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _AdviceStream(out), _AdviceStream(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def for_conda(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Rename the program to ``conda cudnn-env`` in ``parser``, its verbs' parsers and every help text."""
    parser.prog = parser.prog.replace("cudnn-resolve", PROG, 1)
    for attribute in ("description", "epilog", "usage"):
        text = getattr(parser, attribute)
        if text:
            setattr(parser, attribute, conda_advice(text).replace("cudnn-resolve --", f"{PROG} --"))
    for action in parser._actions:  # argparse has no public walk over its actions
        if action.help:
            action.help = conda_advice(action.help)
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = conda_advice(choice.help or "")
            for sub in action.choices.values():
                for_conda(sub)
    return parser


def run_in_conda(argv: Sequence[str], context: CondaContext) -> int:
    """Parse and run ``conda cudnn-env ARGV``; returns the exit code.

    Raises:
        CudnnResolveError: an expected failure without ``--json`` (the plugin shows it as a conda error);
            with ``--json`` it is printed in the documented JSON form instead and its code returned.
    """
    from ..errors import CudnnResolveError  # noqa: PLC0415  # run only when the plugin's action runs
    from . import report_error, run_verb  # noqa: PLC0415  # (and cli/__init__ imports us)
    from .parser import build_parser  # noqa: PLC0415

    args = for_conda(build_parser(argv)).parse_args(list(argv))
    args.argv = ("conda", "cudnn-env", *argv)
    args.conda_context = context
    with advice_for_conda():
        try:
            return run_verb(args)
        except CudnnResolveError as error:
            if getattr(args, "json", False):
                return report_error(error, True, PROG)
            raise
