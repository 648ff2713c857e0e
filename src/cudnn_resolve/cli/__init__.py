"""The ``cudnn-resolve`` command line: argument parsing and formatting only.

Each verb is a module with ``HELP``, ``configure_parser(parser)`` and ``execute(args) -> int``; the conda
plugin reuses the same modules.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from .._version import __version__
from ..errors import EXIT_BAD_INPUT, CudnnResolveError, ResolutionImpossibleError
from ..redact import redact
from . import check, constraints, create, data, doctor, env_file, envs, explain, lock, matrix, pins, project
from .helptext import DOCS_URL, epilog
from .streams import writing_stdout

VERBS: dict[str, ModuleType] = {
    "pins": pins,
    "constraints": constraints,
    "env-file": env_file,
    "lock": lock,
    "project": project,
    "create": create,
    "envs": envs,
    "check": check,
    "doctor": doctor,
    "explain": explain,
    "matrix": matrix,
    "data": data,
}

EPILOG = f"""\
exit codes: 0 success, 1 no consistent answer (or a failed check), 2 bad input (or an output that
cannot be written), 141 the output's reader went away (`| head`).
examples:
  cudnn-resolve pins tf=2.10
  cudnn-resolve pins 'torch>=2.4,<2.6' --driver 535.104.05 --gpu-arch 8.6
  cudnn-resolve pins torch=2.4 jax --json
  cudnn-resolve constraints tf=2.18 -o constraints.txt --requirements requirements.txt
  cudnn-resolve env-file tf=2.10 -o environment.yml
  cudnn-resolve lock torch==2.14.1 --platform linux-64 --platform linux-aarch64
  cudnn-resolve lock torch==2.14.1 --check pylock.toml
  cudnn-resolve project tf=2.18 --platform linux-64
  cudnn-resolve create torch==2.14.1 -p ./env
  cudnn-resolve check -p ./env --expect-cudnn 9.24
  cudnn-resolve matrix tensorflow --format markdown
each verb's --help ends with its own examples.

documentation: {DOCS_URL}
"""


class ArgumentParser(argparse.ArgumentParser):
    """argparse with our error format: one paragraph naming the problem and where help is."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {_plain(message)}. See '{self.prog} --help'.\n")


_INVALID_CHOICE = re.compile(
    r"^argument (?P<name>[^:]+): invalid choice: (?P<value>.*?) \(choose from (?P<of>.*)\)$"
)


def _plain(message: str) -> str:
    """argparse's "argument action: invalid choice: 'foo' (choose from ...)" in words a user knows:
    "'foo' is not a valid action: choose show, update or reset"."""
    match = _INVALID_CHOICE.match(message)
    if match is None:
        return message
    name = match["name"] if match["name"].startswith("-") else match["name"].lower()
    choices = [c.strip(" '") for c in match["of"].split(",")]
    listed = ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0]
    return f"'{match['value'].strip(chr(39))}' is not a valid {name}: choose {listed}"


DESCRIPTION = (
    "Resolve TensorFlow, PyTorch and JAX versions to one consistent set of CUDA, cuDNN, driver and Python "
    "pins, from published compatibility data."
)


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="cudnn-resolve",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_verbs(parser)
    return parser


def add_verbs(parser: argparse.ArgumentParser) -> None:
    """The version flag and every verb, on ``parser`` (ours, or the one conda builds for the plugin)."""
    parser.add_argument("--version", action="version", version=f"cudnn-resolve {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=ArgumentParser)
    sub.required = True
    for name, module in VERBS.items():
        verb = sub.add_parser(
            name,
            help=module.HELP.splitlines()[0],
            description=module.HELP,
            epilog=epilog(module.EXAMPLES, module.DOCS, parser.prog),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure_parser(verb)
        verb.set_defaults(execute=module.execute)


def report_error(error: CudnnResolveError, as_json: bool, prog: str = "cudnn-resolve") -> int:
    """Print an expected failure: one paragraph on stderr, plus a JSON object on stdout with --json."""
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
        print(json.dumps({"schema": 1, "error": body}, indent=2))
    return error.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code. Never raises for expected failures."""
    return writing_stdout(lambda: _main(list(sys.argv[1:] if argv is None else argv)))


def _main(args_list: list[str]) -> int:
    parser = build_parser()
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
    try:
        code = main()
    except KeyboardInterrupt:
        print("cudnn-resolve: interrupted", file=sys.stderr)
        code = 130
    sys.exit(code)
