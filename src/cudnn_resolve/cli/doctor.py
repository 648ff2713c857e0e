"""Diagnose this machine and the current Python environment.

Reports the NVIDIA driver and GPUs; every CUDA toolkit and cuDNN copy findable (nvcc on PATH, CUDA_HOME,
CUDA_PATH, /usr/local/cuda*, /opt, the loader cache, system library directories, conda environments);
the variables that steer loading; and the frameworks of the current environment with the smoke test's
findings, most severe first, each with its fix. --binary PATH reports which libcudnn and libcudart a
native program would load, as the dynamic loader would resolve them, and whether their versions agree.
Inside a container it says so, and which kind of image it recognises (nvidia/cuda, pytorch/pytorch, AWS
deep-learning containers, images written by 'cudnn-resolve dockerfile': the markers recorded with their
sources in the knowledge base). Exit 0 when nothing is wrong, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from pathlib import Path

from ..data import load_knowledge_base
from ..host import detect_host, host_platform
from ..hostfile import host_facts
from ..images import Inside, recognise
from ..probe import run_probe
from ..verify import Expectations, Finding, Severity, evaluate
from ..verify.binary import resolve_binary
from ..verify.host_scan import find_cudnn, find_toolkits
from .check import built_with, finding_lines, verdict_json
from .options import add_json_argument

HELP = __doc__ or ""
DOCS = "verify.md"
EXAMPLES = (
    ("{prog} doctor", "this machine's driver, CUDA and cuDNN copies and the current environment"),
    ("{prog} doctor --binary ./build/my_app", "which libcudnn and libcudart a native program would load"),
    ("{prog} doctor --json > host.json", "the host facts, to share or attach to a bug report"),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--binary", type=Path, metavar="PATH", help="a native program or library to inspect")
    parser.add_argument("--no-conv", action="store_true", help="skip the conv2d smoke test")
    add_json_argument(parser)


def execute(args: argparse.Namespace) -> int:
    host = detect_host()
    env = dict(os.environ)
    toolkits = find_toolkits(env)
    copies = find_cudnn(toolkits, Path.home(), env)
    # Without --binary the current environment is what doctor checks beyond the host: with no framework
    # in it, nothing was checked, and that is a failure, as in `check`.
    kb = load_knowledge_base()
    verdict = evaluate(
        kb,
        run_probe(sys.executable, conv=not args.no_conv),
        Expectations(),
        need_framework=args.binary is None,
    )
    inside = recognise(kb, env)
    findings = list(verdict.findings)  # the environment's check already reports LD_PRELOAD and no driver
    binary = resolve_binary(args.binary) if args.binary is not None else None
    if binary is not None:
        findings += [Finding("binary", Severity.ERROR, f"{args.binary}: {p}") for p in binary[1]]
    findings.sort(key=lambda f: f.severity.rank)
    failed = any(f.severity is Severity.ERROR for f in findings)
    if args.json:
        body = {
            "schema": 1,
            "passed": not failed,
            # A valid host file (docs/teams.md): `--host` and `fleet doctor` read it back.
            "host": {
                **host_facts(host, host_platform(), socket.gethostname()).to_json(),
                "method": host.method,
                "attempts": list(host.attempts),
            },
            "toolkits": [t.__dict__ for t in toolkits],
            "cudnn_copies": [c.__dict__ for c in copies],
            "environment": verdict_json(verdict),
            "binary": None
            if binary is None
            else {
                "path": str(args.binary),
                "libraries": [r.__dict__ for r in binary[0]],
                "problems": binary[1],
            },
            "findings": [f.to_json() for f in findings],
            "image": _image_json(inside),
        }
        print(json.dumps(body, indent=2))
        return 1 if failed else 0
    gpus = ", ".join(f"{g.name} ({g.capability})" for g in host.gpus) or "none"
    if host.found:
        lines = [f"driver:     {host.driver} (found by {host.method}); GPUs: {gpus}"]
    elif host.why_not_detected is not None:
        lines = [f"driver:     not detected ({host.why_not_detected}); GPUs: not detected"]
    else:  # say how it was looked for, not "none (none)"
        lines = ["driver:     no NVIDIA driver found; GPUs: none"]
        lines += [f"            {attempt}" for attempt in host.attempts]
    lines += [f"toolkit:    CUDA {t.version or '?'} at {t.path} ({t.found_by})" for t in toolkits] or [
        "toolkit:    none found"
    ]
    lines += [f"cuDNN:      {c.version or '?'} at {c.path} ({c.found_by})" for c in copies] or [
        "cuDNN:      no system copy found"
    ]
    lines += _image_lines(inside)
    lines.append(f"python:     {verdict.report.python_executable} ({verdict.report.python_version})")
    for name, f in verdict.report.frameworks.items():
        lines.append(f"framework:  {name} {f.version or '(failed to import)'} ({built_with(f)})")
    for key in (
        "LD_LIBRARY_PATH",
        "LD_PRELOAD",
        "PYTHONPATH",
        "CUDA_HOME",
        "CUDA_VISIBLE_DEVICES",
        "CONDA_PREFIX",
    ):
        if env.get(key):
            lines.append(f"env:        {key}={env[key]}")
    if binary is not None:
        for r in binary[0]:
            where = r.path or "NOT FOUND"
            extra = f", built for CUDA {r.built_for_cudart}" if r.built_for_cudart else ""
            lines.append(
                f"binary:     {r.soname} -> {where} ({r.found_by}; version {r.version or '?'}{extra})"
            )
    lines += finding_lines(findings)
    lines.append("verdict: " + ("problems found" if failed else "no problems found"))
    print("\n".join(lines))
    return 1 if failed else 0


def _image_json(inside: Inside) -> dict[str, object]:
    return {
        "container": inside.container,
        "markers": [
            {"name": h.marker.name, "value": h.value, "means": h.marker.means, "source": h.marker.source}
            for h in inside.hits
        ],
        "records": [r.name for r in inside.records],
    }


def _image_lines(inside: Inside) -> list[str]:
    lines = [f"container:  {inside.container}"] if inside.container else []
    lines += [f"image:      {hit.describe()}" for hit in inside.hits]
    lines += [f"image:      recorded as {r.name} (cudnn-resolve image {r.name})" for r in inside.records]
    return lines
