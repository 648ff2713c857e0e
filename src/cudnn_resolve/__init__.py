"""cudnn-resolve: one consistent set of CUDA, cuDNN, driver and Python pins for TensorFlow, PyTorch, JAX."""

from ._version import __version__
from .data import KnowledgeBase, load_knowledge_base
from .errors import (
    CudnnResolveError,
    DataError,
    ResolutionImpossibleError,
    UnknownVersionError,
    UsageError,
)
from .host import HostInfo, detect_host
from .request import FrameworkRequest, Request, Target, parse_frameworks
from .resolver import Resolution, resolve
from .versions import ComputeCapability, DriverVersion, Platform

__all__ = [
    "ComputeCapability",
    "CudnnResolveError",
    "DataError",
    "DriverVersion",
    "FrameworkRequest",
    "HostInfo",
    "KnowledgeBase",
    "Platform",
    "Request",
    "Resolution",
    "ResolutionImpossibleError",
    "Target",
    "UnknownVersionError",
    "UsageError",
    "__version__",
    "detect_host",
    "load_knowledge_base",
    "parse_frameworks",
    "resolve",
]
