"""cudnn-resolve: one consistent set of CUDA, cuDNN, driver and Python pins for TensorFlow, PyTorch, JAX.

The public names load on first use (PEP 562): conda imports this package on every conda command through
the plugin module, so importing it must cost nothing until a name is used.
"""

from __future__ import annotations

import importlib

from ._version import __version__

# Not typing.TYPE_CHECKING: importing typing costs start-up, and mypy treats this name as true itself.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .data import KnowledgeBase, load_knowledge_base
    from .errors import (
        CudnnResolveError,
        DataError,
        ResolutionImpossibleError,
        SearchTooDeepError,
        UnknownVersionError,
        UsageError,
    )
    from .host import HostInfo, detect_host
    from .hostfile import HostFacts, HostGpu, load_host_files
    from .library import pins
    from .request import FrameworkRequest, Request, Target, parse_frameworks
    from .resolver import Resolution, request_for_hosts, resolve
    from .versions import ComputeCapability, DriverVersion, Platform

_MODULE_OF = {
    "KnowledgeBase": ".data",
    "load_knowledge_base": ".data",
    "CudnnResolveError": ".errors",
    "DataError": ".errors",
    "ResolutionImpossibleError": ".errors",
    "SearchTooDeepError": ".errors",
    "UnknownVersionError": ".errors",
    "UsageError": ".errors",
    "HostInfo": ".host",
    "detect_host": ".host",
    "HostFacts": ".hostfile",
    "HostGpu": ".hostfile",
    "load_host_files": ".hostfile",
    "FrameworkRequest": ".request",
    "Request": ".request",
    "Target": ".request",
    "parse_frameworks": ".request",
    "pins": ".library",
    "Resolution": ".resolver",
    "request_for_hosts": ".resolver",
    "resolve": ".resolver",
    "ComputeCapability": ".versions",
    "DriverVersion": ".versions",
    "Platform": ".versions",
}

__all__ = [
    "ComputeCapability",
    "CudnnResolveError",
    "DataError",
    "DriverVersion",
    "FrameworkRequest",
    "HostFacts",
    "HostGpu",
    "HostInfo",
    "KnowledgeBase",
    "Platform",
    "Request",
    "Resolution",
    "ResolutionImpossibleError",
    "SearchTooDeepError",
    "Target",
    "UnknownVersionError",
    "UsageError",
    "__version__",
    "detect_host",
    "load_host_files",
    "load_knowledge_base",
    "parse_frameworks",
    "pins",
    "request_for_hosts",
    "resolve",
]


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
