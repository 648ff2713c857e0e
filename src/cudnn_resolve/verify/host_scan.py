"""What CUDA and cuDNN copies a machine has, outside any environment: for ``doctor``.

Looks where copies are commonly installed (nvcc on PATH, CUDA_HOME/CUDA_PATH, /usr/local/cuda*, /opt,
the loader cache, the system library directories, conda environments) and reads versions from the files
themselves (version.json, cudnn_version.h, the libraries' own API) rather than from directory names.
"""

from __future__ import annotations

import ctypes
import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..probe import elf
from ..versions import cuda_version_text, cudnn_version_text

_NVCC = re.compile(r"release (\d+\.\d+), V([\d.]+)")
_CUDA_DEFINE = re.compile(r"#define\s+CUDA(?:RT)?_VERSION\s+(\d+)")
_HEADER = re.compile(r"#define\s+CUDNN_(MAJOR|MINOR|PATCHLEVEL)\s+(\d+)")
SYSTEM_LIB_DIRS = (
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/lib64",
)
CONDA_ROOTS = ("miniconda3", "anaconda3", "miniforge3", "mambaforge", "micromamba", ".conda")


@dataclass(frozen=True)
class Toolkit:
    path: str
    version: str | None
    found_by: str  # PATH (nvcc), CUDA_HOME, CUDA_PATH, /usr/local, /opt


@dataclass(frozen=True)
class CudnnCopy:
    path: str
    version: str | None
    found_by: str  # ld.so cache, system directory, toolkit, conda environment, header


def _toolkit_version(root: Path) -> str | None:
    try:
        data = json.loads((root / "version.json").read_text())
        return str(data["cuda"]["version"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        text = (root / "version.txt").read_text()
        match = re.search(r"(\d+\.\d+(?:\.\d+)?)", text)
        return match.group(1) if match else None
    except OSError:
        pass
    for header in ("cuda_runtime_api.h", "cuda.h"):  # #define CUDART_VERSION 13000
        try:
            match = _CUDA_DEFINE.search((root / "include" / header).read_text(errors="replace"))
        except OSError:
            continue
        if match:
            value = int(match.group(1))
            return cuda_version_text(value)
    return None


def find_toolkits(env: dict[str, str]) -> list[Toolkit]:
    found: dict[str, Toolkit] = {}
    nvcc = shutil.which("nvcc", path=env.get("PATH"))
    if nvcc:
        try:
            out = subprocess.run(
                [nvcc, "--version"], capture_output=True, text=True, timeout=30, check=False
            ).stdout
            match = _NVCC.search(out)
        except (OSError, subprocess.TimeoutExpired):
            match = None
        # nvcc may be a wrapper script (as here: /usr/local/bin/nvcc execs the toolkit's), so the
        # toolkit's own directory is found below; this entry records what PATH gives.
        found[nvcc] = Toolkit(nvcc, match.group(2) if match else None, "nvcc on PATH")
    candidates = [(env.get(v), v) for v in ("CUDA_HOME", "CUDA_PATH")]
    for base in (Path("/usr/local"), Path("/opt")):
        if base.is_dir():
            candidates += [(str(p), str(base)) for p in sorted(base.glob("cuda*")) if p.is_dir()]
    for path, how in candidates:
        if path and Path(path).is_dir():
            root = str(Path(path).resolve())
            if root not in found:
                found[root] = Toolkit(root, _toolkit_version(Path(root)), how)
    return list(found.values())


def cudnn_library_version(path: str) -> str | None:
    """The version a libcudnn reports through its API (loads it into this process)."""
    try:
        lib = ctypes.CDLL(path)
        lib.cudnnGetVersion.restype = ctypes.c_size_t
        return cudnn_version_text(int(lib.cudnnGetVersion()))
    except (OSError, AttributeError):
        return None


def header_version(path: Path) -> str | None:
    try:
        values = dict(_HEADER.findall(path.read_text(errors="replace")))
    except OSError:
        return None
    if {"MAJOR", "MINOR", "PATCHLEVEL"} <= values.keys():
        return f"{values['MAJOR']}.{values['MINOR']}.{values['PATCHLEVEL']}"
    return None


def conda_environments(home: Path, env: dict[str, str]) -> list[Path]:
    roots = [home / r for r in CONDA_ROOTS]
    prefixes = [Path(p) for p in (env.get("CONDA_PREFIX"),) if p]
    for root in roots:
        prefixes += [root] + (sorted((root / "envs").iterdir()) if (root / "envs").is_dir() else [])
    return [p for p in dict.fromkeys(prefixes) if (p / "conda-meta").is_dir()]


def _main_libraries(directory: Path) -> Iterable[Path]:
    if directory.is_dir():
        yield from sorted(
            p for p in directory.glob("libcudnn.so.*") if re.fullmatch(r"libcudnn\.so\.\d+", p.name)
        )


def find_cudnn(toolkits: list[Toolkit], home: Path, env: dict[str, str]) -> list[CudnnCopy]:
    """Every cuDNN copy findable on this machine, each once (by real path), with where it was found."""
    copies: dict[str, CudnnCopy] = {}
    for path, how in _cudnn_candidates(toolkits, home, env):
        real = str(path.resolve())
        if real not in copies:
            copies[real] = CudnnCopy(str(path), cudnn_library_version(str(path)), how)
    for header in (
        Path("/usr/include/cudnn_version.h"),
        *(Path(t.path) / "include/cudnn_version.h" for t in toolkits),
    ):
        if header.is_file():
            copies.setdefault(str(header), CudnnCopy(str(header), header_version(header), "header"))
    return list(copies.values())


def _cudnn_candidates(toolkits: list[Toolkit], home: Path, env: dict[str, str]) -> Iterator[tuple[Path, str]]:
    """libcudnn main libraries, in the order the loader would prefer their places: its cache, the system
    directories, the CUDA toolkits, conda environments."""
    for name, paths in elf.loader_cache().items():
        if re.fullmatch(r"libcudnn\.so\.\d+", name):
            yield from ((Path(cached), "ld.so cache") for cached in paths)
    for directory in SYSTEM_LIB_DIRS:
        yield from ((p, "system directory") for p in _main_libraries(Path(directory)))
    for toolkit in toolkits:
        for sub in ("lib64", "lib", "targets/x86_64-linux/lib"):
            yield from (
                (p, f"CUDA toolkit {toolkit.path}") for p in _main_libraries(Path(toolkit.path) / sub)
            )
    for prefix in conda_environments(home, env):
        yield from ((p, f"conda environment {prefix}") for p in _main_libraries(prefix / "lib"))
