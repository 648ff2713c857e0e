"""Install fixes derived from the knowledge base: which NVIDIA wheel ships a library, which cuDNN a
framework build pins. Nothing here is a table of its own; every name and version comes from
``constraints/`` (``[[library]]``, ``[[pip_set]]``, ``cudnn.toml``, the framework files)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from packaging.version import Version

from ..data import KnowledgeBase
from ..request import DISPLAY

_SONAME = re.compile(r"(lib[a-zA-Z]+?)(?:_\w+)?\.so(?:\.(\d+))?", re.IGNORECASE)
# What a log says about the CUDA major it runs: the runtime and cuBLAS carry it in their SONAME, NVIDIA's
# wheels in their name.
_CUDA_HINTS = (
    re.compile(r"libcudart\.so\.(\d+)"),
    re.compile(r"libcublas(?:Lt)?\.so\.(\d+)"),
    re.compile(r"nvidia-[a-z-]+-cu(\d+)"),
    re.compile(r"(?:xla_cuda|jax-cuda|jax\[cuda|\+cuda)(\d\d)"),
)


def cuda_major_hint(text: str) -> int | None:
    """The CUDA major a log shows, if it shows exactly one."""
    majors = {int(m.group(1)) for pattern in _CUDA_HINTS for m in pattern.finditer(text)}
    return majors.pop() if len(majors) == 1 else None


def split_soname(library: str) -> tuple[str, int | None] | None:
    """'libcufft.so.11' -> ('libcufft', 11); 'libcudnn_ops.so.9' -> ('libcudnn', 9); else None."""
    match = _SONAME.match(library.strip())
    if not match:
        return None
    return match.group(1).lower(), int(match.group(2)) if match.group(2) else None


def wheels_for(kb: KnowledgeBase, stem: str, major: int | None) -> dict[int, tuple[str, list[Version]]]:
    """Per CUDA major: the NVIDIA wheel that ships ``<stem>.so.<major>`` and its known versions."""
    library = kb.libraries.get(stem)
    if library is None:
        return {}
    found: dict[int, tuple[str, list[Version]]] = {}

    def add(cuda_major: int, name: str, version: Version) -> None:
        if major is None or version.major == major:
            found.setdefault(cuda_major, (name, []))[1].append(version)

    if library.wheel == "nvidia-cudnn":
        for build in kb.cudnn:
            if build.pip is not None:
                add(build.cuda_major, build.pip_name, build.pip)
    else:
        suffix = re.compile(rf"{re.escape(library.wheel)}-cu(\d+)")
        for pip_set in kb.pip_sets.values():
            for name, text in pip_set.wheels:
                match = suffix.fullmatch(name)
                if match:
                    add(int(match.group(1)), name, Version(text))
    return found


def library_fixes(kb: KnowledgeBase, library: str, cuda_major: int | None) -> list[str]:
    """pip fixes for a library the loader cannot open, for the CUDA major the log shows (else each)."""
    parts = split_soname(library)
    if parts is None:
        return []
    stem, major = parts
    wheels = wheels_for(kb, stem, major)
    if cuda_major is not None and cuda_major in wheels:
        wheels = {cuda_major: wheels[cuda_major]}
    fixes = []
    for cuda, (name, _) in sorted(wheels.items()):
        spec = f"'{name}>={major},<{major + 1}'" if major is not None else name
        fixes.append(
            f"pip install {spec}  # ships {stem}.so{'' if major is None else f'.{major}'}, for CUDA {cuda}"
        )
    return fixes


def cudnn_fixes(
    kb: KnowledgeBase, compiled: Version, framework: str | None, cuda_major: int | None
) -> list[str]:
    """The cuDNN wheels to install for a build compiled against ``compiled``: what the framework's own
    builds of that cuDNN pin (PyTorch variants, TensorFlow's [and-cuda] extras), else the nearest build
    at or above it in its major, for the CUDA majors those framework builds (or the log) use."""
    pins: dict[int, tuple[Version, str]] = {}  # CUDA major -> (pip version, who pins it)
    majors: set[int] = set()
    if framework in (None, "torch"):
        for major, pinned in _torch_pins(kb, compiled):
            pins.setdefault(major, pinned)
    if framework in (None, "tensorflow"):
        for extra in kb.and_cuda.values():
            if extra.tested_cudnn.release[:3] == compiled.release[:3]:
                pins.setdefault(extra.tested_cuda.major, (extra.tested_cudnn, f"TensorFlow {extra.version}"))
        majors |= {
            t.linux.cuda.major for t in kb.tensorflow if t.linux.cudnn.release[:2] == compiled.release[:2]
        }
    majors |= set(pins)
    if cuda_major is not None:
        majors = {cuda_major} if not majors or cuda_major in majors else majors
    nearest = _nearest_builds(kb, compiled)
    fixes = []
    for cuda in sorted(majors or nearest):
        if cuda in pins:
            version, who = pins[cuda]
            fixes.append(f"pip install nvidia-cudnn-cu{cuda}=={version}  # what {who} pins")
        elif cuda in nearest:
            fixes.append(
                f"pip install nvidia-cudnn-cu{cuda}=={nearest[cuda]}  # nearest build at or above {compiled}"
            )
    return fixes


def _torch_pins(kb: KnowledgeBase, compiled: Version) -> Iterator[tuple[int, tuple[Version, str]]]:
    """(CUDA major, (cuDNN wheel version, which build)) for each PyTorch variant built with ``compiled``
    whose cuDNN a wheel delivers (older builds bundled their cuDNN inside the torch wheel)."""
    for release in kb.torch:
        for variant in release.variants:
            build = kb.cudnn_build(variant.cudnn, variant.cuda.major)
            delivered = build is not None and build.pip == variant.cudnn
            if delivered and variant.cudnn.release[:3] == compiled.release[:3]:
                yield variant.cuda.major, (variant.cudnn, f"PyTorch {release.series} {variant.name}")


def _nearest_builds(kb: KnowledgeBase, compiled: Version) -> dict[int, Version]:
    best: dict[int, Version] = {}
    for build in kb.cudnn:
        if build.pip is None or build.release.major != compiled.major or build.release < compiled:
            continue
        current = best.get(build.cuda_major)
        if current is None or build.pip < current:
            best[build.cuda_major] = build.pip
    return best


def built_with(kb: KnowledgeBase, compiled: Version, framework: str | None) -> list[str]:
    """'cudnn-resolve constraints ...' lines for the newest releases built with this cuDNN."""
    found = []
    if framework in (None, "torch"):
        for release in kb.torch:
            if any(v.cudnn.release[:3] == compiled.release[:3] for v in release.variants):
                found.append(f"torch=={release.versions[-1]}")
    if framework in (None, "tensorflow"):
        for tf in kb.tensorflow:
            if tf.linux.cudnn.release[:2] == compiled.release[:2]:
                found.append(f"tensorflow=={tf.versions[-1]}")
    return [
        f"cudnn-resolve constraints {spec}  # the pins {DISPLAY[spec.split('==')[0]]} was tested with"
        for spec in found[-2:]
    ]
