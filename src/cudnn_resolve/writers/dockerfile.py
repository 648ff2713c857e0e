"""A Dockerfile (and its entrypoint script) that installs exactly an answer from a hashed lock, checks at
build time that the image loads the pinned cuDNN, and can check again, on the GPU, when a container
starts. Pure functions: the base image and the files around it are decided by the caller."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..resolver.resolution import PipPins, Resolution
from .header import command_text, header_lines

VENV = "/opt/venv"
TOOL_HOME = "/opt/cudnn-resolve"
TOOL = f"{TOOL_HOME}/venv/bin/cudnn-resolve"
PIP_CACHE = "--mount=type=cache,target=/root/.cache/pip"
UV_CACHE = "--mount=type=cache,target=/root/.cache/uv"
CHECK_AT_START = "CUDNN_RESOLVE_CHECK_AT_START"
LABEL_PREFIX = "cudnn-resolve"


@dataclass(frozen=True)
class DockerfilePlan:
    """What the Dockerfile is built from, decided by the caller (``images.choose_base`` or --base)."""

    base: str
    base_reason: str
    python: str  # MAJOR.MINOR the environment runs
    install_python: bool  # the base carries no Python: install its OS's python3 with apt
    system_cuda: bool  # CUDA and cuDNN come from the base image, not from wheels
    expect_cudnn: str | None  # the cuDNN the build-time check requires
    lock_file: str  # hashed requirements, beside the Dockerfile
    entrypoint_file: str  # the entrypoint script, beside the Dockerfile
    tool: str  # how the image installs cudnn-resolve: a requirement, or a wheel beside the Dockerfile
    tool_is_file: bool = False


def lock_resolution(resolution: Resolution, plan: DockerfilePlan) -> Resolution:
    """The resolution the lock is made from: on a base that brings CUDA, the NVIDIA wheels are dropped (the
    framework loads the image's libraries; installing both would give two copies)."""
    if not plan.system_cuda:
        return resolution
    keep = [r for r in resolution.pip.requirements if not r.lower().startswith("nvidia-")]
    constraints = [c for c in resolution.pip.constraints if not c.lower().startswith("nvidia-")]
    return replace(resolution, pip=PipPins(tuple(keep), tuple(constraints), resolution.pip.index_urls))


def check_command(plan: DockerfilePlan) -> list[str]:
    """The smoke test the build runs, and the entrypoint runs again at start on request."""
    command = [TOOL, "check", "--python", f"{VENV}/bin/python"]
    if plan.expect_cudnn:
        command += ["--expect-cudnn", plan.expect_cudnn]
    if plan.system_cuda:
        command.append("--system-cuda")
    return command


def _run(*lines: str) -> list[str]:
    """A RUN instruction over several lines, continuation backslashes aligned by hand."""
    out = [f"RUN {lines[0]}" + (" \\" if len(lines) > 1 else "")]
    for i, line in enumerate(lines[1:], start=1):
        out.append(f"    {line}" + (" \\" if i < len(lines) - 1 else ""))
    return out


def dockerfile_text(resolution: Resolution, plan: DockerfilePlan, argv: Sequence[str]) -> str:
    """The Dockerfile, header first (the command that made it, what it targets and on which base)."""
    request = resolution.request.text
    lines = header_lines(resolution, argv)
    lines += [
        f"# Base: {plan.base} ({plan.base_reason})",
        "# Build: podman build --format docker -t IMAGE .   (or: docker build -t IMAGE .)",
        "#   The build fails when the image does not load the pinned cuDNN (the check step below).",
        f"# GPU smoke test at start: podman run --device nvidia.com/gpu=all -e {CHECK_AT_START}=1 IMAGE CMD",
        "#   (docker: --gpus all): the check, with a conv2d on the GPU, runs before CMD; exit 1 if it fails.",
    ]
    if plan.system_cuda:
        lines += [
            "# CUDA and cuDNN are the base image's: the NVIDIA wheels of the Target line are left out of the",
            "# lock; the check applies the framework's rule (the same cuDNN major, a minor >= the build's).",
        ]
    lines += [f"FROM {plan.base}", ""]
    if plan.install_python:
        lines.append("# The base carries no Python: its OS's own python3 runs the environment.")
        lines += _run(
            "apt-get update",
            "&& DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends",
            "   python3 python3-venv",
            "&& rm -rf /var/lib/apt/lists/*",
        )
        lines.append("")
    lines.append("# cudnn-resolve, in an environment of its own: it checks the one below now and at start.")
    tool = plan.tool
    if plan.tool_is_file:
        lines.append(f"COPY {plan.tool} {TOOL_HOME}/{plan.tool}")
        tool = f"{TOOL_HOME}/{plan.tool}"
    lines += _run(
        PIP_CACHE,
        f"python3 -m venv {TOOL_HOME}/venv",
        f"&& {TOOL_HOME}/venv/bin/pip install --disable-pip-version-check {shlex.quote(tool)}",
    )
    finds = (
        "the framework finds the image's CUDA and cuDNN in the system directories."
        if plan.system_cuda
        else "each framework finds its wheels' CUDA libraries through its own RPATH/RUNPATH."
    )
    lines += [
        "",
        "# The environment: exactly the locked packages (hashes checked), in its own venv, installed by the",
        "# uv that came with cudnn-resolve (its download cache is kept across builds; it trusts the",
        "# image's certificate store, as pip does). No LD_LIBRARY_PATH is set:",
        f"# {finds}",
        f"COPY {plan.lock_file} {TOOL_HOME}/{plan.lock_file}",
    ]
    lines += _run(
        UV_CACHE,
        f"python3 -m venv {VENV}",
        f"&& UV_LINK_MODE=copy UV_SYSTEM_CERTS=1 {TOOL_HOME}/venv/bin/uv pip install",
        f"   --python {VENV}/bin/python --require-hashes --no-deps --only-binary :all: --compile-bytecode",
        f"   -r {TOOL_HOME}/{plan.lock_file}",
    )
    expected = f"cuDNN {plan.expect_cudnn}" if plan.expect_cudnn else "the frameworks' cuDNN"
    python = f"{VENV}/bin/python"
    lines += [
        f"ENV PATH={VENV}/bin:$PATH VIRTUAL_ENV={VENV}",
        "",
        f"# The build stops here when the environment would not load {expected} (no GPU needed).",
        "RUN " + shlex.join(check_command(plan)),
        "",
        f"COPY {plan.entrypoint_file} {TOOL_HOME}/entrypoint.sh",
        f"LABEL {LABEL_PREFIX}.request={_quote(request)} {LABEL_PREFIX}.python={_quote(python)}",
        f"LABEL {LABEL_PREFIX}.expect-cudnn={_quote(plan.expect_cudnn or '')} "
        f"{LABEL_PREFIX}.system-cuda={_quote(str(plan.system_cuda).lower())}",
        f"ENV CUDNN_RESOLVE_IMAGE={_quote(request)} {CHECK_AT_START}=0",
        f'ENTRYPOINT ["/bin/sh", "{TOOL_HOME}/entrypoint.sh"]',
        'CMD ["python"]',
    ]
    return "\n".join(lines) + "\n"


def entrypoint_text(resolution: Resolution, plan: DockerfilePlan, argv: Sequence[str]) -> str:
    """The container's entrypoint: the opt-in smoke test, then the command."""
    expected = f"cuDNN {plan.expect_cudnn}" if plan.expect_cudnn else "the frameworks' cuDNN"
    lines = [
        "#!/bin/sh",
        f"# Generated by cudnn-resolve with the Dockerfile beside it: {command_text(argv)}",
        f"# With {CHECK_AT_START}=1 the container first checks that its environment loads {expected},",
        "# with a conv2d on the GPU when one is passed through, and stops (exit 1) when it does not.",
        "set -e",
        f'if [ "${{{CHECK_AT_START}:-0}}" = "1" ]; then',
        f"    {shlex.join(check_command(plan))} >&2",
        "fi",
        'exec "$@"',
    ]
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    """A Dockerfile LABEL/ENV value in double quotes (the Dockerfile's own quoting, not the shell's)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
