"""List environments: those created with -n NAME (the per-user directory; CUDNN_RESOLVE_ENVS_DIR overrides),
or inside conda every environment conda knows (`conda env list`), with the frameworks and cuDNN that
cudnn-resolve pinned in the ones it made.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace

from ..envs import envs_dir, list_envs
from .conda_context import conda_context
from .options import add_json_argument

HELP = __doc__ or ""
DOCS = "commands/envs.md"
EXAMPLES = (
    ("{prog} envs", "the environments made with create -n NAME"),
    ("{prog} envs --json", "the same, as JSON"),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    context = conda_context(args)
    if context is not None:
        entries = [
            replace(e, name="base") if e.prefix == context.root_prefix else e
            for e in list_envs(context.known_prefixes())
        ]
        where = ", ".join(str(d) for d in context.envs_dirs) + " and conda's environments.txt"
    else:
        entries = list_envs()
        where = str(envs_dir())
    if args.json:
        print(
            json.dumps(
                {
                    "schema": 1,
                    "directory": str(context.envs_dirs[0] if context is not None else envs_dir()),
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
        print(f"no environments in {where} (create one with: cudnn-resolve create tf=2.15 -n NAME)")
        return 0
    width = max(len(e.name) for e in entries)
    for e in entries:
        print(f"{e.name.ljust(width)}  {e.frameworks}  cuDNN {e.cudnn or '?'}  {e.created or ''}  {e.prefix}")
    return 0
