"""The probe's JSON, as typed values: what an environment loaded, and how its frameworks were built."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Conv:
    device: str  # "cpu", or the GPU it ran on
    gpu: str | None
    ok: bool
    cpu_ms: float | None
    gpu_ms: float | None  # the first GPU run: context creation, library loading, algorithm choice
    max_abs_diff: float | None
    gpu_ms_warm: float | None = None  # the second GPU run
    error: str | None = None  # the conv raised: the framework imported, its conv failed


@dataclass(frozen=True)
class FrameworkReport:
    name: str  # torch | tensorflow | jax
    version: str | None
    cuda_compiled: str | None
    cudnn_compiled: str | None  # "9.24.0"; TensorFlow reports the major only ("9")
    cudnn_runtime: str | None  # what the framework says it loaded (torch, jax)
    arch_list: tuple[str, ...]
    gpu_available: bool
    conv: Conv | None
    error: str | None  # import or inspection failure
    package_dir: str | None = None


@dataclass(frozen=True)
class LoadedLibrary:
    path: str
    name: str
    directory: str
    source: str  # mapped (in the process) | would-load (the copy TensorFlow's loader would open)
    version: str | None  # cuDNN main libraries only
    cudart: str | None  # the CUDA runtime that cuDNN was built for
    found_by: str | None = None  # for would-load: LD_LIBRARY_PATH, DT_RUNPATH, ld.so cache ...

    @property
    def is_cudnn(self) -> bool:
        return self.name.lower().startswith(("libcudnn", "cudnn"))

    @property
    def is_cudnn_main(self) -> bool:
        return self.is_cudnn and self.version is not None


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    compute_capability: str | None
    memory_mib: int | None


@dataclass(frozen=True)
class PathDir:
    """One LD_LIBRARY_PATH directory as the environment saw it: its CUDA libraries and cuDNN versions."""

    directory: str
    names: tuple[str, ...]
    cudnn: tuple[tuple[str, str | None], ...]  # (path, version) of each cuDNN main library


@dataclass(frozen=True)
class ProbeReport:
    python_version: str
    python_executable: str
    prefix: str
    machine: str
    env: Mapping[str, str | None]
    driver: str | None  # NVML's driver version
    cuda_driver: str | None  # libcuda's cuDriverGetVersion, as MAJOR.MINOR
    driver_error: str | None
    gpus: tuple[Gpu, ...]
    frameworks: Mapping[str, FrameworkReport]
    libraries: tuple[LoadedLibrary, ...]
    loader_cache: Mapping[str, tuple[str, ...]]
    errors: tuple[str, ...]
    raw: Mapping[str, Any]
    # Listed by the probe inside the environment; None from a probe that predates the listing.
    library_path_dirs: tuple[PathDir, ...] | None = None
    system_cudnn: Mapping[str, str] | None = None  # loader-cache cuDNN SONAME -> its version

    @property
    def cudnn_libraries(self) -> tuple[LoadedLibrary, ...]:
        return tuple(lib for lib in self.libraries if lib.is_cudnn)


def _conv(raw: Any) -> Conv | None:
    if not isinstance(raw, dict):
        return None
    return Conv(
        str(raw.get("device") or "none"),
        raw.get("gpu"),
        bool(raw.get("ok")),
        raw.get("cpu_ms"),
        raw.get("gpu_ms"),
        raw.get("max_abs_diff"),
        raw.get("gpu_ms_warm"),
        raw.get("error"),
    )


def _framework(name: str, raw: Mapping[str, Any]) -> FrameworkReport:
    def text(key: str) -> str | None:
        value = raw.get(key)
        return None if value in (None, "") else str(value)

    return FrameworkReport(
        name=name,
        version=text("version"),
        cuda_compiled=text("cuda_compiled"),
        cudnn_compiled=text("cudnn_compiled"),
        cudnn_runtime=text("cudnn_runtime"),
        arch_list=tuple(str(a) for a in raw.get("arch_list") or ()),
        gpu_available=bool(raw.get("gpu_available")),
        conv=_conv(raw.get("conv")),
        error=text("error"),
        package_dir=text("package_dir"),
    )


def parse_report(raw: Mapping[str, Any], framework_errors: Mapping[str, str] | None = None) -> ProbeReport:
    """Typed view of the probe's JSON. Missing sections (a probe that failed in part) become empty."""
    python = raw.get("python") or {}
    nvml = raw.get("nvml") or {}
    driver = raw.get("driver") or {}
    errors = tuple(
        f"{e.get('section')}: {e.get('error')}" for e in raw.get("errors") or [] if isinstance(e, dict)
    )
    failed = {e.get("section") for e in raw.get("errors") or [] if isinstance(e, dict)}
    frameworks = {}
    for name, info in (raw.get("frameworks") or {}).items():
        if isinstance(info, dict):
            report = _framework(name, info)
            if f"{name}_info" in failed and report.error is None:
                detail = next(e for e in errors if e.startswith(f"{name}_info"))
                report = _framework(name, {**info, "error": detail})
            frameworks[name] = report
    libraries = tuple(
        LoadedLibrary(
            path=str(lib.get("path")),
            name=str(lib.get("name")),
            directory=str(lib.get("dir") or ""),
            source=str(lib.get("source")),
            version=lib.get("version"),
            cudart=lib.get("cudart"),
            found_by=lib.get("found_by"),
        )
        for lib in raw.get("libraries") or []
        if isinstance(lib, dict) and lib.get("path")
    )
    gpus = tuple(
        Gpu(int(g.get("index", i)), str(g.get("name")), g.get("compute_capability"), g.get("memory_mib"))
        for i, g in enumerate(nvml.get("gpus") or [])
    )
    return ProbeReport(
        python_version=str(python.get("version", "?")),
        python_executable=str(python.get("executable", "?")),
        prefix=str(python.get("prefix", "")),
        machine=str((raw.get("platform") or {}).get("machine", "")),
        env=dict(raw.get("env") or {}),
        driver=nvml.get("driver"),
        cuda_driver=driver.get("cuda_driver_version"),
        driver_error=driver.get("error") or nvml.get("error"),
        gpus=gpus,
        frameworks=frameworks,
        libraries=libraries,
        loader_cache={
            c["name"]: tuple(c["paths"]) for c in raw.get("loader_cache") or [] if isinstance(c, dict)
        },
        errors=errors,
        raw=raw,
        library_path_dirs=_path_dirs(raw.get("ld_library_path_dirs")),
        system_cudnn={
            c["name"]: str(c["version"])
            for c in raw.get("loader_cache") or []
            if isinstance(c, dict) and c.get("version")
        },
    )


def _path_dirs(raw: Any) -> tuple[PathDir, ...] | None:
    if not isinstance(raw, list):
        return None
    return tuple(
        PathDir(
            str(d.get("dir")),
            tuple(str(n) for n in d.get("names") or ()),
            tuple(
                (str(c.get("path")), c.get("version")) for c in d.get("cudnn") or () if isinstance(c, dict)
            ),
        )
        for d in raw
        if isinstance(d, dict)
    )
