"""What a container image carries, from its record in ``images.toml``, its configuration, or a probe run
inside it; and the lookup of an image reference in the records."""

from __future__ import annotations

from dataclasses import dataclass, replace

from packaging.version import InvalidVersion, Version

from ..data import KnowledgeBase
from ..data.images import ImageRecord
from ..errors import CudnnResolveError
from ..probe.container import ImageConfig, inspect_image, run_probe_in_image
from ..probe.report import ProbeReport


@dataclass(frozen=True)
class CudnnCopy:
    path: str
    version: str | None
    found_by: str  # LD_LIBRARY_PATH | ld.so cache | image record


@dataclass(frozen=True)
class ImageFacts:
    """What an image carries. ``None`` is unknown; ``has_python`` False means it carries no Python."""

    image: str
    record: ImageRecord | None
    has_python: bool | None
    python: Version | None
    os_python: Version | None  # the Python its OS installs with apt, where that is recorded
    cuda: Version | None
    cudnn: Version | None  # the image's own (system) cuDNN
    frameworks: tuple[str, ...]  # "tensorflow 2.9.0", as recorded or found
    ld_library_path: tuple[str, ...] | None
    shadowing: tuple[CudnnCopy, ...]  # cuDNN copies in LD_LIBRARY_PATH directories
    ld_preload: tuple[str, ...]
    how: tuple[str, ...]  # where the facts came from: "images.toml", "image configuration", "probe"

    @property
    def python_for_install(self) -> Version | None:
        """The Python a Dockerfile on this image runs: the image's own, or the one its OS installs."""
        return self.python if self.has_python is not False else self.os_python


def _strip_registry(reference: str) -> str:
    """``docker.io/library/python:3.11`` -> ``python:3.11``; ``763104351884.dkr.ecr.us-east-1.amazonaws.com/
    pytorch-training:X`` -> ``pytorch-training:X``: the registry is where an image is pulled from, not what
    it is. A first component with a dot or a colon, or ``localhost``, is a registry host."""
    name = reference.split("@", 1)[0]
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        name = rest
    if name.startswith("library/"):
        name = name[len("library/") :]
    if ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name


def find_record(kb: KnowledgeBase, reference: str) -> ImageRecord | None:
    """The record of an image reference (any registry, ``:latest`` when no tag is given), or None."""
    wanted = _strip_registry(reference)
    for record in kb.images.images:
        if _strip_registry(record.name) == wanted:
            return record
    return None


def from_record(kb: KnowledgeBase, reference: str, record: ImageRecord | None) -> ImageFacts:
    frameworks: tuple[str, ...] = ()
    shadowing: tuple[CudnnCopy, ...] = ()
    if record is not None:
        frameworks = tuple(f"{r.name} {str(r.specifier).lstrip('=')}" for r in record.frameworks)
        shadowing = tuple(
            CudnnCopy(d, str(record.cudnn) if record.cudnn else None, "image record")
            for d in record.shadowing_dirs()
        )
    return ImageFacts(
        image=reference,
        record=record,
        has_python=record.has_python if record else None,
        python=record.python if record else None,
        os_python=kb.images.os_python.get(record.os) if record and record.os else None,
        cuda=record.cuda if record else None,
        cudnn=record.cudnn if record else None,
        frameworks=frameworks,
        ld_library_path=record.ld_library_path if record else None,
        shadowing=shadowing,
        ld_preload=(),
        how=("images.toml",) if record else (),
    )


def _version(text: str | None) -> Version | None:
    if not text:
        return None
    try:
        return Version(text.split("-")[0])
    except InvalidVersion:
        return None


def with_config(facts: ImageFacts, config: ImageConfig) -> ImageFacts:
    """Add what the image's own configuration states: its environment (nvidia/cuda images set
    CUDA_VERSION and NV_CUDNN_VERSION) and LD_LIBRARY_PATH / LD_PRELOAD."""
    env = config.env
    ld_path = tuple(d for d in env.get("LD_LIBRARY_PATH", "").split(":") if d)
    return replace(
        facts,
        cuda=_version(env.get("CUDA_VERSION")) or facts.cuda,
        cudnn=_version(env.get("NV_CUDNN_VERSION")) or facts.cudnn,
        ld_library_path=ld_path if "LD_LIBRARY_PATH" in env else facts.ld_library_path,
        ld_preload=tuple(e for e in env.get("LD_PRELOAD", "").replace(":", " ").split() if e),
        how=(*facts.how, "image configuration"),
    )


def with_probe(facts: ImageFacts, report: ProbeReport) -> ImageFacts:
    """Add what the probe found inside the image: its Python, frameworks and cuDNN copies."""
    shadowing = tuple(
        CudnnCopy(path, version, "LD_LIBRARY_PATH")
        for d in report.library_path_dirs or ()
        for path, version in d.cudnn
    )
    system = sorted((report.system_cudnn or {}).values())
    frameworks = tuple(f"{name} {f.version}" for name, f in sorted(report.frameworks.items()) if f.version)
    python = _version(report.python_version)
    return replace(
        facts,
        has_python=True,
        python=Version(f"{python.major}.{python.minor}") if python else facts.python,
        cudnn=_version(system[-1]) if system else facts.cudnn,
        frameworks=frameworks or facts.frameworks,
        shadowing=shadowing,
        how=(*facts.how, "probe"),
    )


def facts_of(kb: KnowledgeBase, image: str, engine: str | None, probe: bool = True) -> ImageFacts:
    """Everything known about ``image``: its record, and, when ``engine`` has it locally, its configuration
    and (``probe``, if it has a Python) what a probe run inside it finds. Never pulls."""
    facts = from_record(kb, image, find_record(kb, image))
    if engine is None:
        return facts
    config = inspect_image(engine, image)
    if config is None:
        return facts
    facts = with_config(facts, config)
    if probe and facts.has_python is not False:
        python = config.labels.get("cudnn-resolve.python") or "python3"
        try:
            report = run_probe_in_image(image, engine=engine, python=python, conv=False)
        except CudnnResolveError:  # no python3 there, or it does not start: what it carries stays unknown
            return facts
        facts = with_probe(facts, report)
    return facts
