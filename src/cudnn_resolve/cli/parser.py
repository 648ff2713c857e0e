"""The argument parser of ``cudnn-resolve``: the verbs, their options and our error format.

Only the verb a command names is imported and configured (see ``add_verbs``).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence

from .._version import __version__
from ..errors import EXIT_BAD_INPUT
from . import VERBS, verb_module
from .helptext import DOCS_URL, epilog

TYPE_CHECKING = False  # see cli/__init__.py
if TYPE_CHECKING:
    from typing import NoReturn


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
  cudnn-resolve dockerfile tf==2.15.1 -o build/Dockerfile
  cudnn-resolve image tensorflow/tensorflow:2.9.0-gpu tf=2.15
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


def build_parser(argv: Sequence[str] | None = None) -> ArgumentParser:
    """The parser for ``argv``: with its verb's options only, or every verb's where none is named."""
    parser = ArgumentParser(
        prog="cudnn-resolve",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_verbs(parser, argv)
    return parser


def chosen_verb(argv: Sequence[str] | None) -> str | None:
    """The verb ``argv`` runs: its first word that is not an option, where that is a verb; "" where
    ``--version`` comes first (argparse prints it and exits before any verb is parsed)."""
    for word in argv or ():
        if word == "--version":
            return ""
        if not word.startswith("-"):
            return word if word in VERBS else None
    return None


def add_verbs(parser: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> None:
    """The version flag and the verbs, on ``parser`` (ours, or the one the conda plugin builds).

    Only the verb ``argv`` names is imported and configured; the others are bare names, enough for
    argparse to dispatch and to name them in an error. Without a verb (top-level help, a typo) every
    verb is configured, so the help lists each with its summary.
    """
    parser.add_argument("--version", action="version", version=f"cudnn-resolve {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=ArgumentParser)
    sub.required = True
    chosen = chosen_verb(argv)
    for name in VERBS:
        if chosen is not None and name != chosen:
            sub.add_parser(name)
            continue
        module = verb_module(name)
        verb = sub.add_parser(
            name,
            help=module.HELP.splitlines()[0],
            description=module.HELP,
            epilog=epilog(module.EXAMPLES, module.DOCS, parser.prog),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.configure_parser(verb)
        verb.set_defaults(execute=module.execute)
