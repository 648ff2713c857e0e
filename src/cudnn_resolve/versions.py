"""Small immutable value types for the things users write: platforms, driver versions, GPU architectures.

Framework, CUDA and cuDNN versions are ``packaging.version.Version``: PEP 440 already orders them the way
their publishers do. Driver versions are not PEP 440 ("450.80.02" must print with its leading zero), and a
compute capability is a pair, not a version, so both get their own types here.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from .errors import InvalidOptionError


class Platform(str, enum.Enum):
    """A target platform, named as conda names its subdirs."""

    LINUX_64 = "linux-64"
    LINUX_AARCH64 = "linux-aarch64"
    WIN_64 = "win-64"
    OSX_64 = "osx-64"
    OSX_ARM64 = "osx-arm64"

    def __str__(self) -> str:
        return self.value

    @property
    def is_linux(self) -> bool:
        return self in (Platform.LINUX_64, Platform.LINUX_AARCH64)

    @property
    def is_windows(self) -> bool:
        return self is Platform.WIN_64

    @property
    def has_cuda(self) -> bool:
        # NVIDIA ended CUDA for macOS with 10.2 and no framework release we cover ships it.
        return not self.value.startswith("osx")

    @property
    def os_name(self) -> str:
        return "linux" if self.is_linux else "windows" if self.is_windows else "macos"

    @classmethod
    def parse(cls, text: str) -> Platform:
        aliases = {
            "linux": cls.LINUX_64,
            "linux-x86_64": cls.LINUX_64,
            "linux-aarch64": cls.LINUX_AARCH64,
            "linux-arm64": cls.LINUX_AARCH64,
            "windows": cls.WIN_64,
            "win": cls.WIN_64,
            "win-amd64": cls.WIN_64,
            "macos": cls.OSX_ARM64,
            "osx": cls.OSX_ARM64,
        }
        key = text.strip().lower()
        for member in cls:
            if member.value == key:
                return member
        if key in aliases:
            return aliases[key]
        raise InvalidOptionError(
            "--platform", text, "one of " + ", ".join(m.value for m in cls) + " (conda subdir names)"
        )


_DRIVER_RE = re.compile(r"^\d+(\.\d+){0,3}$")


@dataclass(frozen=True, order=True)
class DriverVersion:
    """An NVIDIA driver version such as 450.80.02; compares numerically, prints as written."""

    # 450.80 and 450.80.0 are the same driver: the key is padded to four parts.
    key: tuple[int, ...]
    text: str = field(compare=False)

    @classmethod
    def parse(cls, text: str) -> DriverVersion:
        cleaned = text.strip()
        if not _DRIVER_RE.match(cleaned):
            raise InvalidOptionError("--driver", text, "a driver version such as 535.104.05 or 551.61")
        parts = tuple(int(p) for p in cleaned.split("."))
        return cls(parts + (0,) * (4 - len(parts)), cleaned)

    def __str__(self) -> str:
        return self.text


_CC_RE = re.compile(r"^(?:sm_?)?(\d{1,2})\.?(\d)$")


@dataclass(frozen=True, order=True)
class ComputeCapability:
    """A GPU compute capability (SM architecture) such as 8.6."""

    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> ComputeCapability:
        match = _CC_RE.match(text.strip().lower())
        if not match:
            raise InvalidOptionError("--gpu-arch", text, "a compute capability such as 8.6, 9.0 or sm_86")
        return cls(int(match.group(1)), int(match.group(2)))

    def runs_binary_for(self, built: ComputeCapability) -> bool:
        """True if code compiled for ``built`` (SASS) runs on a GPU of this capability.

        CUDA binary compatibility: a cubin for X.y runs on X.z for z >= y, never across majors
        (CUDA C++ Programming Guide, "Binary Compatibility").
        """
        return built.major == self.major and built.minor <= self.minor

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@lru_cache(maxsize=4096)
def version(text: str) -> Version:
    """Parse a PEP 440 version once; data files repeat the same strings many times."""
    return Version(text)


@lru_cache(maxsize=4096)
def specifier(text: str) -> SpecifierSet:
    """Parse a PEP 440 specifier set once (see ``version``)."""
    return SpecifierSet(text)


def spec_contains(spec: SpecifierSet, candidate: Version) -> bool:
    """``candidate in spec``, pre-releases allowed (the data holds no pre-releases; a user's explicit
    ``==2.16.0rc0`` must still match)."""
    return spec.contains(candidate, prereleases=True)


def parse_version_option(option: str, text: str, expected: str) -> Version:
    try:
        return version(text.strip())
    except InvalidVersion:
        raise InvalidOptionError(option, text, expected) from None


def parse_specifier_option(option: str, text: str, expected: str) -> SpecifierSet:
    try:
        return specifier(text.strip())
    except InvalidSpecifier:
        raise InvalidOptionError(option, text, expected) from None


def major_minor(v: Version) -> Version:
    """The MAJOR.MINOR part of a version: 12.4.1 -> 12.4."""
    return version(f"{v.major}.{v.minor}")


def next_major(v: Version) -> Version:
    return version(f"{v.major + 1}")


def same_major_at_least(v: Version) -> SpecifierSet:
    """The range the frameworks accept at run time for a library they were built against:
    the same major, minor (and patch) at least the build's (TensorFlow's and torch's cuDNN check)."""
    return specifier(f">={v},<{v.major + 1}")


_OPERATOR_ORDER = {"===": 0, "==": 0, "~=": 1, ">=": 2, ">": 3, "!=": 4, "<=": 5, "<": 6}


def format_specifier(spec: SpecifierSet) -> str:
    """A specifier set written the way people write ranges: lower bound first (">=3.7,<3.11").

    ``str(SpecifierSet)`` sorts its parts alphabetically, which puts "<" first.
    """
    parts = sorted(
        spec, key=lambda s: (_OPERATOR_ORDER.get(s.operator, 9), version(s.version.replace(".*", "")))
    )
    return ",".join(str(p) for p in parts)


def python_range(spec: SpecifierSet, minors: tuple[str, ...]) -> str:
    """The CPython minors ``spec`` admits, as the simplest equivalent range (">=3.10,<3.13").

    Intersections of several frameworks' ranges ("<3.13,<3.14,>=3.10,>=3.8") collapse to one bound each.
    Falls back to the specifier as written when the admitted minors are not contiguous.
    """
    allowed = sorted(version(m) for m in minors if spec.contains(m, prereleases=True))
    if not allowed:
        return format_specifier(spec)
    low, high = allowed[0], allowed[-1]
    contiguous = len(allowed) == high.minor - low.minor + 1
    if not contiguous:
        return format_specifier(spec)
    return f">={low},<{high.major}.{high.minor + 1}"


_SEPARATORS = re.compile(r"[-_.]+")


def canonical_name(name: str) -> str:
    """A package name in PEP 503's normal form (``Nvidia_CUDNN.cu12`` -> ``nvidia-cudnn-cu12``).

    The rule packaging.utils.canonicalize_name applies, written out: importing that module loads
    packaging.tags and logging, about 10 ms of every command's start-up.
    """
    return _SEPARATORS.sub("-", name).lower()


def cuda_version_text(raw: int) -> str:
    """CUDA's version integer (cudaRuntimeGetVersion, cuDriverGetVersion, NVML, CUDART_VERSION,
    cudnnGetCudartVersion: 1000 x major + 10 x minor) as "major.minor": 12040 -> "12.4"."""
    return f"{raw // 1000}.{raw % 1000 // 10}"


def cudnn_version_text(raw: int) -> str:
    """cudnnGetVersion's integer as "major.minor.patch": cuDNN 9 encodes 10000 x major + 100 x minor +
    patch (92400 -> "9.24.0"), cuDNN 8 and 7 1000 x major + 100 x minor + patch (8904 -> "8.9.4").

    The probe (probe/script.py) keeps its own copy: it runs under other environments' interpreters,
    without this package; tests/test_versions.py holds the two equal.
    """
    if raw >= 90000:
        return f"{raw // 10000}.{raw % 10000 // 100}.{raw % 100}"
    return f"{raw // 1000}.{raw % 1000 // 100}.{raw % 100}"
