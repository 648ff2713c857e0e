"""Cross-file checks: every fact one file refers to must exist in the file that owns it.

A framework that pins a cuDNN build the cuDNN table does not know, or a CUDA version without a driver
record, would make the resolver silently drop candidates; these checks turn that into a data error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from packaging.version import Version

from ..versions import Platform
from .wheels import WheelRequirement

if TYPE_CHECKING:
    from .knowledge import KnowledgeBase

Problem = tuple[str, str, str]  # (file name, record label, problem)


def pinned(requirements: Iterable[WheelRequirement], prefix: str) -> list[tuple[str, Version]]:
    """The exact (``==``) pins among ``requirements`` whose names start with ``prefix``."""
    pins = []
    for req in requirements:
        if req.name.startswith(prefix):
            for spec in req.specifier:
                if spec.operator == "==" and "*" not in spec.version:
                    pins.append((req.name, Version(spec.version)))
    return pins


class _Checker:
    """Collects problems; one method per data file that refers to another."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.toolkits = {t.version for t in kb.toolkits}
        self.problems: list[Problem] = []

    def need_toolkit(self, file: str, record: str, cuda: Version) -> None:
        if cuda not in self.toolkits:
            self.problems.append((file, record, f"CUDA {cuda} has no [[toolkit]] record in cuda.toml"))

    def need_cudnn(self, file: str, record: str, cudnn: Version, cuda_major: int | None) -> None:
        # Tested configurations name cuDNN as MAJOR.MINOR ("7.6"): any build of that minor will do.
        if len(cudnn.release) == 2:
            found = any(
                (b.release.major, b.release.minor) == cudnn.release and cuda_major in (None, b.cuda_major)
                for b in self.kb.cudnn
            )
        else:
            found = self.kb.cudnn_build(cudnn, cuda_major) is not None
        if not found:
            for_major = f" for CUDA {cuda_major}" if cuda_major is not None else ""
            self.problems.append((file, record, f"cuDNN {cudnn}{for_major} has no build in cudnn.toml"))

    def arch_within_toolkit(self, record: str, cuda: Version, arch: object) -> None:
        """A build's architecture list never exceeds what its CUDA toolkit can compile for."""
        toolkit = self.kb.toolkit(cuda)
        if toolkit is None or not isinstance(arch, tuple):
            return
        outside = [str(a) for a in arch if not toolkit.cc_min <= a <= toolkit.cc_max]
        if outside:
            problem = f"arch {', '.join(outside)} is outside what CUDA {cuda} compiles for"
            self.problems.append(("torch.toml", record, f"{problem} ({toolkit.cc_min}-{toolkit.cc_max})"))

    def cudnn(self) -> None:
        for build in self.kb.cudnn:
            if build.cuda_major not in self.kb.cuda_majors:
                self.problems.append(
                    ("cudnn.toml", f"release {build.release}", f"CUDA {build.cuda_major} unknown")
                )

    def tensorflow(self) -> None:
        versions = {v for tf in self.kb.tensorflow for v in tf.versions}
        for tf in self.kb.tensorflow:
            for config in (tf.linux, tf.windows):
                if config is not None:
                    self.need_toolkit("tensorflow.toml", f"tensorflow {tf.series}", config.cuda)
                    self.need_cudnn(
                        "tensorflow.toml", f"tensorflow {tf.series}", config.cudnn, config.cuda.major
                    )
        for extra in self.kb.and_cuda.values():
            record = f"and_cuda {extra.version}"
            if extra.version not in versions:
                self.problems.append(("tensorflow.toml", record, "no [[release]] lists this version"))
            self.need_toolkit("tensorflow.toml", record, extra.tested_cuda)
            self.need_cudnn("tensorflow.toml", record, extra.tested_cudnn, extra.tested_cuda.major)
            for _, pin in pinned(extra.requires, "nvidia-cudnn-cu"):
                self.need_cudnn("tensorflow.toml", record, pin, None)

    def torch(self) -> None:
        variants: dict[Version, set[str]] = {}
        for release in self.kb.torch:
            for variant in release.variants:
                record = f"torch {release.series} variant {variant.name}"
                self.need_toolkit("torch.toml", record, variant.cuda)
                self.need_cudnn("torch.toml", record, variant.cudnn, variant.cuda.major)
                self.arch_within_toolkit(record, variant.cuda, variant.arch)
            names = {variant.name for variant in release.variants} | {"cpu"}
            variants.update(dict.fromkeys(release.versions, names))
            for companion in release.companions:
                if companion not in release.versions:
                    problem = f"companion for unknown {companion}"
                    self.problems.append(("torch.toml", f"torch {release.series}", problem))
        for (v, platform), wheel in self.kb.torch_pypi.items():
            record = f"pypi torch {v} {platform}"
            if v not in variants:
                self.problems.append(("torch.toml", record, "no [[release]] lists this version"))
            elif wheel.variant not in variants[v]:
                self.problems.append(
                    ("torch.toml", record, f"{wheel.variant} is not a variant of the release")
                )
            for _, pin in pinned(wheel.requires, "nvidia-cudnn-cu"):
                self.need_cudnn("torch.toml", record, pin, None)

    def conda_forge(self) -> None:
        for build in self.kb.conda_forge:
            for cuda in build.cuda:
                self.need_toolkit("conda_forge.toml", f"{build.package} {build.series}", cuda)

    def jax(self) -> None:
        for jax in self.kb.jax:
            for extra in jax.cuda:
                record = f"jax {jax.version} {extra.extra}"
                self.need_toolkit("jax.toml", record, extra.cuda_min)
                if extra.cuda_major not in self.kb.cuda_majors:
                    self.problems.append(("jax.toml", record, f"CUDA {extra.cuda_major} unknown"))

    def images(self) -> None:
        """An image's framework must be a release the data knows, and its CUDA major a known major."""
        for image in self.kb.images.images:
            record = f"image {image.name}"
            if image.cuda is not None and image.cuda.major not in self.kb.cuda_majors:
                self.problems.append(("images.toml", record, f"CUDA {image.cuda.major} unknown"))
            for req in image.frameworks:
                known = self.kb.framework_versions(req.name) if req.name in ("tensorflow", "torch") else ()
                if not any(req.specifier.contains(v) for v in known):
                    problem = f"{req} matches no release in {req.name}.toml"
                    self.problems.append(("images.toml", record, problem))

    def numpy(self) -> None:
        """Each [[numpy]] record covers releases the file lists, and no release twice on one platform.

        A release no record covers is allowed (a release `data update` added): its NumPy is inferred.
        """
        for name, records in self.kb.numpy.items():
            versions = self.kb.framework_versions(name)
            file = f"{name}.toml"
            for record in records:
                if not any(record.versions.contains(v, prereleases=True) for v in versions):
                    self.problems.append((file, f"numpy {record.versions}", "covers no release in the file"))
            for v in versions:
                for platform in Platform:
                    covering = [r for r in records if r.covers(v, platform)]
                    if len(covering) > 1:
                        ranges = " and ".join(str(r.versions) for r in covering)
                        problem = f"{name} {v} on {platform} is covered twice ({ranges})"
                        self.problems.append((file, f"numpy {covering[1].versions}", problem))


def check_consistency(kb: KnowledgeBase) -> list[Problem]:
    """Every cross-file reference that does not resolve, as (file, record, problem)."""
    checker = _Checker(kb)
    checker.cudnn()
    checker.tensorflow()
    checker.torch()
    checker.jax()
    checker.conda_forge()
    checker.images()
    checker.numpy()
    return checker.problems
