"""``doctor --binary``: which libcudnn and libcudart a native program would load, as ldd would."""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..probe import elf
from ..versions import cuda_version_text
from .host_scan import cudnn_library_version


class BinaryError(UsageError):
    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"cannot inspect {path}: {problem}. Give the path of an ELF executable or shared library"
        )


@dataclass(frozen=True)
class Resolved:
    soname: str
    path: str | None
    found_by: str
    version: str | None  # cuDNN: its API; CUDA runtime: cudaRuntimeGetVersion
    built_for_cudart: str | None = None  # cuDNN only: the CUDA runtime it was built against


def _cudart_version(path: str) -> str | None:
    try:
        lib = ctypes.CDLL(path)
        value = ctypes.c_int(0)
        if lib.cudaRuntimeGetVersion(ctypes.byref(value)) == 0:
            return cuda_version_text(value.value)
    except (OSError, AttributeError):
        pass
    return None


def _cudnn_cudart(path: str) -> str | None:
    try:
        lib = ctypes.CDLL(path)
        lib.cudnnGetCudartVersion.restype = ctypes.c_size_t
        value = int(lib.cudnnGetCudartVersion())
        return cuda_version_text(value)
    except (OSError, AttributeError):
        return None


def resolve_binary(path: Path, ld_library_path: str | None = None) -> tuple[list[Resolved], list[str]]:
    """The CUDA libraries ``path`` links (DT_NEEDED), where the loader finds each, and problems found."""
    try:
        info = elf.read_dynamic(str(path))
    except FileNotFoundError:
        raise BinaryError(path, "it does not exist") from None
    except (OSError, ValueError, IndexError, Exception) as exc:  # malformed ELF raises struct errors
        raise BinaryError(path, str(exc)) from None
    search = os.environ.get("LD_LIBRARY_PATH", "") if ld_library_path is None else ld_library_path
    cache = elf.loader_cache()
    resolved = []
    for soname in info.needed:
        if not soname.startswith(("libcudnn", "libcudart")):
            continue
        found, how = elf.find_library(soname, info, search, cache)
        if soname.startswith("libcudnn") and found:
            resolved.append(Resolved(soname, found, how, cudnn_library_version(found), _cudnn_cudart(found)))
        elif found:
            resolved.append(Resolved(soname, found, how, _cudart_version(found)))
        else:
            resolved.append(Resolved(soname, None, how, None))
    problems = [f"{r.soname}: not found by the loader" for r in resolved if r.path is None]
    cudnn = next((r for r in resolved if r.soname.startswith("libcudnn") and r.built_for_cudart), None)
    cudart = next((r for r in resolved if r.soname.startswith("libcudart") and r.version), None)
    if (
        cudnn
        and cudart
        and cudnn.built_for_cudart
        and cudart.version
        and cudnn.built_for_cudart.split(".")[0] != cudart.version.split(".")[0]
    ):
        problems.append(
            f"cuDNN {cudnn.version} was built for CUDA {cudnn.built_for_cudart}, but {cudart.path} is CUDA "
            f"{cudart.version}: different majors"
        )
    return resolved, problems
