"""The answer: one consistent set of pins, and its stable JSON form (documented in docs/json.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from packaging.version import Version

from .._version import __version__
from ..host import HostInfo
from ..request import DISPLAY, Request
from ..versions import DriverVersion, Platform

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class FrameworkPin:
    name: str  # tensorflow | torch | jax
    version: Version
    variant: str  # and-cuda, cu121, cuda12, cuda11.2-pip, cpu ...
    gpu_arch: tuple[str, ...] | None = None  # compute capabilities the build targets, where published
    brings_cuda: bool = True  # False: the framework's wheels carry no CUDA libraries (TensorFlow <= 2.13)

    @property
    def display(self) -> str:
        return f"{DISPLAY[self.name]} {self.version}"


@dataclass(frozen=True)
class PipPins:
    requirements: tuple[str, ...]  # what to install
    constraints: tuple[str, ...]  # name==version, sorted
    index_urls: tuple[str, ...]  # extra indexes (PyTorch's per-CUDA indexes)


@dataclass(frozen=True)
class CondaPins:
    channels: tuple[str, ...]
    dependencies: tuple[str, ...]  # canonical MatchSpecs
    pip: tuple[str, ...]  # the pip: section of an environment.yml


@dataclass(frozen=True)
class Resolution:
    """One consistent answer. ``cuda``/``cudnn`` are what the frameworks were built against (TensorFlow's
    tested configuration, torch's variant); ``cuda_runtime``/``cudnn_version`` are what gets installed."""

    request: Request
    frameworks: tuple[FrameworkPin, ...]
    platform: Platform
    python: str  # PEP 440 range over CPython minors, lower bound first
    python_version: Version  # newest CPython minor satisfying every range (or the one asked for)
    cuda: Version | None
    cuda_runtime: Version | None
    cudnn: Version | None  # MAJOR.MINOR
    cudnn_version: Version | None  # the exact pinned build
    delivery: str | None  # who installs the CUDA libraries: framework | pip | conda
    driver_min: DriverVersion | None  # lowest driver that runs cuda_runtime (minor-version compatibility)
    driver_full: DriverVersion | None  # the toolkit's own minimum (full support, PTX JIT included)
    host: HostInfo | None
    pip: PipPins
    conda: CondaPins
    notes: tuple[str, ...]
    sources: tuple[str, ...]
    # Facts the data marks unknown that the answer relied on, each with how it was inferred (also in notes).
    inferred: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The documented ``--json`` object (docs/json.md); keys are never renamed within a schema."""

        def text(value: object) -> str | None:
            return None if value is None else str(value)

        return {
            "schema": SCHEMA_VERSION,
            "tool": f"cudnn-resolve {__version__}",
            "request": self.request.text,
            "frameworks": [
                {
                    "name": f.name,
                    "version": str(f.version),
                    "variant": f.variant,
                    "gpu_arch": f.gpu_arch,
                    "brings_cuda": f.brings_cuda,
                }
                for f in self.frameworks
            ],
            "platform": str(self.platform),
            "python": self.python,
            "python_version": str(self.python_version),
            "cuda": text(self.cuda),
            "cuda_runtime": text(self.cuda_runtime),
            "cudnn": text(self.cudnn),
            "cudnn_version": text(self.cudnn_version),
            "delivery": self.delivery,
            "driver_min": text(self.driver_min),
            "driver_full": text(self.driver_full),
            "host": host_json(self.host),
            "hosts": [h.to_json() for h in self.request.hosts],
            "pip": {
                "requirements": list(self.pip.requirements),
                "constraints": list(self.pip.constraints),
                "index_urls": list(self.pip.index_urls),
            },
            "conda": {
                "channels": list(self.conda.channels),
                "dependencies": list(self.conda.dependencies),
                "pip": list(self.conda.pip),
            },
            "notes": list(self.notes),
            "inferred": list(self.inferred),
            "sources": list(self.sources),
        }


def host_json(host: HostInfo | None) -> dict[str, Any]:
    if host is None:
        return {
            "detected": False,
            "method": "not-run",
            "driver": None,
            "gpus": [],
            "attempts": [],
            "given": {"driver": None, "gpu_arch": []},
        }
    return {
        "detected": host.found,
        "method": host.method,
        "driver": str(host.driver) if host.driver else None,
        "cuda_driver_max": host.cuda_driver_max,
        "gpus": [
            {
                "index": g.index,
                "name": g.name,
                "compute_capability": str(g.capability) if g.capability else None,
                "memory_mib": g.memory_mib,
            }
            for g in host.gpus
        ],
        "attempts": list(host.attempts),
        # What --driver and --gpu-arch gave; the resolution used these over anything detected.
        "given": {
            "driver": str(host.given_driver) if host.given_driver else None,
            "gpu_arch": [str(g) for g in host.given_gpus],
        },
    }
