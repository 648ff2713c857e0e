"""Smoke-test an environment: which cuDNN is actually loaded, and is it the one that was pinned?

Runs a stdlib-only probe with the environment's own interpreter: framework versions and the CUDA/cuDNN
they were built with, every CUDA library mapped into the process and its version, the copy TensorFlow
would load where it mapped none (no GPU), shadowing through LD_PRELOAD, PYTHONPATH and LD_LIBRARY_PATH,
the driver and GPUs, and a conv2d forward and backward (on the GPU compared with the CPU when there is
one, else on the CPU). Expectations come from the manifest `create` wrote into the environment, from the
uv project around it (the answer `project` wrote into its pyproject.toml, for this platform), or from
--expect-cudnn. In a uv project's directory, with no environment named, the project's environment is
checked (UV_PROJECT_ENVIRONMENT, else .venv). Exit 0 when nothing is wrong, 1 with each finding and its fix.

--image IMAGE checks a local container image instead: the probe is piped to the image's Python (podman
or docker, whichever is installed), in a fresh container with the GPU passed through when this machine
has one. Images written by 'cudnn-resolve dockerfile' carry their expectations as labels.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from packaging.specifiers import SpecifierSet

from ..data import load_knowledge_base
from ..envs import named_prefix
from ..errors import ConflictingOptionsError, UsageError
from ..host import detect_host
from ..probe import ProbeReport, interpreter_of, run_probe
from ..probe.container import ImageNotFoundError, find_engine, inspect_image, run_probe_in_image
from ..probe.report import FrameworkReport
from ..verify import Expectations, Finding, Severity, Verdict, evaluate, read_manifest
from ..verify.manifest import project_record, read_project_expectations
from ..writers.dockerfile import LABEL_PREFIX
from .conda_context import conda_context
from .options import add_json_argument, host_platform_name, python_minor

HELP = __doc__ or ""
DOCS = "verify.md"
EXAMPLES = (
    ("{prog} check -p ./env", "the environment create made: is its cuDNN the pinned one?"),
    (
        "{prog} check --python ~/venvs/tf/bin/python --expect-cudnn 8.9",
        "any environment, with the cuDNN it must load",
    ),
    ("{prog} check -n tf210 --no-conv --json", "skip the conv2d; JSON for scripts"),
)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("environment (default: the Python running cudnn-resolve)")
    where.add_argument("-p", "--prefix", type=Path, metavar="PREFIX", help="the environment's directory")
    where.add_argument(
        "-n", "--name", help="an environment created with -n NAME (inside conda: a conda environment)"
    )
    where.add_argument(
        "--python",
        metavar="VERSION|PATH",
        help="the environment's interpreter, or a version (3.10: the newest 3.10 interpreter found on "
        "PATH, in pyenv, conda or uv)",
    )
    where.add_argument(
        "--image",
        metavar="IMAGE",
        help="a local container image, checked in a fresh container (--python: the interpreter in it)",
    )
    where.add_argument(
        "--engine", metavar="podman|docker", help="--image: the engine (default: podman, docker)"
    )
    where.add_argument("--no-gpu", action="store_true", help="--image: do not pass the GPU through")
    expect = parser.add_argument_group("expectations")
    expect.add_argument("--expect-cudnn", metavar="X.Y[.Z]", help="the cuDNN that must be loaded")
    expect.add_argument(
        "--no-manifest",
        action="store_true",
        help="ignore the manifest create wrote (and the answer a uv project records)",
    )
    expect.add_argument(
        "--system-cuda",
        action="store_true",
        help="the environment uses the system's CUDA and cuDNN on purpose (an image built on nvidia/cuda)",
    )
    parser.add_argument("--no-conv", action="store_true", help="skip the conv2d smoke test")
    add_json_argument(parser)


class NoEnvironmentError(UsageError):
    def __init__(self, what: str, how: str) -> None:
        super().__init__(f"{what}: {how}")


def target_prefix(args: argparse.Namespace) -> Path | None:
    """The environment -p, -n (or, inside conda, the active environment) names; None: this interpreter."""
    given = [x for x in (args.prefix, args.name, args.python) if x]
    if len(given) > 1:
        raise ConflictingOptionsError("more than one of -p, -n and --python was given", "Give one of them")
    context = conda_context(args)
    if args.prefix is not None:
        return Path(args.prefix)
    if args.name:
        prefix = context.prefix_of(args.name) if context is not None else named_prefix(args.name)
        if not prefix.exists():
            where = "conda environment" if context is not None else "environment"
            listing = "conda env list" if context is not None else "cudnn-resolve envs"
            raise NoEnvironmentError(
                f"no {where} is named {args.name!r} (looked for {prefix})",
                f"'{listing}' lists them; create one with: cudnn-resolve create REQUEST -n {args.name}",
            )
        return prefix
    if args.python is None and context is not None:
        return context.active_prefix
    if args.python is None:
        return project_environment(Path.cwd())
    return None


def project_environment(directory: Path) -> Path | None:
    """The environment of the uv project in ``directory`` (one whose pyproject.toml ``project`` wrote):
    UV_PROJECT_ENVIRONMENT, else .venv, as uv itself chooses. None outside such a project."""
    if project_record(directory) is None:
        return None
    configured = os.environ.get("UV_PROJECT_ENVIRONMENT")
    environment = directory / (configured or ".venv")
    if not environment.is_dir():
        raise UsageError(
            f"{directory} is a uv project and its environment {environment} does not exist. Create it with "
            "'uv sync', or name the environment to check with -p PREFIX"
        )
    return environment


def _interpreter(value: str) -> str:
    """--python: an interpreter's path as given, or a version's newest interpreter on this machine (the
    same two forms --python takes in every verb)."""
    from ..envs.python_finder import find_python, looks_like_path  # noqa: PLC0415  # runs interpreters

    if looks_like_path(value):
        python_minor(value)  # a usage error for what is not a working interpreter
        return value
    python_minor(value)  # a usage error for what is neither a path nor a version
    return str(find_python(SpecifierSet(), value).path)


def _image_check(args: argparse.Namespace) -> tuple[ProbeReport, Expectations]:
    """Probe a local image; its labels (written by ``cudnn-resolve dockerfile``) give the expectations."""
    if args.prefix is not None or args.name:
        raise ConflictingOptionsError("--image was given with -p or -n", "Give the image, or an environment")
    engine = find_engine(args.engine)
    config = inspect_image(engine, args.image)
    if config is None:
        raise ImageNotFoundError(engine, args.image)
    labels = config.labels
    python = args.python or labels.get(f"{LABEL_PREFIX}.python") or "python3"
    gpus = not args.no_gpu and detect_host().driver is not None
    report = run_probe_in_image(args.image, engine=engine, python=python, conv=not args.no_conv, gpus=gpus)
    expectations = Expectations(
        labels.get(f"{LABEL_PREFIX}.expect-cudnn") or None,
        source=f"the label {LABEL_PREFIX}.expect-cudnn of {args.image}",
        system_cuda=labels.get(f"{LABEL_PREFIX}.system-cuda") == "true",
    )
    return report, expectations


def run_check(args: argparse.Namespace) -> Verdict:
    if args.image:
        report, expectations = _image_check(args)
        if args.expect_cudnn:
            expectations = replace(expectations, cudnn=args.expect_cudnn, source="--expect-cudnn")
        if args.system_cuda:
            expectations = replace(expectations, system_cuda=True)
        return evaluate(load_knowledge_base(), report, expectations, need_framework=True)
    prefix_arg = target_prefix(args)
    python = _interpreter(args.python) if args.python else None
    python = python or (str(interpreter_of(prefix_arg)) if prefix_arg is not None else sys.executable)
    report = run_probe(python, conv=not args.no_conv)
    prefix = prefix_arg or Path(report.prefix)
    expectations = Expectations()
    manifest = None if args.no_manifest else read_manifest(prefix)
    if manifest is not None:
        expectations = manifest[0]
    elif not args.no_manifest:
        # A uv project's environment (project/.venv): the answer written into the project's pyproject.
        project = read_project_expectations(prefix.absolute().parent, str(host_platform_name()))
        expectations = project or expectations
    if args.expect_cudnn:
        expectations = Expectations(
            args.expect_cudnn,
            expectations.cuda,
            expectations.frameworks,
            expectations.driver_min,
            "--expect-cudnn",
        )
    if args.system_cuda:
        expectations = replace(expectations, system_cuda=True)
    return evaluate(load_knowledge_base(), report, expectations, need_framework=True)


def verdict_json(verdict: Verdict) -> dict[str, object]:
    report = verdict.report
    return {
        "schema": 1,
        "passed": verdict.passed,
        "python": {
            "executable": report.python_executable,
            "version": report.python_version,
            "prefix": report.prefix,
        },
        "expectations": {
            "cudnn": verdict.expectations.cudnn,
            "cuda": verdict.expectations.cuda,
            "frameworks": [{"name": n, "version": v} for n, v in verdict.expectations.frameworks],
            "source": verdict.expectations.source,
        },
        "loaded_cudnn": verdict.loaded_cudnn,
        "driver": report.driver,
        "cuda_driver": report.cuda_driver,
        "gpus": [{"name": g.name, "compute_capability": g.compute_capability} for g in report.gpus],
        "frameworks": {
            name: {
                "version": f.version,
                "cuda_compiled": f.cuda_compiled,
                "cudnn_compiled": f.cudnn_compiled,
                "cudnn_runtime": f.cudnn_runtime,
                "gpu_available": f.gpu_available,
                "arch_list": list(f.arch_list),
                "conv": None if f.conv is None else f.conv.__dict__,
                "error": f.error,
            }
            for name, f in report.frameworks.items()
        },
        "libraries": [lib.__dict__ for lib in report.libraries],
        "findings": [f.to_json() for f in verdict.findings],
        "probe": report.raw,
    }


def finding_lines(findings: Sequence[Finding]) -> list[str]:
    """The findings block of the human output (check and doctor): one line each, fixes under problems."""
    lines = ["findings:"]
    for finding in findings:
        lines.append(f"  {str(finding.severity).upper():7} {finding.message}")
        if finding.fix and finding.severity is not Severity.INFO:
            lines.append(f"          fix: {finding.fix}")
    return lines


def built_with(framework: FrameworkReport) -> str:
    """What a framework build was compiled against, in words (check and doctor)."""
    if not framework.cudnn_compiled and not framework.cuda_compiled:
        return "no CUDA build"
    return f"built with CUDA {framework.cuda_compiled or '?'}, cuDNN {framework.cudnn_compiled or '?'}"


def render(verdict: Verdict, image: str | None = None) -> str:
    report = verdict.report
    lines = [f"image:       {image}"] if image else []
    lines.append(f"environment: {report.prefix} (Python {report.python_version}, {report.python_executable})")
    for name, f in report.frameworks.items():
        lines.append(f"framework:   {name} {f.version or '(failed to import)'} ({built_with(f)})")
    for lib in report.libraries:
        if lib.is_cudnn_main:
            how = "mapped" if lib.source == "mapped" else f"TensorFlow would load it ({lib.found_by})"
            lines.append(f"cuDNN:       {lib.version} from {lib.path} ({how})")
    if verdict.expectations.cudnn:
        lines.append(f"expected:    cuDNN {verdict.expectations.cudnn} ({verdict.expectations.source})")
    gpus = ", ".join(f"{g.name} ({g.compute_capability})" for g in report.gpus) or "none"
    lines.append(f"driver/GPU:  {report.driver or 'no NVIDIA driver'}; GPUs: {gpus}")
    lines += finding_lines(verdict.findings)
    errors = sum(1 for f in verdict.findings if f.severity.value == "error")
    loaded = verdict.loaded_cudnn or "none"
    lines.append(
        f"verdict: {'PASS' if verdict.passed else 'FAIL'} (loaded cuDNN {loaded}; {errors} error(s))"
    )
    return "\n".join(lines)


def execute(args: argparse.Namespace) -> int:
    verdict = run_check(args)
    if args.json:
        body = verdict_json(verdict)
        if args.image:
            body["image"] = args.image
        print(json.dumps(body, indent=2))
    else:
        print(render(verdict, args.image))
    return 0 if verdict.passed else 1
