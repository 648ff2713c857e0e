"""What a container image carries, and whether a request fits it.

With no IMAGE: the images the knowledge base records (framework images, nvidia/cuda tags with cuDNN,
AWS and Google Cloud deep-learning containers) with their framework, CUDA, cuDNN and Python. With
IMAGE: what it carries, from its record and, when podman or docker has it locally, from its
configuration and a probe run inside it; unknown facts are shown as unknown. With IMAGE and a
REQUEST: whether the answer installed on that image would load its pinned CUDA libraries; exit 1 with
the conflicts and their fixes when it would not. Docs: docs/containers.md.
"""

from __future__ import annotations

import argparse
import json

from ..data import load_knowledge_base
from ..data.images import ImageRecord
from ..images import ImageFacts, facts_of, fit
from ..probe.container import NoEngineError, find_engine
from .options import add_json_argument, add_request_arguments, resolve_from_args
from .render import table

HELP = __doc__ or ""
DOCS = "containers.md"
EXAMPLES = (
    ("{prog} image", "the images the knowledge base records, with their CUDA, cuDNN and Python"),
    (
        "{prog} image tensorflow/tensorflow:2.9.0-gpu tf=2.15",
        "does TensorFlow 2.15 fit that image? (no: its Python is 3.8)",
    ),
    (
        "{prog} image pytorch-training:2.4.0-gpu-py311-cu124-ubuntu22.04-ec2 tf=2.18 --json",
        "an AWS Deep Learning Container (any registry prefix), as JSON",
    ),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("image", nargs="?", metavar="IMAGE", help="an image reference (any registry)")
    add_request_arguments(parser, optional_request=True)
    local = parser.add_argument_group("local images")
    local.add_argument("--engine", metavar="podman|docker", help="the engine to inspect a local image with")
    local.add_argument("--no-probe", action="store_true", help="do not run the probe inside a local image")
    add_json_argument(parser)


def _text(value: object) -> str:
    return "unknown" if value is None else str(value)


def _record_row(record: ImageRecord) -> list[str]:
    python = "none" if record.has_python is False else _text(record.python)
    frameworks = ", ".join(str(f) for f in record.frameworks) or "-"
    return [record.name, record.provider, frameworks, _text(record.cuda), _text(record.cudnn), python]


def _record_json(record: ImageRecord) -> dict[str, object]:
    return {
        "image": record.name,
        "provider": record.provider,
        "frameworks": [str(f) for f in record.frameworks],
        "cuda": str(record.cuda) if record.cuda else None,
        "cudnn": str(record.cudnn) if record.cudnn else None,
        "python": "none" if record.has_python is False else (str(record.python) if record.python else None),
    }


def _facts_json(facts: ImageFacts) -> dict[str, object]:
    return {
        "image": facts.image,
        "record": facts.record.name if facts.record else None,
        "provider": facts.record.provider if facts.record else None,
        "known_from": list(facts.how),
        "python": "none" if facts.has_python is False else (str(facts.python) if facts.python else None),
        "os_python": str(facts.os_python) if facts.os_python else None,
        "cuda": _text(facts.cuda) if facts.cuda else None,
        "cudnn": _text(facts.cudnn) if facts.cudnn else None,
        "frameworks": list(facts.frameworks),
        "ld_library_path": list(facts.ld_library_path) if facts.ld_library_path is not None else None,
        "cudnn_on_ld_library_path": [c.__dict__ for c in facts.shadowing],
        "source": facts.record.source if facts.record else None,
    }


def _facts_lines(facts: ImageFacts) -> list[str]:
    python = "none (its OS installs " + _text(facts.os_python) + ")" if facts.has_python is False else None
    lines = [
        f"image:       {facts.image}",
        f"known from:  {', '.join(facts.how) or 'nothing (not recorded, not local)'}",
        f"python:      {python or _text(facts.python)}",
        f"CUDA:        {_text(facts.cuda)}",
        f"cuDNN:       {_text(facts.cudnn)}",
        f"frameworks:  {', '.join(facts.frameworks) or 'none known'}",
    ]
    if facts.ld_library_path is not None:
        lines.append(f"LD_LIBRARY_PATH: {':'.join(facts.ld_library_path) or '(empty)'}")
    lines += [f"cuDNN on LD_LIBRARY_PATH: {c.version or '?'} at {c.path}" for c in facts.shadowing]
    if facts.record is not None:
        lines.append(f"source:      {facts.record.source}")
    return lines


def execute(args: argparse.Namespace) -> int:
    kb = load_knowledge_base(args.data_dir.resolve() if args.data_dir else None)
    if args.image is None:
        records = kb.images.images
        if args.json:
            print(json.dumps({"schema": 1, "images": [_record_json(r) for r in records]}, indent=2))
        else:
            header = ["image", "provider", "frameworks", "CUDA", "cuDNN", "Python"]
            print(table(header, [_record_row(r) for r in records]))
        return 0
    engine = None
    if not args.no_probe:
        try:
            engine = find_engine(args.engine)
        except NoEngineError:
            if args.engine:
                raise
    facts = facts_of(kb, args.image, engine)
    body: dict[str, object] = {"schema": 1, "image": _facts_json(facts)}
    lines = _facts_lines(facts)
    code = 0
    if args.request:
        resolution = resolve_from_args(args)
        result = fit(resolution, facts)
        code = 0 if result.fits else 1
        body["request"] = resolution.request.text
        body["fits"] = result.fits
        body["problems"] = [p.__dict__ for p in result.problems]
        body["notes"] = list(result.notes)
        verdict = "fits" if result.fits else "does not fit"
        lines.append(f"{resolution.request.text} {verdict} {args.image}:")
        for problem in result.problems:
            lines += [f"  ERROR   {problem.message}", f"          fix: {problem.fix}"]
        lines += [f"  note    {note}" for note in result.notes]
        if result.fits:
            lines.append(
                f"  write it: cudnn-resolve dockerfile {resolution.request.text} --base {args.image}"
            )
    print(json.dumps(body, indent=2) if args.json else "\n".join(lines))
    return code
