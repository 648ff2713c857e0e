"""Container image records (``images.toml``): what an image people start from carries, and the markers
that tell, from inside, which kind of image a process runs in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.version import Version

from ..errors import DataError
from .reader import Reader, file_records
from .wheels import WheelRequirement

PROVIDERS = ("nvidia", "tensorflow", "pytorch", "aws", "gcp", "cudnn-resolve")
NO_PYTHON = "none"


@dataclass(frozen=True)
class ImageRecord:
    """One published image. ``None`` fields are unknown: the source does not state them."""

    name: str  # repository:tag without a registry host ("nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04")
    provider: str
    registries: tuple[str, ...]
    os: str | None
    has_python: bool | None  # False: the image carries no Python (nvidia/cuda)
    python: Version | None  # MAJOR.MINOR
    cuda: Version | None  # as precise as the source: 11, 11.8, 11.8.0
    cudnn: Version | None  # as precise as the source: 8, 8.9.2.26
    frameworks: tuple[WheelRequirement, ...]
    cudnn_dirs: tuple[str, ...] | None  # where the image's own cuDNN files are
    ld_library_path: tuple[str, ...] | None  # as the image sets it; None: unknown
    source: str

    @property
    def repository(self) -> str:
        return self.name.rsplit(":", 1)[0]

    def shadowing_dirs(self) -> tuple[str, ...]:
        """LD_LIBRARY_PATH entries that hold the image's own cuDNN (a framework loading by RUNPATH, such
        as TensorFlow, gets that copy instead of its wheels')."""
        if not self.cudnn_dirs or not self.ld_library_path:
            return ()
        wanted = {d.rstrip("/") for d in self.cudnn_dirs}
        return tuple(d for d in self.ld_library_path if d.rstrip("/") in wanted)


@dataclass(frozen=True)
class ImageMarker:
    kind: str  # env | file
    name: str  # the variable or the path
    means: str
    provider: str | None
    source: str


@dataclass(frozen=True)
class ImageData:
    images: tuple[ImageRecord, ...]
    os_python: Mapping[str, Version]  # the Python an OS image installs with apt, by OS name
    markers: tuple[ImageMarker, ...]


def _python(r: Reader) -> tuple[bool | None, Version | None]:
    text = r.opt_text("python")
    if text is None:
        return None, None
    if text == NO_PYTHON:
        return False, None
    return True, r.version("python")


def _provider(r: Reader, required: bool = True) -> str | None:
    provider = r.text("provider") if required else r.opt_text("provider")
    if provider is not None and provider not in PROVIDERS:
        raise r.fail(f"provider {provider!r} is not one of {', '.join(PROVIDERS)}")
    return provider


def _image(r: Reader, os_names: set[str]) -> ImageRecord:
    has_python, python = _python(r)
    os_name = r.opt_text("os")
    if os_name is not None and os_name not in os_names:
        raise r.fail(f"os {os_name!r} has no [[os]] record")
    name = r.text("name")
    if ":" not in name.rsplit("/", 1)[-1]:
        raise r.fail(f"name {name!r} has no tag (repository:tag)")
    record = ImageRecord(
        name=name,
        provider=_provider(r) or "",
        registries=r.strings("registries"),
        os=os_name,
        has_python=has_python,
        python=python,
        cuda=r.opt_version("cuda"),
        cudnn=r.opt_version("cudnn"),
        frameworks=r.requirements("frameworks") if r.has("frameworks") else (),
        cudnn_dirs=r.strings("cudnn_dirs") if r.has("cudnn_dirs") else None,
        ld_library_path=r.strings("ld_library_path") if r.has("ld_library_path") else None,
        source=r.source(),
    )
    r.finish()
    return record


def parse_images(path: str, doc: Mapping[str, Any]) -> ImageData:
    os_python: dict[str, Version] = {}
    for r in file_records(path, doc, "os"):
        os_python[r.text("name")] = r.version("python")
        r.source()
        r.finish()
    images = []
    for r in file_records(path, doc, "image"):
        images.append(_image(r, set(os_python)))
    names = [i.name for i in images]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataError(path, f"image {duplicates[0]} is recorded twice")
    markers = []
    for r in file_records(path, doc, "marker"):
        kind = r.text("kind")
        if kind not in ("env", "file"):
            raise r.fail(f"kind {kind!r} is not env or file")
        markers.append(ImageMarker(kind, r.text("name"), r.text("means"), _provider(r, False), r.source()))
        r.finish()
    return ImageData(tuple(images), os_python, tuple(markers))
