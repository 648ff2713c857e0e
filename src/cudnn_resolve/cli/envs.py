"""List the environments created with -n NAME (the per-user directory; CUDNN_RESOLVE_ENVS_DIR overrides)."""

from __future__ import annotations

import argparse
import json

from ..envs import envs_dir, list_envs
from .options import add_json_argument

HELP = __doc__ or ""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    entries = list_envs()
    if args.json:
        print(
            json.dumps(
                {
                    "schema": 1,
                    "directory": str(envs_dir()),
                    "environments": [
                        {
                            "name": e.name,
                            "prefix": str(e.prefix),
                            "frameworks": e.frameworks,
                            "cudnn": e.cudnn,
                            "created": e.created,
                        }
                        for e in entries
                    ],
                },
                indent=2,
            )
        )
        return 0
    if not entries:
        print(f"no environments in {envs_dir()} (create one with: cudnn-resolve create tf=2.15 -n NAME)")
        return 0
    width = max(len(e.name) for e in entries)
    for e in entries:
        print(f"{e.name.ljust(width)}  {e.frameworks}  cuDNN {e.cudnn or '?'}  {e.created or ''}  {e.prefix}")
    return 0
