"""Tiny native stand-ins for CUDA libraries, compiled with the machine's C compiler for the tests.

They export the same version functions as the real libraries (cudnnGetVersion, cudnnGetProperty,
cudnnGetCudartVersion, cudaRuntimeGetVersion), so the probe's ctypes calls, the ELF reader and the loader
search run for real against them. They are not CUDA: nothing here needs a GPU.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CUDNN_C = """
#include <stddef.h>
size_t cudnnGetVersion(void) { return %(raw)d; }
size_t cudnnGetCudartVersion(void) { return %(cudart)d; }
int cudnnGetProperty(int type, int *value) {
    *value = type == 0 ? %(major)d : type == 1 ? %(minor)d : %(patch)d;
    return 0;
}
"""
CUDART_C = "int cudaRuntimeGetVersion(int *v) { *v = %(raw)d; return 0; }\n"
PROGRAM_C = """
#include <stddef.h>
size_t cudnnGetVersion(void);
int cudaRuntimeGetVersion(int *v);
int main(void) { int v; cudaRuntimeGetVersion(&v); return (int)(cudnnGetVersion() == 0) + (v == 0); }
"""


def compiler() -> str:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler to build the native test libraries")
    return cc


def _build(source: str, output: Path, *flags: str) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    c_file = output.with_suffix(output.suffix + ".c")
    c_file.write_text(source)
    subprocess.run([compiler(), "-fPIC", "-o", str(output), str(c_file), *flags], check=True)
    c_file.unlink()
    return output


def fake_cudnn(directory: Path, version: str, cudart: str = "12.4", soname: str | None = None) -> Path:
    """A libcudnn.so.<major> reporting ``version`` through cuDNN's API (v9 or v8 integer encoding)."""
    major, minor, patch = (int(p) for p in version.split("."))
    raw = major * 10000 + minor * 100 + patch if major >= 9 else major * 1000 + minor * 100 + patch
    cmajor, cminor = (int(p) for p in cudart.split("."))
    name = soname or f"libcudnn.so.{major}"
    source = CUDNN_C % {
        "raw": raw,
        "cudart": cmajor * 1000 + cminor * 10,
        "major": major,
        "minor": minor,
        "patch": patch,
    }
    return _build(source, directory / name, "-shared", f"-Wl,-soname,{name}")


def fake_cudnn_sublibrary(directory: Path, name: str) -> Path:
    return _build(
        "int cudnn_sublibrary_marker(void) { return 1; }\n",
        directory / name,
        "-shared",
        f"-Wl,-soname,{name}",
    )


def fake_cudart(directory: Path, cuda: str) -> Path:
    major, minor = (int(p) for p in cuda.split("."))
    name = f"libcudart.so.{major}"
    return _build(
        CUDART_C % {"raw": major * 1000 + minor * 10}, directory / name, "-shared", f"-Wl,-soname,{name}"
    )


def fake_program(directory: Path, libs: Path, runpath: str = "$ORIGIN/lib") -> Path:
    """A program linked against libcudnn and libcudart in ``libs`` with a DT_RUNPATH of ``runpath``."""
    for lib in libs.glob("lib*.so.*"):
        link = libs / (lib.name.split(".so.")[0] + ".so")
        if not link.exists():
            link.symlink_to(lib.name)
    return _build(
        PROGRAM_C,
        directory / "program",
        f"-L{libs}",
        "-lcudnn",
        "-lcudart",
        f"-Wl,-rpath,{runpath}",
        "-Wl,--enable-new-dtags",
    )


NVML_C = """
#include <string.h>
typedef struct { unsigned long long total, free, used; } memory_v1;
typedef struct { unsigned int version; unsigned long long total, reserved, free, used; } memory_v2;
int nvmlInit_v2(void) { return 0; }
int nvmlInitWithFlags(unsigned int flags) { return 0; }
int nvmlShutdown(void) { return 0; }
int nvmlSystemGetDriverVersion(char *out, unsigned int n) { strncpy(out, "%(driver)s", n); return 0; }
int nvmlSystemGetCudaDriverVersion_v2(int *v) { *v = %(cuda)d; return 0; }
int nvmlSystemGetCudaDriverVersion(int *v) { *v = %(cuda)d; return 0; }
int nvmlDeviceGetCount_v2(unsigned int *n) { *n = 1; return 0; }
int nvmlDeviceGetHandleByIndex_v2(unsigned int i, void **handle) { *handle = (void *)1; return 0; }
int nvmlDeviceGetName(void *handle, char *out, unsigned int n) { strncpy(out, "%(gpu)s", n); return 0; }
int nvmlDeviceGetCudaComputeCapability(void *handle, int *major, int *minor) {
    *major = %(major)d; *minor = %(minor)d; return 0;
}
int nvmlDeviceGetMemoryInfo(void *handle, memory_v1 *m) {
    m->total = m->free = 24ULL << 30; m->used = 0; return 0;
}
int nvmlDeviceGetMemoryInfo_v2(void *handle, memory_v2 *m) { m->total = m->free = 24ULL << 30; return 0; }
const char *nvmlErrorString(int result) { return "stand-in"; }
"""
LIBCUDA_C = (
    "int cuDriverGetVersion(int *v) { *v = %(cuda)d; return 0; }\nint cuInit(unsigned f) { return 0; }\n"
)


def fake_driver(directory: Path, driver: str = "550.54.14", cuda: int = 12040) -> tuple[Path, Path]:
    """A machine's NVIDIA driver as programs see it: libnvidia-ml.so.1 (NVML), libcuda.so.1 and nvidia-smi
    answering for one GPU (an A10, compute capability 8.6). Returns (library directory, bin directory):
    put them on LD_LIBRARY_PATH and PATH."""
    values = {"driver": driver, "cuda": cuda, "gpu": "NVIDIA A10", "major": 8, "minor": 6}
    libs, bin_dir = directory / "lib", directory / "bin"
    _build(NVML_C % values, libs / "libnvidia-ml.so.1", "-shared")
    _build(LIBCUDA_C % values, libs / "libcuda.so.1", "-shared")
    bin_dir.mkdir(parents=True, exist_ok=True)
    smi = bin_dir / "nvidia-smi"
    smi.write_text(f"#!/bin/sh\necho '{driver}, 8.6, NVIDIA A10, 24576'\n")
    smi.chmod(0o755)
    return libs, bin_dir
