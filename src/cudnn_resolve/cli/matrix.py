"""Print the knowledge base as the compatibility tables people otherwise look up by hand.

Tables: tensorflow, torch, jax, cuda (toolkit -> minimum driver, GPU architectures) and cudnn
(release -> CUDA majors, pip and conda builds, minimum GPU architecture). Without a table name, all.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..data import KnowledgeBase, load_knowledge_base
from ..errors import InvalidOptionError
from ..request import ALIASES
from ..resolver.inference import cudnn_min_cc
from .helptext import JSON_HELP
from .options import existing_directory
from .render import table

HELP = __doc__ or ""
DOCS = "commands/matrix.md"
EXAMPLES = (
    ("{prog} matrix tensorflow", "TensorFlow versions with their Python, CUDA and cuDNN"),
    ("{prog} matrix cuda --format markdown", "CUDA toolkits with their minimum drivers, as a Markdown table"),
)
TABLES = ("tensorflow", "torch", "jax", "cuda", "cudnn")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "table",
        nargs="?",
        metavar="TABLE",
        help="tensorflow (tf), torch (pytorch), jax, cuda or cudnn; default: every table",
    )
    parser.add_argument(
        "--format", choices=["table", "markdown", "json"], default="table", help="output format"
    )
    parser.add_argument("--json", action="store_true", help=f"same as --format json: {JSON_HELP}")
    parser.add_argument(
        "--data-dir", metavar="DIR", type=existing_directory, help="read the knowledge base from DIR"
    )


def _tensorflow(kb: KnowledgeBase) -> tuple[list[str], list[list[str]]]:
    rows = []
    for r in kb.tensorflow:
        pins = sorted(
            {str(kb.and_cuda[v].tested_cudnn) for v in r.versions if v in kb.and_cuda},
        )
        win = f"CUDA {r.windows.cuda} / cuDNN {r.windows.cudnn}" if r.windows else "-"
        rows.append(
            [
                str(r.series),
                ", ".join(str(v) for v in r.versions),
                str(r.linux.python),
                str(r.linux.cuda),
                str(r.linux.cudnn),
                win,
                ", ".join(pins) or "-",
            ]
        )
    headers = ["series", "releases", "python", "cuda", "cudnn", "windows gpu", "and-cuda cudnn"]
    return headers, rows


def _torch(kb: KnowledgeBase) -> tuple[list[str], list[list[str]]]:
    rows = []
    for r in kb.torch:
        variants = ", ".join(f"{v.name} ({v.cudnn})" for v in sorted(r.variants, key=lambda v: v.cuda))
        last = r.versions[-1]
        default = next(
            (w for (v, _), w in kb.torch_pypi.items() if v == last and w.platform.value == "linux-64"), None
        )
        companion = r.companions.get(last)
        vision = str(companion.torchvision) if companion and companion.torchvision else "-"
        rows.append(
            [
                str(r.series),
                ", ".join(str(v) for v in r.versions),
                str(r.python),
                variants,
                default.variant if default else "-",
                vision,
            ]
        )
    headers = ["series", "releases", "python", "cuda variants (cudnn)", "pypi default (linux)", "torchvision"]
    return headers, rows


def _jax(kb: KnowledgeBase) -> tuple[list[str], list[list[str]]]:
    rows = [
        [
            str(r.version),
            str(r.python),
            ", ".join(f"{e.extra}: CUDA >= {e.cuda_min}, cuDNN {e.cudnn}" for e in r.cuda),
        ]
        for r in kb.jax
    ]
    return ["version", "python", "cuda plugins"], rows


def _cuda(kb: KnowledgeBase) -> tuple[list[str], list[list[str]]]:
    rows = []
    for t in kb.toolkits:
        major = kb.cuda_majors[t.major]
        compat = major.minor_compat_driver
        rows.append(
            [
                str(t.version),
                str(t.driver.get("linux", "-")),
                str(t.driver.get("windows", "-")),
                str(compat.get("linux", "-")),
                str(compat.get("windows", "-")),
                f"{t.cc_min} - {t.cc_max}",
                "yes" if t.version in kb.pip_sets else "-",
            ]
        )
    headers = [
        "cuda",
        "driver linux",
        "driver windows",
        "compat linux",
        "compat windows",
        "gpu arch",
        "pip wheels",
    ]
    return headers, rows


def _cudnn(kb: KnowledgeBase) -> tuple[list[str], list[list[str]]]:
    rows = []
    for b in kb.cudnn:
        # Where no support matrix states the lowest CUDA, the build serves its whole major.
        cuda = f"{b.cuda_major} (>= {b.cuda_min})" if b.cuda_min else f"{b.cuda_major} (any {b.cuda_major}.x)"
        minimum = cudnn_min_cc(kb, b)
        rows.append(
            [
                str(b.release),
                cuda,
                str(b.pip or "-"),
                str(b.conda or "-"),
                f"{minimum.value} (inferred)" if minimum.inferred else str(minimum.value),
                " ".join(sorted(p.value for p in b.platforms)),
            ]
        )
    return ["cudnn", "cuda", "pip", "conda", "min gpu arch", "platforms"], rows


BUILDERS = {"tensorflow": _tensorflow, "torch": _torch, "jax": _jax, "cuda": _cuda, "cudnn": _cudnn}


def _names(wanted: str | None) -> Sequence[str]:
    if wanted is None:
        return TABLES
    name = ALIASES.get(wanted.lower(), wanted.lower())
    if name not in BUILDERS:
        raise InvalidOptionError("TABLE", wanted, "one of " + ", ".join(TABLES))
    return (name,)


def execute(args: argparse.Namespace) -> int:
    kb = load_knowledge_base(Path(args.data_dir).resolve() if args.data_dir else None)
    fmt = "json" if args.json else args.format
    names = _names(args.table)
    if fmt == "json":
        out: dict[str, Any] = {"schema": 1}
        for name in names:
            headers, rows = BUILDERS[name](kb)
            out[name] = [dict(zip(headers, row)) for row in rows]
        print(json.dumps(out, indent=2))
        return 0
    blocks = []
    for name in names:
        headers, rows = BUILDERS[name](kb)
        title = f"## {name}" if fmt == "markdown" else f"{name}:"
        blocks.append(f"{title}\n\n{table(headers, rows, markdown=fmt == 'markdown')}")
    print("\n\n".join(blocks))
    return 0
