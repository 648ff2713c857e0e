"""Write a conda environment.yml for a request.

Dependencies are canonical conda MatchSpecs (python, and cudatoolkit / cuda-version and cudnn from
conda-forge where the framework brings no CUDA of its own), with a pip: section for frameworks that come
from pip (TensorFlow's documented recipe: CUDA and cuDNN from conda, TensorFlow from pip). Create the
environment with: conda env create --file environment.yml. Without -o the file is printed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..fileio import write_files
from ..request import Target
from ..writers import environment_yml
from .options import add_json_argument, add_request_arguments, resolve_from_args

HELP = __doc__ or ""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser)
    output = parser.add_argument_group("output")
    output.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="write the environment file to FILE"
    )
    output.add_argument("-n", "--name", help="the environment's name (default: from the frameworks)")
    output.add_argument(
        "-c",
        "--channel",
        action="append",
        default=[],
        help="a conda channel, in priority order (repeatable; default: conda-forge)",
    )
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    # A conda environment takes CUDA and cuDNN from conda-forge where the framework brings none.
    resolution = resolve_from_args(args, target=Target.CONDA)
    text = environment_yml(resolution, tuple(args.argv), args.name, tuple(args.channel))
    if args.output is not None:
        write_files([(args.output, text)])
    if args.json:
        body = {
            "schema": 1,
            "files": [str(args.output)] if args.output else [],
            "environment": text,
            "resolution": resolution.to_json(),
        }
        print(json.dumps(body, indent=2))
    elif args.output is None:
        print(text, end="")
    else:
        print(f"wrote {args.output}; create it with: conda env create --file {args.output}")
    return 0
