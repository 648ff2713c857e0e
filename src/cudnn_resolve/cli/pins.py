"""Resolve a request to one consistent set of pins.

Prints the framework versions, the Python range, the CUDA and cuDNN the frameworks were built with and
the exact builds to install, the minimum driver, and the pip and conda packages that deliver them, with
the sources of every fact. Impossible requests exit 1 with the conflicting facts and fixes that work.
"""

from __future__ import annotations

import argparse
import json

from .options import add_json_argument, add_request_arguments, resolve_from_args
from .render import render_resolution

HELP = __doc__ or ""
DOCS = "commands/pins.md"
EXAMPLES = (
    ("{prog} pins tf=2.10", "TensorFlow 2.10's CUDA, cuDNN, minimum driver and Python, for this machine"),
    (
        "{prog} pins 'torch>=2.4,<2.6' --driver 535.104.05 --gpu-arch 8.6",
        "for another machine: its driver and GPU",
    ),
    (
        "{prog} pins torch=2.4 jax --python 3.11 --json",
        "two frameworks on one CUDA and cuDNN, for Python 3.11, as JSON",
    ),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser)
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    resolution = resolve_from_args(args)
    if args.json:
        print(json.dumps(resolution.to_json(), indent=2))
    else:
        print(render_resolution(resolution))
    return 0
