"""Conservative stand-ins for facts the data marks ``"unknown"``, each with the sentence that says so.

Two rules, applied to every unknown GPU-architecture fact (docs/resolution.md, "Unknown facts"):

- a capability dropped by one release stays dropped in later ones: a PyTorch build runs on nothing below
  what an earlier (or the same) release's build of the same or an older CUDA dropped; a cuDNN build runs on
  nothing below what an earlier cuDNN release for the same CUDA major dropped;
- a build never targets more than its CUDA toolkit can compile for (``cuda.toml``'s compute capability
  range), nor more than the release's own ``torch/cuda/__init__.py`` states (``arch_bounds``).

Known facts pass through unchanged (``inferred`` is None). The answer carries ``inferred`` as a note
whenever the fact decided something (a GPU was given).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..data import KnowledgeBase
from ..data.facts import Unknown
from ..data.frameworks import TorchRelease, TorchVariant
from ..data.nvidia import CudnnBuild
from ..versions import ComputeCapability


@dataclass(frozen=True)
class ArchSupport:
    """Which GPU architectures one PyTorch build runs on."""

    arch: tuple[ComputeCapability, ...] | None  # the published list; None where inferred
    low: ComputeCapability
    high: ComputeCapability
    inferred: str | None = None  # why and how the list was inferred, for the answer's notes

    def runs_on(self, gpu: ComputeCapability) -> bool:
        """True if the build has code for ``gpu`` (CUDA binary compatibility within a major)."""
        if self.arch is not None:
            return any(gpu.runs_binary_for(a) for a in self.arch)
        return self.low <= gpu and (gpu <= self.high or gpu.runs_binary_for(self.high))

    def describe(self) -> str:
        if self.arch is not None:
            return ", ".join(str(a) for a in self.arch)
        return f"{self.low} to {self.high} (inferred)"


@dataclass(frozen=True)
class MinCapability:
    """The lowest GPU architecture one cuDNN build runs on."""

    value: ComputeCapability
    inferred: str | None = None


def _floor(values: list[tuple[ComputeCapability, str]]) -> tuple[ComputeCapability, str]:
    """The highest lower bound; on ties the last statement given (callers list the most specific last)."""
    best = max(value for value, _ in values)
    return best, [why for value, why in values if value == best][-1]


@lru_cache(maxsize=8)
def _torch_table(kb: KnowledgeBase) -> dict[tuple[str, str], ArchSupport]:
    table: dict[tuple[str, str], ArchSupport] = {}
    for release in kb.torch:
        for variant in release.variants:
            table[(str(release.series), variant.name)] = _torch_arch(kb, release, variant)
    return table


def torch_arch(kb: KnowledgeBase, release: TorchRelease, variant: TorchVariant) -> ArchSupport:
    """The architectures a PyTorch variant runs on, inferred conservatively where unpublished."""
    return _torch_table(kb)[(str(release.series), variant.name)]


def _torch_arch(kb: KnowledgeBase, release: TorchRelease, variant: TorchVariant) -> ArchSupport:
    if not isinstance(variant.arch, Unknown):
        return ArchSupport(variant.arch, min(variant.arch), max(variant.arch))
    toolkit = kb.toolkit(variant.cuda)
    assert toolkit is not None, variant  # data/consistency.py: every variant's CUDA has a toolkit record
    # Candidates for each bound, the most specific statement last (it names the bound on ties).
    toolkit_range = f"CUDA {variant.cuda} compiles for {toolkit.cc_min} to {toolkit.cc_max}"
    lows = [(toolkit.cc_min, toolkit_range)]
    highs = [(toolkit.cc_max, toolkit_range)]
    for earlier in kb.torch:
        if earlier.series > release.series:
            break
        for other in earlier.variants:
            if isinstance(other.arch, Unknown) or other.cuda > variant.cuda:
                continue
            lows.append(
                (
                    min(other.arch),
                    f"PyTorch {earlier.series} {other.name} already runs on nothing below {min(other.arch)}",
                )
            )
    if variant.arch_bounds is not None:
        low, high = variant.arch_bounds
        where = f"PyTorch {release.series}'s torch/cuda/__init__.py"
        stated = f"{where} states {low} to {high} for CUDA {variant.cuda}"
        lows.append((low, stated))
        highs.append((high, stated))
    low, low_why = _floor(lows)
    high = min(value for value, _ in highs)
    high_why = [why for value, why in highs if value == high][-1]
    why = low_why if high_why == low_why else f"{low_why}; {high_why}"
    note = (
        f"PyTorch {release.series} {variant.name} publishes no architecture list: taken as compute "
        f"capability {low} to {high} ({why}; a capability dropped by one release stays dropped)"
    )
    return ArchSupport(None, low, high, note)


@lru_cache(maxsize=8)
def _cudnn_table(kb: KnowledgeBase) -> dict[tuple[str, int], MinCapability]:
    table: dict[tuple[str, int], MinCapability] = {}
    for build in kb.cudnn:  # oldest first
        table[(str(build.release), build.cuda_major)] = _cudnn_min(kb, build)
    return table


def cudnn_min_cc(kb: KnowledgeBase, build: CudnnBuild) -> MinCapability:
    """The lowest architecture a cuDNN build runs on, inferred conservatively where unpublished."""
    return _cudnn_table(kb)[(str(build.release), build.cuda_major)]


def _cudnn_min(kb: KnowledgeBase, build: CudnnBuild) -> MinCapability:
    if not isinstance(build.min_cc, Unknown):
        return MinCapability(build.min_cc)
    lows = [
        (t.cc_min, f"CUDA {t.version} compiles for nothing below {t.cc_min}")
        for t in kb.toolkits
        if t.major == build.cuda_major
    ][:1]
    for earlier in kb.cudnn:
        if earlier.release >= build.release:
            continue
        if earlier.cuda_major == build.cuda_major and not isinstance(earlier.min_cc, Unknown):
            lows.append(
                (
                    earlier.min_cc,
                    f"cuDNN {earlier.release} for CUDA {earlier.cuda_major} already needs {earlier.min_cc}",
                )
            )
    low, why = _floor(lows)
    note = (
        f"no support matrix states the minimum compute capability of cuDNN {build.release} for CUDA "
        f"{build.cuda_major}: taken as {low} ({why}; a capability dropped by one release stays dropped)"
    )
    return MinCapability(low, note)
