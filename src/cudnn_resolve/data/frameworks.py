"""Framework records (``tensorflow.toml``, ``torch.toml``, ``jax.toml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..errors import DataError
from ..versions import ComputeCapability, Platform, major_minor
from .facts import Unknown
from .reader import Reader, file_records
from .wheels import WheelRequirement

# --- TensorFlow -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GpuConfig:
    """A tested build configuration: the CUDA and cuDNN a build was compiled and tested against."""

    python: SpecifierSet
    cuda: Version
    cudnn: Version
    source: str


@dataclass(frozen=True)
class TensorflowRelease:
    series: Version
    versions: tuple[Version, ...]
    linux: GpuConfig
    windows: GpuConfig | None  # native Windows GPU build (ended at 2.10)
    gpu_package: str
    source: str


@dataclass(frozen=True)
class AndCuda:
    """The ``[and-cuda]`` extra of one TensorFlow release (2.14 on)."""

    version: Version
    requires: tuple[WheelRequirement, ...]
    tested_cuda: Version
    tested_cudnn: Version
    source: str


def _gpu_config(r: Reader, source: str) -> GpuConfig:
    return GpuConfig(r.spec("python"), major_minor(r.version("cuda")), r.version("cudnn"), source)


def parse_tensorflow(
    path: str, doc: Mapping[str, Any]
) -> tuple[tuple[TensorflowRelease, ...], dict[Version, AndCuda]]:
    releases = []
    for r in file_records(path, doc, "release"):
        source = r.source()
        windows = r.sub("windows_gpu")
        release = TensorflowRelease(
            series=major_minor(r.version("series")),
            versions=r.versions("versions"),
            linux=_gpu_config(r, source),
            windows=None if windows is None else _gpu_config(windows, windows.source()),
            gpu_package=r.text("gpu_package"),
            source=source,
        )
        if windows is not None:
            windows.finish()
        r.finish()
        _check_series(r, release.series, release.versions)
        releases.append(release)
    and_cuda = {}
    for r in file_records(path, doc, "and_cuda", required=False):
        extra = AndCuda(
            r.version("version"),
            r.requirements("requires"),
            major_minor(r.version("tested_cuda")),
            r.version("tested_cudnn"),
            r.source(),
        )
        r.finish()
        and_cuda[extra.version] = extra
    return tuple(sorted(releases, key=lambda t: t.series)), and_cuda


def _check_series(r: Reader, series: Version, versions: tuple[Version, ...]) -> None:
    if not versions:
        raise r.fail("field 'versions' lists no release")
    for v in versions:
        if major_minor(v) != series:
            raise r.fail(f"version {v} does not belong to series {series}")


# --- PyTorch ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TorchVariant:
    name: str  # cu121
    cuda: Version
    cudnn: Version
    index_url: str
    platforms: frozenset[Platform]
    # TORCH_CUDA_ARCH_LIST of the linux x86_64 build, or unknown where no source states it.
    arch: tuple[ComputeCapability, ...] | Unknown
    # Lowest and highest compute capability the release's own torch/cuda/__init__.py states for builds of
    # this CUDA (CUDA_ARCHES_SUPPORTED, 2.8-2.10), where the list itself is unknown.
    arch_bounds: tuple[ComputeCapability, ComputeCapability] | None
    source: str


@dataclass(frozen=True)
class TorchCompanion:
    torch: Version
    torchvision: Version | None
    torchaudio: Version | None
    source: str


@dataclass(frozen=True)
class TorchRelease:
    series: Version
    versions: tuple[Version, ...]
    python: SpecifierSet  # the tested range (RELEASE.md)
    variants: tuple[TorchVariant, ...]
    companions: Mapping[Version, TorchCompanion]
    source: str
    # Pythons with wheels on the package index, where wider than the tested range; and those upstream
    # calls experimental.
    python_wheels: SpecifierSet | None = None
    python_experimental: tuple[str, ...] = ()

    @property
    def python_admitted(self) -> SpecifierSet:
        """Every Python the release has wheels for."""
        return self.python_wheels if self.python_wheels is not None else self.python


@dataclass(frozen=True)
class TorchPypi:
    """What the default wheel on the package index is, for one release and platform."""

    version: Version
    platform: Platform
    variant: str  # a variant name, or "cpu"
    requires: tuple[WheelRequirement, ...]
    source: str


def parse_torch(
    path: str, doc: Mapping[str, Any]
) -> tuple[tuple[TorchRelease, ...], dict[tuple[Version, Platform], TorchPypi]]:
    releases = []
    for r in file_records(path, doc, "release"):
        variants = []
        for v in r.records("variant"):
            variants.append(
                TorchVariant(
                    v.text("name"),
                    major_minor(v.version("cuda")),
                    v.version("cudnn"),
                    v.text("index_url"),
                    v.platforms("platforms"),
                    v.capabilities("arch"),
                    _bounds(v),
                    v.source(),
                )
            )
            v.finish()
        companions = {}
        for c in r.records("companion"):
            companion = TorchCompanion(
                c.version("torch"), c.opt_version("torchvision"), c.opt_version("torchaudio"), c.source()
            )
            c.finish()
            companions[companion.torch] = companion
        release = TorchRelease(
            major_minor(r.version("series")),
            r.versions("versions"),
            r.spec("python"),
            tuple(variants),
            companions,
            r.source(),
            r.spec("python_wheels") if r.has("python_wheels") else None,
            r.strings("python_experimental", required=False),
        )
        r.finish()
        _check_series(r, release.series, release.versions)
        releases.append(release)
    pypi = {}
    for r in file_records(path, doc, "pypi", required=False):
        wheel = TorchPypi(
            r.version("version"),
            Platform.parse(r.text("platform")),
            r.text("variant"),
            r.requirements("requires") if r.has("requires") else (),
            r.source(),
        )
        r.finish()
        pypi[(wheel.version, wheel.platform)] = wheel
    return tuple(sorted(releases, key=lambda t: t.series)), pypi


def _bounds(r: Reader) -> tuple[ComputeCapability, ComputeCapability] | None:
    bounds = r.opt_capabilities("arch_bounds")
    if bounds is None:
        return None
    if len(bounds) != 2 or bounds[0] > bounds[1]:
        raise r.fail("field 'arch_bounds' must be [lowest, highest]")
    return bounds[0], bounds[1]


# --- JAX --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JaxCuda:
    extra: str  # cuda12
    cuda_major: int
    cuda_min: Version
    cudnn: SpecifierSet
    platforms: frozenset[Platform]
    requires: tuple[WheelRequirement, ...]
    source: str


@dataclass(frozen=True)
class JaxRelease:
    version: Version
    jaxlib: Version | None
    python: SpecifierSet
    cuda: tuple[JaxCuda, ...]
    source: str


def parse_jax(path: str, doc: Mapping[str, Any]) -> tuple[JaxRelease, ...]:
    releases = []
    for r in file_records(path, doc, "release"):
        extras = []
        for c in r.records("cuda", required=True):
            extras.append(
                JaxCuda(
                    c.text("extra"),
                    c.integer("cuda_major"),
                    major_minor(c.version("cuda_min")),
                    c.spec("cudnn"),
                    c.platforms("platforms"),
                    c.requirements("requires"),
                    c.source(),
                )
            )
            c.finish()
        release = JaxRelease(
            r.version("version"), r.opt_version("jaxlib"), r.spec("python"), tuple(extras), r.source()
        )
        r.finish()
        releases.append(release)
    seen = set()
    for release in releases:
        if release.version in seen:
            raise DataError(path, f"jax {release.version} is listed twice")
        seen.add(release.version)
    return tuple(sorted(releases, key=lambda j: j.version))


# --- conda-forge framework builds --------------------------------------------------------------------------


@dataclass(frozen=True)
class CondaForgeBuild:
    """conda-forge's CUDA builds of one framework series (``conda_forge.toml``)."""

    package: str  # tensorflow | pytorch | jaxlib
    framework: str  # tensorflow | torch | jax
    series: Version
    versions: tuple[Version, ...]
    cuda: tuple[Version, ...]  # cuda_compiler_version values
    build_string: str  # with {cuda_nodot}
    cudnn: tuple[str, ...]  # the cuDNN pins the builds used: "9", "9.10"
    platforms: frozenset[Platform]
    source: str

    def spec(self, version: Version, cuda: Version) -> str:
        """The canonical MatchSpec of one build: 'tensorflow 2.17.0 cuda120py*'."""
        nodot = f"{cuda.major}{cuda.minor}"
        return f"{self.package} {version} {self.build_string.format(cuda_nodot=nodot)}"


def parse_conda_forge(path: str, doc: Mapping[str, Any]) -> tuple[CondaForgeBuild, ...]:
    builds = []
    for r in file_records(path, doc, "build"):
        build = CondaForgeBuild(
            package=r.text("package"),
            framework=r.text("framework"),
            series=major_minor(r.version("series")),
            versions=r.versions("versions"),
            cuda=tuple(major_minor(v) for v in r.versions("cuda")),
            build_string=r.text("build_string"),
            cudnn=r.strings("cudnn", required=False),
            platforms=r.platforms("platforms"),
            source=r.source(),
        )
        r.finish()
        if build.framework not in ("tensorflow", "torch", "jax"):
            raise r.fail(f"framework {build.framework!r} is not one of tensorflow, torch, jax")
        if "{cuda_nodot}" not in build.build_string:
            raise r.fail("build_string must contain {cuda_nodot}")
        builds.append(build)
    return tuple(builds)
