"""Write a pip constraints file (and a requirements file) for a request.

The constraints file pins the framework and every CUDA/cuDNN wheel the resolution implies, as plain
name==version lines. The requirements file names what to install, with the extra index a PyTorch CUDA
variant needs. Together: pip install -r requirements.txt -c constraints.txt (or uv pip install ...).
Without -o the constraints are printed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..fileio import write_files
from ..writers import constraints_text, requirements_text
from .options import add_json_argument, add_request_arguments, require_pip_packages, resolve_from_args

HELP = __doc__ or ""
DOCS = "commands/constraints.md"
EXAMPLES = (
    (
        "{prog} constraints tf=2.18 -o constraints.txt --requirements requirements.txt",
        "then: pip install -r requirements.txt -c constraints.txt",
    ),
    (
        "{prog} constraints torch==2.4.1+cu118 --platform win-64",
        "print the pins of a PyTorch CUDA 11.8 build on Windows",
    ),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser)
    output = parser.add_argument_group("output")
    output.add_argument("-o", "--output", metavar="FILE", type=Path, help="write the constraints to FILE")
    output.add_argument("--requirements", metavar="FILE", type=Path, help="also write a requirements file")
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    resolution = resolve_from_args(args)
    require_pip_packages(resolution, "a pip constraints file")
    argv = tuple(args.argv)
    texts = {
        "constraints": constraints_text(resolution, argv),
        "requirements": requirements_text(resolution, argv),
    }
    files = []
    if args.output is not None:
        files.append((args.output, texts["constraints"]))
    if args.requirements is not None:
        files.append((args.requirements, texts["requirements"]))
    write_files(files)
    if args.json:
        print(
            json.dumps(
                {
                    "schema": 1,
                    "files": [str(p) for p, _ in files],
                    "constraints": list(resolution.pip.constraints),
                    "requirements": list(resolution.pip.requirements),
                    "index_urls": list(resolution.pip.index_urls),
                    "resolution": resolution.to_json(),
                },
                indent=2,
            )
        )
        return 0
    if args.output is None:
        print(texts["constraints"], end="")
        return 0
    print(f"wrote {args.output} ({len(resolution.pip.constraints)} pins)")
    if args.requirements is not None:
        print(f"wrote {args.requirements}")
        print(f"install with: pip install -r {args.requirements} -c {args.output}")
    for note in resolution.notes:
        print(f"note: {note}")
    return 0
