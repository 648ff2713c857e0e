"""Turn resolvelib's chosen candidates into a Resolution: versions, packages, notes and sources."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.specifiers import SpecifierSet

from ..data import KnowledgeBase
from ..errors import ResolutionImpossibleError
from ..host import HostInfo
from ..request import DISPLAY, Request
from ..requirement_lines import requirement_name
from ..versions import canonical_name, format_specifier, major_minor, python_range, version
from .inference import cudnn_min_cc
from .model import (
    CUDA,
    CUDNN,
    PYTHON,
    Candidate,
    CudaCandidate,
    CudnnCandidate,
    Delivery,
    FrameworkCandidate,
    PythonCandidate,
)
from .provider import python_minors
from .resolution import CondaPins, FrameworkPin, PipPins, Resolution
from .rules import driver_minimum

CONDA_CHANNELS = ("conda-forge",)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _merge_pins(request: Request, pins: Iterable[str]) -> tuple[str, ...]:
    """Pins sorted by name; two different pins of one package is a conflict."""
    by_name: dict[str, str] = {}
    for pin in pins:
        name = requirement_name(pin)
        if name in by_name and by_name[name] != pin:
            raise ResolutionImpossibleError(
                request.text,
                [f"the frameworks pin {by_name[name]} and {pin}, which cannot both be installed"],
                ["request the frameworks in separate environments"],
            )
        by_name[name] = pin
    return tuple(by_name[name] for name in sorted(by_name))


def _delivery(frameworks: Sequence[FrameworkCandidate]) -> Delivery | None:
    deliveries = {f.cuda.delivery for f in frameworks if f.cuda is not None}
    deliveries |= {f.cudnn.delivery for f in frameworks if f.cudnn is not None}
    for delivery in (Delivery.CONDA, Delivery.PIP, Delivery.FRAMEWORK):
        if delivery in deliveries:
            return delivery
    return None


@dataclass(frozen=True)
class _Chosen:
    """resolvelib's mapping, typed: the framework candidates in request order and the shared choices."""

    frameworks: tuple[FrameworkCandidate, ...]
    cuda: CudaCandidate | None
    cudnn: CudnnCandidate | None
    python: PythonCandidate

    @classmethod
    def of(cls, request: Request, chosen: Mapping[str, Candidate]) -> _Chosen:
        frameworks = tuple(chosen[f.name] for f in request.frameworks)
        cuda, cudnn, python = chosen.get(CUDA), chosen.get(CUDNN), chosen[PYTHON]
        assert all(isinstance(f, FrameworkCandidate) for f in frameworks)
        assert cuda is None or isinstance(cuda, CudaCandidate)
        assert cudnn is None or isinstance(cudnn, CudnnCandidate)
        assert isinstance(python, PythonCandidate)
        return cls(frameworks, cuda, cudnn, python)  # type: ignore[arg-type]  # narrowed just above

    def needs(self, delivery: Delivery, what: str = CUDA) -> bool:
        return any(
            getattr(f, what) is not None and getattr(f, what).delivery is delivery for f in self.frameworks
        )


def _added_pins(c: _Chosen) -> tuple[list[str], set[str]]:
    """The NVIDIA wheels we pin where a framework leaves them open or brings none, and the names of
    those something must install (the rest only constrain what the frameworks pull in)."""
    pinned = {requirement_name(p) for f in c.frameworks for p in f.packages.constraints}
    added: list[str] = []
    install: set[str] = set()
    if c.needs(Delivery.PIP) and c.cuda is not None and c.cuda.pip_set is not None:
        ranges = [r for f in c.frameworks if f.cuda is not None for r in f.cuda.pip_ranges]
        for name, ver in c.cuda.pip_set.wheels:
            # A library outside the toolkit (NCCL...) whose set version a framework's range excludes is
            # left to the installer, within that range.
            fits = all(r.specifier.contains(ver, prereleases=True) for r in ranges if r.name == name)
            if canonical_name(name) not in pinned and fits:
                added.append(f"{name}=={ver}")
        for f in c.frameworks:
            if f.cuda is not None and f.cuda.delivery is Delivery.PIP:
                names = {n for n, _ in c.cuda.pip_set.wheels} if not f.brings_cuda else set()
                install |= names | {r.name for r in f.cuda.pip_ranges}
    if c.needs(Delivery.PIP, CUDNN) and c.cudnn is not None and c.cudnn.build.pip is not None:
        added.append(f"{c.cudnn.build.pip_name}=={c.cudnn.build.pip}")
        install.add(c.cudnn.build.pip_name)
    return added, {canonical_name(n) for n in install}


def _numpy_pins(c: _Chosen) -> list[str]:
    """``numpy<2`` where a framework's wheels were compiled against NumPy 1.x and their metadata admits 2."""
    return list(_unique(f.numpy.pin for f in c.frameworks if f.numpy is not None and f.numpy.pin))


def _pip_pins(request: Request, c: _Chosen) -> tuple[PipPins, tuple[str, ...]]:
    """Pip requirements, constraints and indexes; and the pinned wheels an environment must install."""
    added, install = _added_pins(c)
    added += _numpy_pins(c)
    must_install = [p for p in added if requirement_name(p) in install]
    # Frameworks that bring no CUDA (TensorFlow <= 2.13) need the NVIDIA wheels named in requirements.
    explicit = must_install if any(not f.brings_cuda and f.cuda is not None for f in c.frameworks) else []
    pins = PipPins(
        requirements=_unique([*(r for f in c.frameworks for r in f.packages.requirements), *explicit]),
        constraints=_merge_pins(request, [p for f in c.frameworks for p in f.packages.constraints] + added),
        index_urls=_unique(u for f in c.frameworks for u in f.packages.index_urls),
    )
    return pins, tuple(must_install)


def _conda_pins(c: _Chosen, pip: PipPins, must_install: Sequence[str]) -> CondaPins:
    deps = [f"python {c.python.version}.*", *(spec for f in c.frameworks for spec in f.packages.conda)]
    if c.needs(Delivery.CONDA) and c.cuda is not None and c.cuda.conda is not None:
        deps += list(c.cuda.conda.specs)
    if c.needs(Delivery.CONDA, CUDNN) and c.cudnn is not None and c.cudnn.build.conda is not None:
        deps.append(f"cudnn {c.cudnn.build.release}.*")
    deps.append("pip")
    # An environment.yml's pip: section has no constraints file: the pins it must hold are listed.
    conda_pip = [f"--extra-index-url {u}" for u in pip.index_urls] + list(
        _unique([*pip.requirements, *must_install, *_numpy_pins(c)])
    )
    return CondaPins(CONDA_CHANNELS, tuple(deps), tuple(conda_pip))


def _sources(kb: KnowledgeBase, c: _Chosen) -> tuple[str, ...]:
    sources = [s for f in c.frameworks for s in f.sources]
    if c.cuda is not None:
        sources += [c.cuda.toolkit.source, kb.cuda_majors[c.cuda.toolkit.major].source]
        if c.needs(Delivery.PIP) and c.cuda.pip_set is not None:
            sources.append(c.cuda.pip_set.source)
        if c.needs(Delivery.CONDA) and c.cuda.conda is not None:
            sources.append(c.cuda.conda.source)
    if c.cudnn is not None:
        sources.append(c.cudnn.build.source)
    for f in c.frameworks:
        if f.numpy is not None and f.numpy.source and (f.numpy.pin or f.numpy.inferred):
            sources.append(f.numpy.source)
    return _unique(sources)


def _python_notes(kb: KnowledgeBase, c: _Chosen, spec: SpecifierSet) -> list[str]:
    """Why the Python range is what it is: Pythons admitted for their wheels though outside a framework's
    tested range (and whether upstream calls them experimental), and tested Pythons below the oldest
    CPython cudnn-resolve resolves for."""
    notes = []
    minors = python_minors(kb)
    for f in c.frameworks:
        if f.python_tested is None:
            continue
        extra = [
            m for m in sorted(minors, key=version) if spec.contains(m) and not f.python_tested.contains(m)
        ]
        if extra:
            label = f"{DISPLAY[f.identifier]} {f.version}"
            experimental = [m for m in extra if m in f.python_experimental]
            upstream = f"; upstream calls {', '.join(experimental)} experimental" if experimental else ""
            notes.append(
                f"Python {', '.join(extra)} has {label} wheels but is outside its tested range "
                f"({python_range(f.python_tested, minors)}){upstream}"
            )
    oldest = min(minors, key=version)
    if spec.contains("2.7") or spec.contains("3.5"):
        notes.append(
            f"the tested Python range ({format_specifier(spec)}) starts below CPython {oldest}, the oldest "
            f"cudnn-resolve resolves for: it is shown from {oldest}"
        )
    return notes


def _inferred(kb: KnowledgeBase, request: Request, c: _Chosen) -> list[str]:
    """The unknown facts the answer relied on, each as the sentence that says how it was inferred.

    Architecture facts decide something only when GPUs were given (or detected); NumPy facts always do.
    """
    inferred = [f.numpy.inferred for f in c.frameworks if f.numpy is not None and f.numpy.inferred]
    if not request.gpus:
        return inferred
    inferred += [f.arch_inferred for f in c.frameworks if f.arch_inferred]
    if c.cudnn is not None:
        minimum = cudnn_min_cc(kb, c.cudnn.build)
        if minimum.inferred:
            inferred.append(minimum.inferred)
    return inferred


def assemble(
    kb: KnowledgeBase,
    request: Request,
    host: HostInfo | None,
    chosen: Mapping[str, Candidate],
    extra_notes: Sequence[str] = (),
) -> Resolution:
    c = _Chosen.of(request, chosen)
    python_spec = SpecifierSet()
    for f in c.frameworks:
        python_spec &= f.python
    pip, must_install = _pip_pins(request, c)
    toolkit = c.cuda.toolkit if c.cuda else None
    # Reported CUDA/cuDNN: what the frameworks were built with (TensorFlow's tested configuration,
    # torch's variant), falling back to what gets installed (JAX states minimums only).
    tested_cuda = next((f.tested_cuda for f in c.frameworks if f.tested_cuda and f.identifier != "jax"), None)
    tested_cudnn = next((f.tested_cudnn for f in c.frameworks if f.tested_cudnn is not None), None)
    cudnn_release = tested_cudnn or (c.cudnn.build.release if c.cudnn else None)
    driver_full = toolkit.driver.get(request.platform.os_name) if toolkit else None

    notes = list(extra_notes)
    if not request.platform.has_cuda:
        notes.append(
            f"{request.platform} has no CUDA (NVIDIA ended macOS support): this is a CPU-only answer"
        )
    notes += [n for f in c.frameworks for n in f.notes]
    notes += [f.numpy.note for f in c.frameworks if f.numpy is not None and f.numpy.note]
    if toolkit and request.driver is not None and driver_full is not None and request.driver < driver_full:
        notes.append(
            f"driver {request.driver} runs CUDA {toolkit.version} through minor-version compatibility "
            f"(no PTX JIT compilation); driver >= {driver_full} gives full support"
        )
    notes += _python_notes(kb, c, python_spec)
    inferred = _inferred(kb, request, c)
    notes += inferred
    delivery = _delivery(c.frameworks)
    return Resolution(
        request=request,
        frameworks=tuple(
            FrameworkPin(f.identifier, f.version, f.variant, f.gpu_arch, f.brings_cuda) for f in c.frameworks
        ),
        platform=request.platform,
        python=python_range(python_spec, python_minors(kb)),
        python_version=c.python.version,
        cuda=tested_cuda or (c.cuda.version if c.cuda else None),
        cuda_runtime=c.cuda.version if c.cuda else None,
        cudnn=major_minor(cudnn_release) if cudnn_release else None,
        cudnn_version=c.cudnn.version if c.cudnn else None,
        delivery=str(delivery) if delivery else None,
        driver_min=driver_minimum(kb, toolkit, request.platform) if toolkit else None,
        driver_full=driver_full,
        host=host,
        pip=pip,
        conda=_conda_pins(c, pip, must_install),
        notes=_unique(notes),
        sources=_sources(kb, c),
        inferred=_unique(inferred),
    )
