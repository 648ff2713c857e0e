"""The ``cudnn-resolve`` command line: argument parsing and formatting only.

Each verb is a module with ``HELP``, ``EXAMPLES``, ``DOCS``, ``configure_parser(parser)`` and
``execute(args) -> int``; the conda plugin reuses the same modules. A command imports only the module of
the verb it runs (start-up is a feature: `--version` and `pins` should cost little more than the
interpreter); the top-level help, which lists every verb, imports them all.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from .._version import __version__
from ..errors import CudnnResolveError, ResolutionImpossibleError
from .streams import writing_stdout

# Not typing.TYPE_CHECKING: `--version` should not pay for importing typing; mypy treats this as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from typing import NoReturn

# Every verb, in the order the help lists them; each is the module cli/<verb with _ for ->.py.
VERBS = (
    "pins",
    "constraints",
    "env-file",
    "lock",
    "project",
    "create",
    "envs",
    "check",
    "doctor",
    "dockerfile",
    "image",
    "explain",
    "matrix",
    "data",
    "fleet",
)


def verb_module(name: str) -> ModuleType:
    """The module of one verb, imported now (and only now)."""
    return importlib.import_module(f"{__name__}.{name.replace('-', '_')}")


def report_error(error: CudnnResolveError, as_json: bool, prog: str = "cudnn-resolve") -> int:
    """Print an expected failure: one paragraph on stderr, plus a JSON object on stdout with --json."""
    from ..redact import redact  # noqa: PLC0415  # its patterns cost start-up; only failures need them

    kind = "no answer" if isinstance(error, ResolutionImpossibleError) else "error"
    print(f"{prog}: {kind}: {redact(str(error))}", file=sys.stderr)
    if as_json:
        body: dict[str, object] = {
            "type": type(error).__name__,
            "message": redact(str(error)),
            "exit_code": error.exit_code,
        }
        if isinstance(error, ResolutionImpossibleError):
            body["reasons"] = list(error.reasons)
            body["fixes"] = list(error.fixes)
        import json  # noqa: PLC0415  # only failures with --json need it

        print(json.dumps({"schema": 1, "error": body}, indent=2))
    return error.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code. Never raises for expected failures."""
    return writing_stdout(lambda: _main(list(sys.argv[1:] if argv is None else argv)))


def _main(args_list: list[str]) -> int:
    if args_list == ["--version"]:  # answered before argparse and the verbs are even imported
        print(f"cudnn-resolve {__version__}")
        return 0
    from .parser import build_parser  # noqa: PLC0415

    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    args.argv = ("cudnn-resolve", *args_list)
    try:
        return run_verb(args)
    except CudnnResolveError as error:
        return report_error(error, bool(getattr(args, "json", False)))


def run_verb(args: argparse.Namespace) -> int:
    """Execute a parsed command (also the conda plugin's action); expected failures raise."""
    return writing_stdout(lambda: int(args.execute(args)))


def run() -> NoReturn:
    """Console-script entry point."""
    if sys.argv[1:] != ["--version"]:  # the one answer with nothing to clean up keeps a bare start's cost
        _end_on_sigterm_as_on_ctrl_c()
    try:
        code = main()
    except KeyboardInterrupt:
        print("cudnn-resolve: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code)


def _end_on_sigterm_as_on_ctrl_c() -> None:
    """A scheduler's cancel or time limit, or a plain ``kill``, sends SIGTERM: end the run as Ctrl-C does,
    so the child processes are stopped and the temporary files removed on the way out (Python's default
    for SIGTERM is to die on the spot, leaving both)."""
    import signal  # noqa: PLC0415  # 5 ms of enum set-up, not paid by --version

    signal.signal(signal.SIGTERM, interrupt)


def interrupt(signum: int, frame: object) -> None:
    """A signal handler that turns the signal into Ctrl-C's KeyboardInterrupt."""
    raise KeyboardInterrupt
