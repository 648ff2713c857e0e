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
from dataclasses import dataclass
from pathlib import Path

from ..data import load_knowledge_base
from ..host import HostInfo, detect_host, host_platform
from ..hostfile import host_facts
from ..images import Inside, recognise
from ..probe import run_probe
from ..verify import Expectations, Finding, Severity, Verdict, evaluate
from ..verify.binary import Resolved, resolve_binary
from ..verify.host_scan import CudnnCopy, Toolkit, find_cudnn, find_toolkits
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


@dataclass(frozen=True)
class Diagnosis:
    """Everything doctor found, before it is printed as text or JSON."""

    host: HostInfo
    env: dict[str, str]
    toolkits: list[Toolkit]
    copies: list[CudnnCopy]
    verdict: Verdict
    inside: Inside
    binary: tuple[list[Resolved], list[str]] | None
    findings: list[Finding]  # most severe first

    @property
    def failed(self) -> bool:
        return any(f.severity is Severity.ERROR for f in self.findings)


def diagnose(args: argparse.Namespace) -> Diagnosis:
    env = dict(os.environ)
    toolkits = find_toolkits(env)
    kb = load_knowledge_base()
    # Without --binary the current environment is what doctor checks beyond the host: with no framework
    # in it, nothing was checked, and that is a failure, as in `check`.
    verdict = evaluate(
        kb,
        run_probe(sys.executable, conv=not args.no_conv),
        Expectations(),
        need_framework=args.binary is None,
    )
    findings = list(verdict.findings)  # the environment's check already reports LD_PRELOAD and no driver
    binary = resolve_binary(args.binary) if args.binary is not None else None
    if binary is not None:
        findings += [Finding("binary", Severity.ERROR, f"{args.binary}: {p}") for p in binary[1]]
    findings.sort(key=lambda f: f.severity.rank)
    return Diagnosis(
        detect_host(),
        env,
        toolkits,
        find_cudnn(toolkits, Path.home(), env),
        verdict,
        recognise(kb, env),
        binary,
        findings,
    )


def execute(args: argparse.Namespace) -> int:
    found = diagnose(args)
    print(json.dumps(doctor_json(found, args.binary), indent=2) if args.json else render(found))
    return 1 if found.failed else 0


def doctor_json(found: Diagnosis, binary_path: Path | None) -> dict[str, object]:
    host = found.host
    return {
        "schema": 1,
        "passed": not found.failed,
        # A valid host file (docs/teams.md): `--host` and `fleet doctor` read it back.
        "host": {
            **host_facts(host, host_platform(), socket.gethostname()).to_json(),
            "method": host.method,
            "attempts": list(host.attempts),
        },
        "toolkits": [t.__dict__ for t in found.toolkits],
        "cudnn_copies": [c.__dict__ for c in found.copies],
        "environment": verdict_json(found.verdict),
        "binary": None
        if found.binary is None
        else {
            "path": str(binary_path),
            "libraries": [r.__dict__ for r in found.binary[0]],
            "problems": found.binary[1],
        },
        "findings": [f.to_json() for f in found.findings],
        "image": _image_json(found.inside),
    }


def render(found: Diagnosis) -> str:
    lines = _host_lines(found.host)
    lines += [f"toolkit:    CUDA {t.version or '?'} at {t.path} ({t.found_by})" for t in found.toolkits] or [
        "toolkit:    none found"
    ]
    lines += [f"cuDNN:      {c.version or '?'} at {c.path} ({c.found_by})" for c in found.copies] or [
        "cuDNN:      no system copy found"
    ]
    lines += _image_lines(found.inside)
    report = found.verdict.report
    lines.append(f"python:     {report.python_executable} ({report.python_version})")
    for name, f in report.frameworks.items():
        lines.append(f"framework:  {name} {f.version or '(failed to import)'} ({built_with(f)})")
    lines += [f"env:        {key}={found.env[key]}" for key in _LOADING_VARIABLES if found.env.get(key)]
    for r in found.binary[0] if found.binary is not None else ():
        where = r.path or "NOT FOUND"
        extra = f", built for CUDA {r.built_for_cudart}" if r.built_for_cudart else ""
        lines.append(f"binary:     {r.soname} -> {where} ({r.found_by}; version {r.version or '?'}{extra})")
    lines += finding_lines(found.findings)
    lines.append("verdict: " + ("problems found" if found.failed else "no problems found"))
    return "\n".join(lines)


# The variables that steer which copies are loaded, printed where set.
_LOADING_VARIABLES = (
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "PYTHONPATH",
    "CUDA_HOME",
    "CUDA_VISIBLE_DEVICES",
    "CONDA_PREFIX",
)


def _host_lines(host: HostInfo) -> list[str]:
    gpus = ", ".join(f"{g.name} ({g.capability})" for g in host.gpus) or "none"
    if host.found:
        return [f"driver:     {host.driver} (found by {host.method}); GPUs: {gpus}"]
    if host.why_not_detected is not None:
        return [f"driver:     not detected ({host.why_not_detected}); GPUs: not detected"]
    # say how it was looked for, not "none (none)"
    return ["driver:     no NVIDIA driver found; GPUs: none", *(f"            {a}" for a in host.attempts)]


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
