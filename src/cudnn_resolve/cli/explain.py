"""Explain an error log: the causes it shows, most likely first, with fixes.

Reads FILE (or standard input with - or no argument). Recognises cuDNN version mismatches, missing or
shadowed CUDA libraries, cuDNN initialisation failures, old drivers, forward-compatibility misuse, GPU
architectures a build lacks, no visible GPU, CPU-only builds, a missing ptxas/libdevice, out-of-memory, and
harmless noise (never reported as the cause). Fixes name exact packages from the compatibility data.
Exit 0 when a cause was recognised, 1 when nothing but noise was found.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..data import load_knowledge_base
from ..errors import UsageError
from ..explain import Category, find_causes
from .options import add_json_argument

HELP = __doc__ or ""
DOCS = "verify.md"
EXAMPLES = (
    ("{prog} explain train.log", "the causes of the CUDA/cuDNN errors in a log, with fixes"),
    ("python train.py 2>&1 | {prog} explain", "from standard input"),
)
MAX_BYTES = 64 * 1024 * 1024


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="the log (default: standard input)"
    )
    add_json_argument(parser)


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read(MAX_BYTES)
    try:
        with Path(name).open(encoding="utf-8", errors="replace") as handle:
            return handle.read(MAX_BYTES)
    except OSError as exc:
        raise UsageError(
            f"cannot read {name}: {exc.strerror}. Give a log file, or - to read standard input"
        ) from None


def execute(args: argparse.Namespace) -> int:
    causes = find_causes(_read(args.file), load_knowledge_base())
    real = [c for c in causes if c.category is not Category.BENIGN]
    if args.json:
        print(json.dumps({"schema": 1, "causes": [c.to_json() for c in causes]}, indent=2))
        return 0 if real else 1
    if not causes:
        print("no known error in this log; if it failed on the GPU, run: cudnn-resolve doctor")
        return 1
    for index, cause in enumerate(causes, 1):
        print(f"{index}. {cause.category} (line {cause.line}, seen {cause.occurrences}x)")
        print(f"   {cause.evidence}")
        if cause.versions:
            print("   versions: " + ", ".join(f"{k} {v}" for k, v in sorted(cause.versions.items())))
        print(f"   why: {cause.explanation}")
        for fix in cause.fixes:
            print(f"   fix: {fix}")
    if not real:
        print("only harmless messages: the failure is elsewhere (run: cudnn-resolve doctor)")
    return 0 if real else 1
