"""Write a Dockerfile that installs exactly the answer, from a hashed lock, and fails to build when the image
would not load the pinned cuDNN.

Writes three files: the Dockerfile (-o, default ./Dockerfile) and, beside it, the hashed lock it installs
from (requirements.lock.txt, the same lock as 'cudnn-resolve lock --format requirements') and the
container's entrypoint script. The base (--base auto) follows from the answer: a slim Python image
when the frameworks' wheels bring CUDA and cuDNN; an nvidia/cuda runtime image with the build's CUDA
and cuDNN major when they do not (TensorFlow <= 2.13). No LD_LIBRARY_PATH is set. A build step runs
'cudnn-resolve check' (no GPU needed: which cuDNN the environment loads, and its version); setting
CUDNN_RESOLVE_CHECK_AT_START=1 runs it again, with a conv2d on the GPU, when the container starts.

--base IMAGE installs on an image of your choice after checking what it carries (its record in the
knowledge base; a local image is also inspected and probed): exit 1 with the fix when the answer would
not load its pinned libraries there. cudnn-resolve is installed in the image from --tool (default: the
package index); until it is published there, build a wheel into the Dockerfile's directory and name it.
Docs: docs/containers.md.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

from .._version import __version__
from ..data import load_knowledge_base
from ..envs.progress import Progress
from ..errors import ConflictingOptionsError
from ..fileio import write_files
from ..images import (
    BaseChoice,
    ImageConflictError,
    choose_base,
    facts_of,
    fit,
    needs_system_cuda,
)
from ..lock import pip_lock_body
from ..probe.container import NoEngineError, find_engine
from ..resolver.resolution import Resolution
from ..writers.dockerfile import DockerfilePlan, dockerfile_text, entrypoint_text, lock_resolution
from ..writers.lockfiles import hashed_requirements_text
from .options import (
    add_json_argument,
    add_request_arguments,
    host_platform_name,
    require_pip_packages,
    resolve_from_args,
)

HELP = __doc__ or ""
DOCS = "containers.md"
EXAMPLES = (
    (
        "{prog} dockerfile tf==2.15.1 --python 3.11 -o build/Dockerfile",
        "TensorFlow 2.15.1 on python:3.11-slim (its wheels bring cuDNN 8.9.4.25), with the lock beside it",
    ),
    (
        "{prog} dockerfile torch==2.14.1 -o build/Dockerfile --tool cudnn_resolve-0.1.0-py3-none-any.whl",
        "install cudnn-resolve in the image from a wheel in build/ (it is not on the package index yet)",
    ),
    (
        "{prog} dockerfile tf=2.13 --base nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04 -o build/Dockerfile",
        "on a base of your choice: refused, with the fix, when its CUDA, cuDNN or Python does not fit",
    ),
)
LOCK_NAME = "requirements.lock.txt"
ENTRYPOINT_NAME = "cudnn-resolve-entrypoint.sh"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser)
    image = parser.add_argument_group("image")
    image.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        default=Path("Dockerfile"),
        help="the Dockerfile to write (default: ./Dockerfile); the lock and entrypoint go beside it",
    )
    image.add_argument(
        "--base",
        metavar="auto|IMAGE",
        default="auto",
        help="the base image: auto (chosen from the answer, default) or an image, checked for conflicts",
    )
    image.add_argument(
        "--tool",
        metavar="SPEC",
        default=f"cudnn-resolve=={__version__}",
        help="how the image installs cudnn-resolve for its checks: a pip requirement (default: "
        f"cudnn-resolve=={__version__}) or a wheel file in the Dockerfile's directory",
    )
    image.add_argument("--engine", metavar="podman|docker", help="the engine that inspects a local --base")
    add_json_argument(parser)


def _resolve(args: argparse.Namespace, python: str | None = None) -> Resolution:
    if python is None:
        return resolve_from_args(args)
    again = copy.copy(args)
    again.python = python
    return resolve_from_args(again)


def _given_base(args: argparse.Namespace, resolution: Resolution) -> tuple[BaseChoice, Resolution, list[str]]:
    """--base IMAGE: what it carries, whether the answer fits it, and the answer for its Python."""
    try:
        engine: str | None = find_engine(args.engine)
    except NoEngineError:
        if args.engine:
            raise
        engine = None
    kb = load_knowledge_base(args.data_dir.resolve() if args.data_dir else None)
    facts = facts_of(kb, args.base, engine)
    result = fit(resolution, facts)
    if not result.fits:
        raise ImageConflictError(args.base, resolution.request.text, result.problems)
    notes = list(result.notes)
    python = facts.python_for_install
    if python is not None and python != resolution.python_version:
        resolution = _resolve(args, str(python))
    system = needs_system_cuda(resolution)
    pinned = str(resolution.cudnn_version) if resolution.cudnn_version else None
    expect = (str(facts.cudnn) if facts.cudnn else None) if system else pinned
    how = ", ".join(facts.how) or "nothing recorded, not local"
    choice = BaseChoice(
        args.base,
        f"given with --base; known from: {how}",
        python or resolution.python_version,
        facts.has_python is False,
        system,
        expect,
        facts.record,
    )
    return choice, resolution, notes


def _tool(args: argparse.Namespace) -> tuple[str, bool]:
    """The --tool value as the Dockerfile names it; a file must be in the Dockerfile's directory."""
    spec = str(args.tool)
    if not spec.endswith((".whl", ".tar.gz")):
        return spec, False
    path = Path(spec) if Path(spec).is_absolute() else args.output.parent / spec
    if not path.is_file() or path.resolve().parent != args.output.resolve().parent:
        raise ConflictingOptionsError(
            f"--tool {spec} is not a file in the Dockerfile's directory ({args.output.parent})",
            "Build the wheel there (uv build --wheel -o DIR, or pip wheel --no-deps -w DIR .) and give its "
            "file name",
        )
    return path.name, True


def plan_for(choice: BaseChoice, tool: str, tool_is_file: bool) -> DockerfilePlan:
    """What the Dockerfile is written from: the base chosen, and the files written beside it."""
    return DockerfilePlan(
        base=choice.image,
        base_reason=choice.reason,
        python=str(choice.python),
        install_python=choice.install_python,
        system_cuda=choice.system_cuda,
        expect_cudnn=choice.expect_cudnn,
        lock_file=LOCK_NAME,
        entrypoint_file=ENTRYPOINT_NAME,
        tool=tool,
        tool_is_file=tool_is_file,
    )


def execute(args: argparse.Namespace) -> int:
    platform = args.platform or str(host_platform_name())
    if not platform.startswith("linux"):
        raise ConflictingOptionsError(
            f"--platform {platform}: container images are Linux", "Use linux-64 or linux-aarch64"
        )
    args.platform = platform
    tool, tool_is_file = _tool(args)
    resolution = resolve_from_args(args)
    notes: list[str] = []
    if args.base == "auto":
        kb = load_knowledge_base(args.data_dir.resolve() if args.data_dir else None)
        choice = choose_base(resolution, kb)
        if choice.python != resolution.python_version:
            resolution = _resolve(args, str(choice.python))
    else:
        choice, resolution, notes = _given_base(args, resolution)
    plan = plan_for(choice, tool, tool_is_file)
    argv = tuple(args.argv)
    locked = lock_resolution(resolution, plan)
    require_pip_packages(locked, "a Dockerfile")
    locked_python = str(locked.python_version)
    step = f"locking {locked.platform}, Python {locked_python} through uv"
    with Progress.for_terminal(args.json).step(step):
        lock_body = pip_lock_body(locked, "requirements.txt")
    lock_text = hashed_requirements_text(locked, [locked_python], lock_body, argv)
    directory = args.output.parent
    files = [
        (args.output, dockerfile_text(resolution, plan, argv)),
        (directory / LOCK_NAME, lock_text),
        (directory / ENTRYPOINT_NAME, entrypoint_text(resolution, plan, argv)),
    ]
    write_files(files)
    notes += list(resolution.notes)
    if args.json:
        body = {
            "schema": 1,
            "files": [str(p) for p, _ in files],
            "base": plan.base,
            "base_reason": plan.base_reason,
            "python": plan.python,
            "system_cuda": plan.system_cuda,
            "expect_cudnn": plan.expect_cudnn,
            "notes": notes,
            "resolution": resolution.to_json(),
        }
        print(json.dumps(body, indent=2))
        return 0
    for path, _ in files:
        print(f"wrote {path}")
    print(f"base: {plan.base} ({plan.base_reason})")
    print(
        f"build: podman build --format docker -t IMAGE {directory}   (or: docker build -t IMAGE {directory})"
    )
    for note in notes:
        print(f"note: {note}")
    return 0
