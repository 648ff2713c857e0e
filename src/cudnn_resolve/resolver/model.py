"""What the resolver works with: constraints (resolvelib's requirements) and candidates.

Identifiers are the framework names plus ``cuda``, ``cudnn``, ``python`` and ``numpy``. A framework
candidate is one release in one CUDA variant; its dependencies constrain the CUDA toolkit, the cuDNN
build, the Python and the NumPy major it can be combined with. CUDA and cuDNN candidates carry the
packages that can deliver them, so a constraint can ask for "a CUDA 11.x that NVIDIA's pip wheels
deliver".
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from typing import Union

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..data.nvidia import CondaToolkit, CudaToolkit, CudnnBuild, PipSet
from ..data.wheels import WheelRequirement
from ..request import DISPLAY
from ..versions import major_minor

CUDA = "cuda"
CUDNN = "cudnn"
PYTHON = "python"
NUMPY = "numpy"


class Delivery(str, enum.Enum):
    """Who puts the CUDA/cuDNN libraries into the environment."""

    FRAMEWORK = "framework"  # the framework's own wheels (torch, tensorflow[and-cuda], jax plugins)
    PIP = "pip"  # NVIDIA's nvidia-*-cuXX wheels, added by us (TensorFlow <= 2.13)
    CONDA = "conda"  # conda-forge cudatoolkit / cuda-version + cudnn

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, eq=False)  # identity: the provider memoises checks per (constraint, candidate)
class Constraint:
    """A requirement on one identifier, with who imposed it (for explanations).

    ``prefer`` names a tested version: candidates at or just above it come first (closest to what the
    framework was tested with). ``delivery`` says which packages must be able to deliver the candidate;
    ``pip_ranges`` are nvidia-* wheel ranges the delivering wheels must satisfy.
    """

    identifier: str
    specifier: SpecifierSet
    origin: str
    prefer: Version | None = None
    delivery: Delivery = Delivery.FRAMEWORK
    pip_ranges: tuple[WheelRequirement, ...] = ()
    variant: str | None = None  # frameworks only: a CUDA variant the user named
    tested: SpecifierSet | None = None  # Python only: the tested range inside the admitted one

    def describe(self) -> str:
        spec = str(self.specifier) or "any version"
        return f"{self.identifier} {spec} (from {self.origin})"


# Candidates compare by identity: each comes from one cached pool, and resolvelib only needs to tell
# them apart (their records hold dicts, which would make value hashing fail).
@dataclass(frozen=True, eq=False)
class CudaCandidate:
    toolkit: CudaToolkit
    pip_set: PipSet | None
    conda: CondaToolkit | None
    identifier: str = field(default=CUDA, init=False)

    @property
    def version(self) -> Version:
        return self.toolkit.version


@dataclass(frozen=True, eq=False)
class CudnnCandidate:
    build: CudnnBuild
    identifier: str = field(default=CUDNN, init=False)

    @property
    def version(self) -> Version:
        return self.build.version

    def matches_preferred(self, prefer: Version) -> bool:
        """True if the build is the tested version, written as X.Y, X.Y.Z or the full build number."""
        if self.build.matches(prefer):
            return True
        return len(prefer.release) == 2 and major_minor(self.build.release) == prefer


@dataclass(frozen=True, eq=False)
class PythonCandidate:
    version: Version  # MAJOR.MINOR
    identifier: str = field(default=PYTHON, init=False)


@dataclass(frozen=True, eq=False)
class NumpyCandidate:
    version: Version  # the NumPy major: 1 or 2
    identifier: str = field(default=NUMPY, init=False)


@dataclass(frozen=True)
class NumpyNeed:
    """What one framework release's wheels need of NumPy (``[[numpy]]`` in the framework's data file)."""

    majors: SpecifierSet  # over NumPy majors: "<2" (built against 1.x, or so required), ">=2", or any
    pin: str | None = None  # "numpy<2" where the wheels' metadata admits NumPy 2 they cannot run with
    note: str | None = None  # why the pin, for the answer's notes
    inferred: str | None = None  # how an unknown fact was inferred (also a note)
    source: str | None = None

    def describe(self) -> str:
        return {"<2": "NumPy 1.x", ">=2": "NumPy 2"}.get(str(self.majors), "any NumPy")


@dataclass(frozen=True)
class PackageSet:
    """The packages one framework candidate contributes to the answer."""

    requirements: tuple[str, ...] = ()  # what to install: tensorflow[and-cuda]==2.15.1
    constraints: tuple[str, ...] = ()  # exact pins name==version
    index_urls: tuple[str, ...] = ()  # extra indexes a CUDA variant lives on
    conda: tuple[str, ...] = ()  # conda MatchSpecs when the framework comes from conda


@dataclass(frozen=True, eq=False)
class FrameworkCandidate:
    """One framework release in one CUDA variant, with what it needs."""

    identifier: str  # tensorflow | torch | jax
    version: Version
    variant: str  # and-cuda, tested, windows, cu121, cuda12 ...
    python: SpecifierSet
    cuda: Constraint | None  # None: a CPU-only answer (macOS)
    cudnn: Constraint | None
    packages: PackageSet
    tested_cuda: Version | None  # what the build was compiled against (reported as `cuda`)
    tested_cudnn: Version | None
    gpu_arch: tuple[str, ...] | None = None  # architectures the build targets, where published
    arch_inferred: str | None = None  # how an unpublished architecture list was inferred
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    rank: int = 0  # order among the variants of one version: lower is preferred
    # False where the framework's wheels pull no CUDA libraries (TensorFlow <= 2.13): the NVIDIA wheels
    # the resolution adds must then be installed explicitly, not only constrained.
    brings_cuda: bool = True
    # The tested Python range where ``python`` (every Python with wheels) is wider, and the Pythons
    # upstream calls experimental.
    python_tested: SpecifierSet | None = None
    python_experimental: tuple[str, ...] = ()
    numpy: NumpyNeed | None = None  # None: the framework comes from conda-forge, whose builds pin numpy

    @property
    def label(self) -> str:
        return f"{DISPLAY[self.identifier]} {self.version} ({self.variant})"

    @cached_property
    def dependencies(self) -> tuple[Constraint, ...]:
        python = Constraint(PYTHON, self.python, self.label, tested=self.python_tested)
        numpy = None if self.numpy is None else Constraint(NUMPY, self.numpy.majors, self.label)
        return tuple(c for c in (python, self.cuda, self.cudnn, numpy) if c is not None)


Candidate = Union[FrameworkCandidate, CudaCandidate, CudnnCandidate, PythonCandidate, NumpyCandidate]
