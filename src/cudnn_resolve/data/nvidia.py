"""CUDA toolkit and cuDNN records (``cuda.toml``, ``cudnn.toml``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.version import Version

from ..errors import DataError
from ..versions import ComputeCapability, DriverVersion, Platform, major_minor
from .facts import Unknown
from .reader import Reader, file_records


@dataclass(frozen=True)
class CudaMajor:
    major: int
    # Minimum driver for CUDA minor-version compatibility, per OS ("linux", "windows"); empty for
    # majors without it (10.x).
    minor_compat_driver: Mapping[str, DriverVersion]
    source: str


@dataclass(frozen=True)
class CudaToolkit:
    version: Version  # MAJOR.MINOR
    # The toolkit's own minimum driver per OS; an OS is missing where NVIDIA's table gives none (Windows
    # from 13.0), and the major's minor-version compatibility minimum applies there.
    driver: Mapping[str, DriverVersion]
    cc_min: ComputeCapability
    cc_max: ComputeCapability
    source: str

    @property
    def major(self) -> int:
        return self.version.major


@dataclass(frozen=True)
class PipSet:
    """NVIDIA's pip wheels that deliver one CUDA runtime (cuDNN excluded)."""

    cuda: Version
    wheels: tuple[tuple[str, str], ...]  # (name, exact version), sorted by name
    source: str


@dataclass(frozen=True)
class Library:
    """Which NVIDIA wheel provides a CUDA library: ``libcufft.so.N`` comes from ``nvidia-cufft-cu<M>``,
    in the wheel versions whose major is N (the SONAME major is the library version's major)."""

    soname: str  # the stem the loader prints before ".so": libcufft
    wheel: str  # the wheel name without its CUDA suffix: nvidia-cufft
    source: str


@dataclass(frozen=True)
class CondaToolkit:
    cuda: Version
    specs: tuple[str, ...]
    platforms: frozenset[Platform]
    source: str


@dataclass(frozen=True)
class CudnnBuild:
    """One cuDNN release built for one CUDA major, and the packages that deliver it."""

    release: Version  # MAJOR.MINOR.PATCH
    cuda_major: int
    # Lowest CUDA MAJOR.MINOR NVIDIA lists for the build; where no support matrix states it, the build is
    # taken to serve its whole major, as its package names say ("nvidia-cudnn-cu12": for CUDA 12.x).
    cuda_min: Version | None
    cuda_tested: tuple[Version, ...]
    min_cc: ComputeCapability | Unknown  # lowest GPU architecture the build runs on
    pip: Version | None  # nvidia-cudnn-cu<major> version
    conda: Version | None  # conda-forge cudnn version
    platforms: frozenset[Platform]  # where a pip or conda package of the build exists (may be none)
    source: str

    @property
    def version(self) -> Version:
        """The most specific version known for this build (the pip or conda build number)."""
        return self.pip or self.conda or self.release

    @property
    def pip_name(self) -> str:
        return f"nvidia-cudnn-cu{self.cuda_major}"

    def matches(self, wanted: Version) -> bool:
        """True if ``wanted`` names this build: its release, or its pip or conda version."""
        return wanted in (self.release, self.pip, self.conda)


def _drivers(r: Reader, prefix: str, required: bool) -> dict[str, DriverVersion]:
    drivers = {}
    for os_name in ("linux", "windows"):
        value = r.driver(f"{prefix}_{os_name}") if required else r.opt_driver(f"{prefix}_{os_name}")
        if value is not None:
            drivers[os_name] = value
    return drivers


def parse_libraries(path: str, doc: Mapping[str, Any]) -> dict[str, Library]:
    libraries = {}
    for r in file_records(path, doc, "library"):
        library = Library(r.text("soname"), r.text("wheel"), r.source())
        r.finish()
        libraries[library.soname.lower()] = library
    return libraries


def parse_cuda(
    path: str, doc: Mapping[str, Any]
) -> tuple[dict[int, CudaMajor], tuple[CudaToolkit, ...], dict[Version, PipSet], dict[Version, CondaToolkit]]:
    majors: dict[int, CudaMajor] = {}
    for r in file_records(path, doc, "major"):
        major = CudaMajor(r.integer("major"), _drivers(r, "minor_compat_driver", False), r.source())
        r.finish()
        majors[major.major] = major
    toolkits = []
    for r in file_records(path, doc, "toolkit"):
        toolkit = CudaToolkit(
            major_minor(r.version("version")),
            _drivers(r, "driver", False),
            r.capability("compute_capability_min"),
            r.capability("compute_capability_max"),
            r.source(),
        )
        r.finish()
        if toolkit.major not in majors:
            raise r.fail(f"CUDA major {toolkit.major} has no [[major]] record")
        toolkits.append(toolkit)
    pip_sets = {}
    for r in file_records(path, doc, "pip_set", required=False):
        pip_set = PipSet(
            major_minor(r.version("cuda")), tuple(sorted(r.string_table("wheels").items())), r.source()
        )
        r.finish()
        pip_sets[pip_set.cuda] = pip_set
    conda = {}
    for r in file_records(path, doc, "conda_toolkit", required=False):
        conda_toolkit = CondaToolkit(
            major_minor(r.version("cuda")), r.strings("specs"), r.platforms("platforms"), r.source()
        )
        r.finish()
        conda[conda_toolkit.cuda] = conda_toolkit
    known = {t.version for t in toolkits}
    for cuda in list(pip_sets) + list(conda):
        if cuda not in known:
            raise DataError(path, f"CUDA {cuda} is delivered by a package set but has no [[toolkit]] record")
    return majors, tuple(sorted(toolkits, key=lambda t: t.version)), pip_sets, conda


def parse_cudnn(path: str, doc: Mapping[str, Any]) -> tuple[CudnnBuild, ...]:
    builds = []
    for r in file_records(path, doc, "release"):
        release = r.version("version")
        release_source = r.source()
        for b in r.records("build", required=True):
            builds.append(
                CudnnBuild(
                    release=release,
                    cuda_major=b.integer("cuda_major"),
                    cuda_min=_opt_major_minor(b.opt_version("cuda_min")),
                    cuda_tested=b.versions("cuda_tested", required=False),
                    min_cc=b.capability_or_unknown("min_compute_capability"),
                    pip=b.opt_version("pip"),
                    conda=b.opt_version("conda"),
                    platforms=b.platforms("platforms") if b.has("platforms") else frozenset(),
                    source=b.opt_text("source") or release_source,
                )
            )
            b.finish()
        r.finish()
    return tuple(sorted(builds, key=lambda b: (b.version, b.cuda_major)))


def _opt_major_minor(v: Version | None) -> Version | None:
    return None if v is None else major_minor(v)
