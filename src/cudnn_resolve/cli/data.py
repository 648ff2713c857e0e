"""Inspect and refresh the compatibility data.

data show            where the shipped data and your overlay are, and what they cover
data update          refresh the facts that come from wheel metadata (default PyTorch wheels' pins,
                     new PyTorch releases, TensorFlow [and-cuda] pins; new TensorFlow/JAX releases are
                     detected) through uv, show the differences, and write them to your data overlay
data update --check  only compare: exit 1 when the data is behind the package index
data reset           remove your data overlay (the shipped data is never modified)
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from ..data import load_knowledge_base, shipped_data_dir
from ..data.overlay import overlay_dir
from ..envs.progress import Progress
from ..refresh import refresh, write_overlay
from .options import add_json_argument, existing_directory

HELP = __doc__ or ""
DOCS = "data.md"
EXAMPLES = (
    ("{prog} data show", "where the data is and what it covers"),
    ("{prog} data update --check", "exit 1 when the package index has releases the data lacks"),
    ("{prog} data update", "refresh the facts that come from wheel metadata into your data overlay"),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["show", "update", "reset"], help="what to do (see above)")
    parser.add_argument("--check", action="store_true", help="update: compare only, exit 1 when behind")
    parser.add_argument(
        "--series",
        type=int,
        default=3,
        metavar="N",
        help="update: how many recent release series to refresh (default 3)",
    )
    parser.add_argument(
        "--data-dir",
        type=existing_directory,
        metavar="DIR",
        help="the data to compare (default: shipped + overlay)",
    )
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    action = {"reset": _reset, "show": _show, "update": _update}[args.action]
    return action(args, overlay_dir())


def _reset(args: argparse.Namespace, overlay: Path) -> int:
    existed = overlay.exists()
    shutil.rmtree(overlay, ignore_errors=True)
    print(
        json.dumps({"schema": 1, "removed": str(overlay) if existed else None})
        if args.json
        else (f"removed {overlay}" if existed else f"no data overlay at {overlay}")
    )
    return 0


def _show(args: argparse.Namespace, overlay: Path) -> int:
    kb = load_knowledge_base(args.data_dir.resolve() if args.data_dir else None)
    files = sorted(p.name for p in overlay.glob("*.toml")) if overlay.is_dir() else []
    body = {
        "schema": 1,
        "shipped": str(args.data_dir.resolve() if args.data_dir else shipped_data_dir()),
        "overlay": str(overlay),
        "overlay_files": files,
        "tensorflow": f"{kb.tensorflow[0].versions[0]} .. {kb.tensorflow[-1].versions[-1]}",
        "torch": f"{kb.torch[0].versions[0]} .. {kb.torch[-1].versions[-1]}",
        "jax": f"{kb.jax[0].version} .. {kb.jax[-1].version}",
    }
    if args.json:
        print(json.dumps(body, indent=2))
    else:
        print("\n".join(f"{key}: {value}" for key, value in body.items() if key != "schema"))
    return 0


def _update(args: argparse.Namespace, overlay: Path) -> int:
    """`update` (and `update --check`): exit 1 with --check when the data is behind the index."""
    kb = load_knowledge_base(args.data_dir.resolve() if args.data_dir else None)
    directory = args.data_dir.resolve() if args.data_dir else shipped_data_dir()
    progress = Progress.for_terminal(args.json)
    result = refresh(kb, directory, args.series, progress.stage)
    progress.finish()
    written = [] if args.check else write_overlay(result, overlay)
    if args.json:
        body = {
            "schema": 1,
            "behind": result.behind,
            "written": [str(p) for p in written],
            "changes": [c.__dict__ for c in result.changes],
            "not_refreshed": result.not_refreshed,
        }
        print(json.dumps(body, indent=2))
    else:
        lines = [f"{c.framework} {c.version}: {c.kind} ({c.detail})" for c in result.changes]
        lines += [f"not refreshed: {item}" for item in result.not_refreshed]
        lines += [f"wrote {path}" for path in written]
        if args.check and result.behind:
            lines.append(
                "the compatibility data is behind the package index: run 'cudnn-resolve data update'"
            )
        if lines:
            print("\n".join(lines))
    return 1 if args.check and result.behind else 0
