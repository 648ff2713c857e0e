"""Does an answer fit an image, and which base image does an answer call for?

The rules, each citing the behaviour it encodes:
- A framework whose wheels bring no CUDA libraries (TensorFlow <= 2.13; CUDA from conda-forge) needs the
  image's CUDA and cuDNN: the same CUDA major, and a cuDNN of the same major with a minor at least the
  build's (TensorFlow's own check: "CuDNN library needs to have matching major version and equal or
  higher minor version").
- TensorFlow loads its CUDA libraries through RUNPATH, which LD_LIBRARY_PATH overrides (FACTS: measured),
  so a cuDNN in an LD_LIBRARY_PATH directory of the image is the one TensorFlow gets, not its wheel's.
  torch preloads its wheels' libraries (RPATH) and is not affected.
- LD_PRELOAD forces a library into every process, ahead of everything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..data import KnowledgeBase
from ..data.images import ImageRecord
from ..errors import CudnnResolveError
from ..request import DISPLAY
from ..resolver.resolution import Resolution
from ..verify.check import compatible, matches
from ..versions import major_minor
from .facts import ImageFacts

RUNPATH_LOADERS = ("tensorflow", "jax")  # frameworks an LD_LIBRARY_PATH copy shadows
_CUDA_LIB = re.compile(r"(^|/)lib(cudnn|cudart|cublas)\w*\.so")


@dataclass(frozen=True)
class Problem:
    message: str
    fix: str


@dataclass(frozen=True)
class Fit:
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]

    @property
    def fits(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class BaseChoice:
    image: str
    reason: str
    python: Version  # the Python the image runs the environment with
    install_python: bool  # the image has none: the Dockerfile installs its OS's python3
    system_cuda: bool  # the environment uses the image's CUDA and cuDNN
    expect_cudnn: str | None  # what the build-time check requires
    record: ImageRecord | None


class NoBaseImageError(CudnnResolveError):
    """No recorded image carries the CUDA an answer needs from its base (exit 1)."""

    exit_code = 1

    def __init__(self, needs: str) -> None:
        super().__init__(
            f"no recorded nvidia/cuda image carries {needs}. Give a base image that does with "
            "--base IMAGE (cudnn-resolve image lists the recorded ones), or pick a framework release "
            "whose wheels bring CUDA (cudnn-resolve matrix tensorflow)"
        )


class ImageConflictError(CudnnResolveError):
    """An answer does not fit the image it is to be installed on (exit 1); ``problems`` say why."""

    exit_code = 1

    def __init__(self, image: str, request: str, problems: tuple[Problem, ...]) -> None:
        self.image = image
        self.problems = problems
        detail = "; ".join(f"{p.message} (fix: {p.fix})" for p in problems)
        super().__init__(f"{request} does not fit the image {image}: {detail}")


def needs_system_cuda(resolution: Resolution) -> bool:
    """True when the frameworks' own wheels bring no CUDA libraries: the base image must."""
    if resolution.cuda is None:
        return False
    return resolution.delivery == "conda" or any(not f.brings_cuda for f in resolution.frameworks)


def _label(resolution: Resolution) -> str:
    return ", ".join(f.display for f in resolution.frameworks)


def _python_problems(resolution: Resolution, facts: ImageFacts) -> tuple[list[Problem], list[str]]:
    spec = SpecifierSet(resolution.python)
    python = facts.python_for_install
    if facts.has_python is False and python is None:
        return [
            Problem(
                f"{facts.image} carries no Python, and the Python its OS installs is not recorded",
                "use an image with a Python the answer accepts, or --base auto",
            )
        ], []
    if python is None:
        return [], [
            f"the Python of {facts.image} is unknown (not recorded; a local copy is probed): the build "
            f"fails if it is outside {resolution.python}"
        ]
    asked = resolution.request.python
    if asked is not None and python != asked:
        return [
            Problem(
                f"{facts.image} runs Python {python}; Python {asked} was asked for (--python)",
                f"drop --python, or use an image with Python {asked}",
            )
        ], []
    if python not in spec:
        return [
            Problem(
                f"{facts.image} runs Python {python}; {_label(resolution)} needs Python {resolution.python}",
                f"use an image with Python {resolution.python}, or --base auto",
            )
        ], []
    return [], []


def _system_cuda_problems(resolution: Resolution, facts: ImageFacts) -> tuple[list[Problem], list[str]]:
    built_cuda, built_cudnn = resolution.cuda, resolution.cudnn
    assert built_cuda is not None
    why = f"{_label(resolution)} brings no CUDA libraries and was built with CUDA {built_cuda}"
    why += f", cuDNN {built_cudnn}" if built_cudnn else ""
    if facts.cuda is None:
        return [], [f"{why}; the CUDA of {facts.image} is unknown: the build-time check verifies it"]
    problems = []
    if facts.cuda.major != built_cuda.major:
        problems.append(
            Problem(f"{why}; {facts.image} carries CUDA {facts.cuda}", "--base auto picks a matching image")
        )
    cudnn = facts.cudnn
    if built_cudnn is not None and cudnn is not None:
        exact = len(cudnn.release) > 1
        if (exact and not compatible(str(cudnn), str(built_cudnn))) or cudnn.major != built_cudnn.major:
            problems.append(
                Problem(
                    f"{why}; {facts.image} carries cuDNN {facts.cudnn} (the major must match and the "
                    "minor be at least the build's)",
                    "--base auto picks a matching image",
                )
            )
    notes = []
    if built_cudnn is not None and cudnn is not None and cudnn.release == (built_cudnn.major,):
        notes.append(
            f"{facts.image} carries cuDNN {facts.cudnn}.x (the exact build is not recorded): the build-time "
            f"check requires {built_cudnn} or a newer {built_cudnn.major}.x"
        )
    return problems, notes


def _shadow_problems(resolution: Resolution, facts: ImageFacts) -> tuple[list[Problem], list[str]]:
    problems, notes = [], []
    pinned = str(resolution.cudnn_version) if resolution.cudnn_version else None
    susceptible = [f for f in resolution.frameworks if f.name in RUNPATH_LOADERS]
    for copy in facts.shadowing:
        if pinned is not None and copy.version is not None and matches(copy.version, pinned):
            continue
        what = (
            f"{facts.image} puts cuDNN {copy.version or '(unknown version)'} on LD_LIBRARY_PATH ({copy.path})"
        )
        if susceptible:
            problems.append(
                Problem(
                    f"{what}: {susceptible[0].display} loads by RUNPATH, which LD_LIBRARY_PATH overrides, so "
                    f"it would load that copy, not the pinned cuDNN {pinned}",
                    "use a base that keeps cuDNN off LD_LIBRARY_PATH (--base auto), or reset "
                    "LD_LIBRARY_PATH without that directory right after FROM",
                )
            )
        else:
            notes.append(f"{what}: PyTorch loads its own wheels' copies (RPATH) and is not affected")
    for entry in facts.ld_preload:
        if _CUDA_LIB.search(entry):
            problems.append(
                Problem(
                    f"{facts.image} sets LD_PRELOAD={entry}: every process loads it before the pinned copies",
                    "unset LD_PRELOAD after FROM (ENV LD_PRELOAD=), or use another base",
                )
            )
    return problems, notes


def fit(resolution: Resolution, facts: ImageFacts) -> Fit:
    """Whether an environment for ``resolution`` built on the image ``facts`` describes loads the pinned
    CUDA libraries; problems are what would make it load others (or not build)."""
    problems, notes = _python_problems(resolution, facts)
    if needs_system_cuda(resolution):
        more, more_notes = _system_cuda_problems(resolution, facts)
    else:
        more, more_notes = _shadow_problems(resolution, facts)
    problems += more
    notes += more_notes
    wanted = {f.name for f in resolution.frameworks}
    for present in facts.frameworks:
        name = present.split()[0]
        if name in wanted:
            notes.append(
                f"{facts.image} already has {DISPLAY.get(name, name)} {present.split()[-1]}: the Dockerfile "
                "installs the answer into its own environment (/opt/venv, first on PATH), apart from it"
            )
    if not facts.how:
        notes.append(
            f"nothing is recorded about {facts.image} and it is not local: the build-time check is the proof"
        )
    return Fit(tuple(problems), tuple(notes))


def choose_base(resolution: Resolution, kb: KnowledgeBase) -> BaseChoice:
    """The base an answer calls for: a slim Python image when the wheels bring CUDA and cuDNN; an
    nvidia/cuda runtime image with the build's CUDA and cuDNN major when they do not. Raises
    NoBaseImageError when no recorded image fits."""
    if not needs_system_cuda(resolution):
        python = resolution.request.python or resolution.python_version
        reason = (
            f"the wheels bring CUDA {resolution.cuda_runtime} and cuDNN {resolution.cudnn_version}"
            if resolution.cuda is not None
            else "the answer needs no CUDA"
        )
        expect = str(resolution.cudnn_version) if resolution.cudnn_version else None
        return BaseChoice(f"python:{python}-slim", reason, python, False, False, expect, None)
    cuda, cudnn = resolution.cuda, resolution.cudnn
    assert cuda is not None
    spec = SpecifierSet(resolution.python)
    wanted_python = resolution.request.python
    candidates = []
    for record in kb.images.images:
        os_python = kb.images.os_python.get(record.os or "")
        if record.provider != "nvidia" or record.cuda is None or record.cudnn is None or os_python is None:
            continue
        if major_minor(record.cuda) != major_minor(cuda) or (cudnn and record.cudnn.major != cudnn.major):
            continue
        if os_python in spec and (wanted_python is None or os_python == wanted_python):
            candidates.append((os_python, record))
    if not candidates:
        needs = (
            f"CUDA {cuda}"
            + (f" with cuDNN {cudnn.major}" if cudnn else "")
            + f" and Python {resolution.python}"
        )
        raise NoBaseImageError(needs + (f" ({wanted_python} asked for)" if wanted_python else ""))
    python, record = max(candidates, key=lambda c: (c[0], c[1].name))
    reason = (
        f"{_label(resolution)} brings no CUDA libraries: the image's CUDA {record.cuda}, cuDNN {record.cudnn}"
    )
    return BaseChoice(
        record.name, reason, python, record.has_python is False, True, str(record.cudnn), record
    )
