"""Make an environment load its own CUDA libraries with no activation and no LD_LIBRARY_PATH.

TensorFlow <= 2.13 and conda-delivered CUDA open libcudart/libcudnn/... by SONAME through the loader's
normal search, which does not include the environment. The design (the one torch itself uses for its
nvidia wheels): a ``.pth`` file in site-packages imports a tiny module at interpreter start that loads the
environment's CUDA libraries by absolute path with RTLD_GLOBAL. Once a SONAME is loaded, glibc satisfies
later ``dlopen("libcudnn.so.8")`` calls with it, so the framework gets exactly the pinned copies and
system copies (the loader cache, LD_LIBRARY_PATH) never get the chance. ``python -S``/``-I`` skip .pth
files: there the preload does not run (stated in the docs). CUDNN_RESOLVE_NO_PRELOAD=1 turns it off.
"""

from __future__ import annotations

import re
from pathlib import Path

PTH_NAME = "cudnn-resolve-preload.pth"
MODULE_NAME = "_cudnn_resolve_preload"
_SONAME = re.compile(r"^lib[A-Za-z0-9_+-]+\.so\.\d+(\.\d+)?$")
_CUDA = re.compile(
    r"^lib(cudart|cublas|cublasLt|cufft|curand|cusolver|cusparse|nvrtc|nvJitLink|cudnn\w*|nccl|cupti)\.so"
)

MODULE = '''"""Written by cudnn-resolve create: loads this environment's CUDA libraries at interpreter start.

The framework in this environment opens its CUDA libraries by name; loading the environment's copies first
(by path, RTLD_GLOBAL) makes those names resolve to them. Set CUDNN_RESOLVE_NO_PRELOAD=1 to skip.
"""
import ctypes
import os
import sys

LIBRARIES = {libraries!r}


def _preload():
    if os.environ.get("CUDNN_RESOLVE_NO_PRELOAD") or not sys.platform.startswith("linux"):
        return
    pending = [os.path.join(sys.prefix, path) for path in LIBRARIES]
    while pending:  # in passes: a library loads once the ones it links are loaded
        failed = []
        for path in pending:
            try:
                ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            except OSError:
                failed.append(path)
        if len(failed) == len(pending):
            return
        pending = failed


_preload()
'''


def cuda_libraries(prefix: Path) -> list[str]:
    """SONAME-named CUDA libraries of the environment, relative to ``prefix``: NVIDIA's wheels
    (site-packages/nvidia/*/lib) and conda packages (lib/)."""
    found = []
    site = _site_packages(prefix)
    places = [*sorted((site / "nvidia").glob("*/lib")), prefix / "lib"] if site else [prefix / "lib"]
    for directory in places:
        if not directory.is_dir():
            continue
        for path in sorted(directory.iterdir()):
            if _SONAME.match(path.name) and _CUDA.match(path.name):
                found.append(str(path.relative_to(prefix)))
    return found


def _site_packages(prefix: Path) -> Path | None:
    for candidate in [*sorted(prefix.glob("lib/python3*/site-packages")), prefix / "Lib" / "site-packages"]:
        if candidate.is_dir():
            return candidate
    return None


def install_preload(prefix: Path) -> list[str]:
    """Write the .pth hook and its module into the environment; returns the libraries it preloads."""
    site = _site_packages(prefix)
    libraries = cuda_libraries(prefix)
    if site is None or not libraries:
        return []
    (site / f"{MODULE_NAME}.py").write_text(MODULE.format(libraries=libraries))
    (site / PTH_NAME).write_text(f"import {MODULE_NAME}\n")
    return libraries
