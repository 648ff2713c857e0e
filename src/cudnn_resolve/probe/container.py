"""Run the probe inside a container image, with podman or docker, whichever is installed.

The probe and its ELF reader are piped to the image's own Python on stdin (nothing is mounted or copied
into the image); the report comes back on stdout. The image's environment (its LD_LIBRARY_PATH, its
system CUDA and cuDNN) is exactly what a container started from it gets, which is what is being checked.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import CudnnResolveError, UsageError
from ..redact import output_tail
from .report import ProbeReport, parse_report
from .run import SCRIPT, ProbeError

ENGINES = ("podman", "docker")
ENGINE_VARIABLE = "CUDNN_RESOLVE_CONTAINER_ENGINE"

# Run by the image's Python: loads the probe's ELF reader as the module ``elf``, runs the probe with its
# stdout sent to stderr (frameworks print at import time), then writes the report to the real stdout.
# Python 3.7-compatible, like the probe.
_BOOTSTRAP = """\
import os, sys, tempfile, types
real_stdout = os.dup(1)
os.dup2(2, 1)
elf = types.ModuleType("elf")
exec(compile({elf!r}, "cudnn-resolve-probe/elf.py", "exec"), elf.__dict__)
sys.modules["elf"] = elf
probe = {{"__name__": "cudnn_resolve_probe", "__file__": "/cudnn-resolve-probe/script.py"}}
exec(compile({script!r}, "cudnn-resolve-probe/script.py", "exec"), probe)
fd, output = tempfile.mkstemp(suffix=".json")
os.close(fd)
probe["main"]({args!r} + ["--output", output])
sys.stdout.flush()
with open(output) as handle:
    text = handle.read()
os.remove(output)
with os.fdopen(real_stdout, "w") as out:
    out.write({marker!r} + text)
"""
# Before the report on stdout: whatever the image prints before the probe runs (a sitecustomize, a
# shell profile) stays apart from it.
_MARKER = "\n--- cudnn-resolve probe report ---\n"


class NoEngineError(UsageError):
    def __init__(self, wanted: str | None) -> None:
        what = wanted or " or ".join(ENGINES)
        super().__init__(
            f"no container engine: {what} is not on PATH. Install podman or docker, or name one with "
            f"--engine (or {ENGINE_VARIABLE})"
        )


class ImageNotFoundError(UsageError):
    def __init__(self, engine: str, image: str) -> None:
        self.image = image
        engine = Path(engine).name
        super().__init__(
            f"the image {image} is not in {engine}'s local storage. Pull it ({engine} pull {image}) or "
            "build it first, then run the command again"
        )


class ContainerRunError(CudnnResolveError):
    """The engine could not start the container (exit 1)."""

    exit_code = 1

    def __init__(self, command: Sequence[str], detail: str, hint: str = "") -> None:
        super().__init__(f"{' '.join(command[:3])} ... failed: {detail}{hint}")


@dataclass(frozen=True)
class ImageConfig:
    """What an image's configuration says (``IMAGE inspect``): its environment and labels."""

    image: str
    image_id: str
    env: Mapping[str, str]
    labels: Mapping[str, str]


def find_engine(wanted: str | None = None) -> str:
    """The engine to use: ``wanted``, else $CUDNN_RESOLVE_CONTAINER_ENGINE, else podman, else docker."""
    wanted = wanted or os.environ.get(ENGINE_VARIABLE) or None
    for name in [wanted] if wanted else list(ENGINES):
        path = shutil.which(name)
        if path:
            return path
    raise NoEngineError(wanted)


def inspect_image(engine: str, image: str) -> ImageConfig | None:
    """The image's configuration, or None when the image is not in local storage (never pulls)."""
    result = subprocess.run(
        [engine, "image", "inspect", image], capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        return None
    try:
        data = json.loads(result.stdout)[0]
    except (ValueError, IndexError, KeyError):
        return None
    config = data.get("Config") or {}
    env = dict(item.split("=", 1) for item in config.get("Env") or [] if "=" in item)
    return ImageConfig(image, str(data.get("Id", "")), env, dict(config.get("Labels") or {}))


def gpu_arguments(engine: str) -> list[str]:
    """Pass every GPU through: podman uses the CDI device name, docker the NVIDIA runtime's --gpus."""
    return ["--device", "nvidia.com/gpu=all"] if Path(engine).name == "podman" else ["--gpus", "all"]


def bootstrap(conv: bool) -> str:
    """The program piped to the image's Python: the probe and its ELF reader, inlined."""
    return _BOOTSTRAP.format(
        elf=SCRIPT.with_name("elf.py").read_text(encoding="utf-8"),
        script=SCRIPT.read_text(encoding="utf-8"),
        args=[] if conv else ["--no-conv"],
        marker=_MARKER,
    )


def report_text(stdout: str) -> str:
    """The report from the container's stdout: what follows the marker."""
    return stdout.rsplit(_MARKER, 1)[-1] if _MARKER in stdout else ""


def run_probe_in_image(
    image: str,
    *,
    engine: str,
    python: str = "python3",
    conv: bool = True,
    gpus: bool = False,
    timeout: float = 900,
) -> ProbeReport:
    """Run the probe with ``python`` in a fresh container of ``image`` (removed afterwards; no network)."""
    command = [engine, "run", "--rm", "-i", "--network", "none", "--entrypoint", python]
    if gpus:
        command += gpu_arguments(engine)
    command += [image, "-"]
    try:
        result = subprocess.run(
            command, input=bootstrap(conv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise ProbeError(f"{python} in {image}", f"no answer within {timeout:.0f} s") from None
    text = report_text(result.stdout)
    if result.returncode != 0 or not text.strip():
        tail = f"exit {result.returncode}: {output_tail(result.stderr, 3)}"
        hint = ""
        if gpus:
            hint = (
                ". The GPU was passed through: podman needs a CDI spec (nvidia-ctk cdi generate "
                "--output=/etc/cdi/nvidia.yaml), docker the NVIDIA container toolkit; --no-gpu checks without"
            )
        raise ContainerRunError(command, tail, hint)
    try:
        raw = json.loads(text)
    except ValueError:
        raise ProbeError(f"{python} in {image}", "its report is not JSON") from None
    return parse_report(raw)
