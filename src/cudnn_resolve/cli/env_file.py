"""Write a conda environment.yml for a request.

Dependencies are canonical conda MatchSpecs (python, and cudatoolkit / cuda-version and cudnn from
conda-forge where the framework brings no CUDA of its own), with a pip: section for frameworks that come
from pip (TensorFlow's documented recipe: CUDA and cuDNN from conda, TensorFlow from pip). Create the
environment with: conda env create --file environment.yml. Without -o the file is printed.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from ..fileio import write_files
from ..request import Target
from ..resolver.model import Delivery
from ..resolver.resolution import Resolution
from ..writers import environment_yml
from .conda_context import add_channel_arguments, channels_of
from .options import add_json_argument, add_request_arguments, resolve_from_args

HELP = __doc__ or ""
DOCS = "commands/env-file.md"
EXAMPLES = (
    ("{prog} env-file tf=2.10 -o environment.yml", "then: conda env create --file environment.yml"),
    ("{prog} env-file tf=2.17 --framework-from conda -n tf217", "conda-forge's own TensorFlow CUDA build"),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser)
    output = parser.add_argument_group("output")
    output.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="write the environment file to FILE"
    )
    output.add_argument("-n", "--name", help="the environment's name (default: from the frameworks)")
    add_channel_arguments(output, "to list in the file")
    add_json_argument(parser)


def _delivery_notes(args: argparse.Namespace, resolution: Resolution) -> tuple[str, ...]:
    """Why this file may differ from what ``pins`` says for the same request, and what the environment
    needs before the framework finds the libraries."""
    if resolution.delivery != Delivery.CONDA.value:
        return ()
    notes = []
    if args.target is None:
        pins = resolve_from_args(args)  # the same request as `pins` answers it (no target)
        if pins.delivery != resolution.delivery:
            notes.append(
                f"`cudnn-resolve pins` answers this request with {pins.delivery} delivery (CUDA runtime "
                f"{pins.cuda_runtime}, cuDNN {pins.cudnn_version}); this environment file takes CUDA and "
                f"cuDNN from conda-forge instead (CUDA {resolution.cuda_runtime}, cuDNN "
                f"{resolution.cudnn_version}), which `pins --target conda` also answers"
            )
    from_pip = [f for f in resolution.frameworks if not f.brings_cuda]
    # On Windows, conda activation puts the environment's Library\bin on PATH (TensorFlow's documented
    # recipe); on Linux nothing adds $CONDA_PREFIX/lib to the loader path.
    if from_pip and resolution.request.framework_source == "pip" and resolution.platform.is_linux:
        names = ", ".join(f.display for f in from_pip)
        notes.append(
            f"{names} comes from pip and loads CUDA and cuDNN by name from the loader path, which a conda "
            "environment does not set: after `conda activate`, export LD_LIBRARY_PATH=$CONDA_PREFIX/lib "
            "(or create the environment with `cudnn-resolve create`, which makes them loadable)"
        )
    return tuple(notes)


def execute(args: argparse.Namespace) -> int:
    # A conda environment takes CUDA and cuDNN from conda-forge where the framework brings none.
    resolution = resolve_from_args(args, target=Target.CONDA)
    delivery_notes = _delivery_notes(args, resolution)
    resolution = replace(resolution, notes=(*resolution.notes, *delivery_notes))
    channels = channels_of(args, resolution.conda.channels)
    text = environment_yml(resolution, tuple(args.argv), args.name, channels, delivery_notes)
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
        for note in delivery_notes:
            print(f"note: {note}")
    return 0
