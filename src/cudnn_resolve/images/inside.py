"""Recognise, from inside, the kind of container image this process runs in: the markers (environment
variables, files) recorded in ``images.toml`` with the image Dockerfiles that set them."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..data import KnowledgeBase
from ..data.images import ImageMarker, ImageRecord


@dataclass(frozen=True)
class MarkerHit:
    marker: ImageMarker
    value: str | None  # the variable's value; None for a file

    def describe(self) -> str:
        what = f"{self.marker.name}={self.value}" if self.value is not None else self.marker.name
        return f"{what}: {self.marker.means}"


@dataclass(frozen=True)
class Inside:
    container: str | None  # podman | docker | None (no container marker found)
    hits: tuple[MarkerHit, ...]
    records: tuple[ImageRecord, ...]  # recorded images these markers match

    @property
    def in_image(self) -> bool:
        return self.container is not None or bool(self.hits)


def recognise(kb: KnowledgeBase, env: Mapping[str, str], root: str = "/") -> Inside:
    """The markers present in ``env`` and under ``root``, and the recorded images they match (an
    nvidia/cuda record whose CUDA is the image's CUDA_VERSION)."""
    hits = []
    for marker in kb.images.markers:
        if marker.kind == "env" and env.get(marker.name):
            hits.append(MarkerHit(marker, env[marker.name]))
        elif marker.kind == "file" and os.path.exists(os.path.join(root, marker.name.lstrip("/"))):
            hits.append(MarkerHit(marker, None))
    container = None
    for hit in hits:
        if hit.marker.provider is None and hit.value is None:  # a container engine's own file
            container = "podman" if "containerenv" in hit.marker.name else "docker"
    records = []
    cuda = env.get("CUDA_VERSION")
    if cuda:
        records = [
            r
            for r in kb.images.images
            if r.provider == "nvidia" and r.cuda is not None and str(r.cuda) == cuda
        ]
    return Inside(container, tuple(h for h in hits if h.marker.provider is not None), tuple(records))
