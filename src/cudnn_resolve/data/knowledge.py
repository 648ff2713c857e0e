"""The knowledge base: every data file parsed, checked and indexed."""

from __future__ import annotations

import os
import pickle
import sys
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import platformdirs
from packaging.version import Version

from .._version import __version__
from ..errors import DataError
from ..versions import Platform
from .frameworks import (
    AndCuda,
    CondaForgeBuild,
    JaxRelease,
    TensorflowRelease,
    TorchPypi,
    TorchRelease,
    parse_conda_forge,
    parse_jax,
    parse_tensorflow,
    parse_torch,
)
from .images import ImageData, parse_images
from .numpy_builds import NumpyBuild, parse_numpy
from .nvidia import (
    CondaToolkit,
    CudaMajor,
    CudaToolkit,
    CudnnBuild,
    Library,
    PipSet,
    parse_cuda,
    parse_cudnn,
    parse_libraries,
)
from .overlay import merge, overlay_dir

DATA_FILES = (
    "cuda.toml",
    "cudnn.toml",
    "tensorflow.toml",
    "torch.toml",
    "jax.toml",
    "conda_forge.toml",
    "images.toml",
)


@dataclass(frozen=True, eq=False)  # identity: one loaded base is one set of facts (and a cache key)
class KnowledgeBase:
    cuda_majors: Mapping[int, CudaMajor]
    toolkits: tuple[CudaToolkit, ...]
    pip_sets: Mapping[Version, PipSet]
    libraries: Mapping[str, Library]  # SONAME stem (lowercase) -> the NVIDIA wheel that provides it
    conda_toolkits: Mapping[Version, CondaToolkit]
    cudnn: tuple[CudnnBuild, ...]
    tensorflow: tuple[TensorflowRelease, ...]
    and_cuda: Mapping[Version, AndCuda]
    torch: tuple[TorchRelease, ...]
    torch_pypi: Mapping[tuple[Version, Platform], TorchPypi]
    jax: tuple[JaxRelease, ...]
    conda_forge: tuple[CondaForgeBuild, ...]  # conda-forge's CUDA builds of the frameworks
    images: ImageData  # container images people start from, and how to recognise them from inside
    numpy: Mapping[str, tuple[NumpyBuild, ...]]  # framework -> what NumPy its wheels work with
    files: tuple[str, ...]  # where the data was read from

    def toolkit(self, cuda: Version) -> CudaToolkit | None:
        for toolkit in self.toolkits:
            if toolkit.version == cuda:
                return toolkit
        return None

    def cudnn_build(self, wanted: Version, cuda_major: int | None = None) -> CudnnBuild | None:
        """The build that ``wanted`` names (release, pip or conda version), newest first."""
        for build in reversed(self.cudnn):
            if build.matches(wanted) and (cuda_major is None or build.cuda_major == cuda_major):
                return build
        return None

    def framework_versions(self, name: str) -> tuple[Version, ...]:
        """Every release of a framework the data covers, oldest first."""
        if name == "tensorflow":
            return tuple(v for r in self.tensorflow for v in r.versions)
        if name == "torch":
            return tuple(v for r in self.torch for v in r.versions)
        if name == "jax":
            return tuple(r.version for r in self.jax)
        raise KeyError(name)


def shipped_data_dir() -> Path:
    """Where the shipped data files are.

    Installed wheels carry them as ``cudnn_resolve/constraints`` (see pyproject's force-include); a
    source checkout or an editable install reads them from the repository's top-level ``constraints/``.
    """
    package = Path(__file__).resolve().parent.parent
    inside = package / "constraints"
    if (inside / DATA_FILES[0]).is_file():
        return inside
    return package.parent.parent / "constraints"


def _read_toml(path: Path, overlay: bool = False) -> dict[str, Any]:
    def error(problem: str) -> DataError:
        if overlay:
            problem += (
                "; it is a data overlay written by 'cudnn-resolve data update': remove it with "
                "'cudnn-resolve data reset'"
            )
        return DataError(str(path), problem)

    from .. import tomlread as tomllib  # noqa: PLC0415  # a cached knowledge base needs no TOML parser

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise error("the file is missing") from None
    except OSError as exc:
        raise error(f"cannot read it ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"it is not valid TOML ({exc})") from None
    except UnicodeDecodeError:
        raise error("it is not UTF-8 text") from None


def cache_dir() -> Path:
    """Where parsed knowledge bases are cached (``CUDNN_RESOLVE_CACHE_DIR`` overrides)."""
    override = os.environ.get("CUDNN_RESOLVE_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("cudnn-resolve"))


def _fingerprint(paths: dict[str, Path]) -> tuple[tuple[str, int, int], ...] | None:
    """(path, size, mtime) of each data file and of the schema's own modules, or None if one is missing.

    The schema modules are part of it so that a changed record class never meets an old cached object.
    """
    schema = sorted(Path(__file__).parent.glob("*.py"))
    try:
        return tuple(
            (str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in [*paths.values(), *schema]
        )
    except OSError:
        return None


def _cache_key(fingerprint: tuple[tuple[str, int, int], ...]) -> str:
    return repr((__version__, sys.version_info[:2], fingerprint))


def _cache_file(fingerprint: tuple[tuple[str, int, int], ...]) -> Path:
    # A CRC names the file (hashlib's import alone costs every command ~2 ms); the full key is stored
    # inside and compared on reading, so a collision only costs a rebuild.
    return cache_dir() / f"kb-{zlib.crc32(_cache_key(fingerprint).encode()):08x}.pickle"


def _read_cache(path: Path, fingerprint: tuple[tuple[str, int, int], ...]) -> KnowledgeBase | None:
    try:
        with path.open("rb") as handle:
            key, kb = pickle.load(handle)
    # Unpickling a truncated or stale file raises more than one documented type (the pickle module's
    # documentation names UnpicklingError, AttributeError, EOFError, ImportError and IndexError, "not
    # necessarily limited to"): any of them means the cache is rebuilt from the TOML files.
    except Exception:
        return None
    return kb if key == _cache_key(fingerprint) and isinstance(kb, KnowledgeBase) else None


def _write_cache(path: Path, fingerprint: tuple[tuple[str, int, int], ...], kb: KnowledgeBase) -> None:
    import tempfile  # noqa: PLC0415  # only a cache miss writes

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".kb-", delete=False) as handle:
            pickle.dump((_cache_key(fingerprint), kb), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except OSError:
        return  # a read-only or full cache directory only costs speed
    # Every data or schema change makes a new file: keep only the newest few.
    stale = sorted(path.parent.glob("kb-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)[4:]
    for old in stale:
        old.unlink(missing_ok=True)


def load_knowledge_base(data_dir: Path | None = None, overlay: Path | None = None) -> KnowledgeBase:
    """Parse and check every data file in ``data_dir``; by default the shipped data with the user's data
    overlay (``data update``) merged over it. An explicit ``data_dir`` is read exactly, without overlay.

    Parsing ~400 kB of TOML through the schema takes ~150 ms, so the checked result is cached in memory
    and on disk (pickled in ``cache_dir()``), keyed by the files' paths, sizes and modification times:
    any change to a file is seen at the next call. Raises DataError naming the file and record of the
    first problem found.
    """
    directory = data_dir or shipped_data_dir()
    if overlay is None and data_dir is None:
        overlay = overlay_dir()
    paths = {name: directory / name for name in DATA_FILES}
    overlays = {name: overlay / name for name in DATA_FILES if (overlay / name).exists()} if overlay else {}
    fingerprint = _fingerprint({**paths, **{f"overlay:{n}": p for n, p in overlays.items()}})
    if fingerprint is None:  # a file is missing or unreadable: parse, to report which one
        return _parse(directory, paths, overlays)
    return _load_fingerprinted(directory, tuple(sorted(overlays.items())), fingerprint)


@lru_cache(maxsize=8)
def _load_fingerprinted(
    directory: Path, overlays: tuple[tuple[str, Path], ...], fingerprint: tuple[tuple[str, int, int], ...]
) -> KnowledgeBase:
    paths = {name: directory / name for name in DATA_FILES}
    cache = _cache_file(fingerprint)
    cached = _read_cache(cache, fingerprint)
    if cached is not None:
        return cached
    kb = _parse(directory, paths, dict(overlays))
    _write_cache(cache, fingerprint, kb)
    return kb


def _parse(
    directory: Path, paths: dict[str, Path], overlays: Mapping[str, Path] | None = None
) -> KnowledgeBase:
    docs = {name: _read_toml(path) for name, path in paths.items()}
    labels = {name: str(path) for name, path in paths.items()}
    for name, overlay in (overlays or {}).items():
        docs[name] = merge(docs[name], _read_toml(overlay, overlay=True))
        labels[name] = f"{paths[name]} with the data overlay {overlay}"
    paths = {name: Path(labels[name]) for name in paths}
    majors, toolkits, pip_sets, conda = parse_cuda(str(paths["cuda.toml"]), docs["cuda.toml"])
    tensorflow, and_cuda = parse_tensorflow(str(paths["tensorflow.toml"]), docs["tensorflow.toml"])
    torch, torch_pypi = parse_torch(str(paths["torch.toml"]), docs["torch.toml"])
    kb = KnowledgeBase(
        cuda_majors=majors,
        toolkits=toolkits,
        pip_sets=pip_sets,
        libraries=parse_libraries(str(paths["cuda.toml"]), docs["cuda.toml"]),
        conda_toolkits=conda,
        cudnn=parse_cudnn(str(paths["cudnn.toml"]), docs["cudnn.toml"]),
        tensorflow=tensorflow,
        and_cuda=and_cuda,
        torch=torch,
        torch_pypi=torch_pypi,
        jax=parse_jax(str(paths["jax.toml"]), docs["jax.toml"]),
        conda_forge=parse_conda_forge(str(paths["conda_forge.toml"]), docs["conda_forge.toml"]),
        images=parse_images(str(paths["images.toml"]), docs["images.toml"]),
        numpy={
            name: parse_numpy(str(paths[f"{name}.toml"]), docs[f"{name}.toml"], name)
            for name in ("tensorflow", "torch", "jax")
        },
        files=tuple(str(p) for p in paths.values()),
    )
    # Only a cache miss checks: the consistency rules (and the packaging parsers they use) cost start-up.
    from .consistency import check_consistency  # noqa: PLC0415

    problems = check_consistency(kb)
    if problems:
        path, record, problem = problems[0]
        raise DataError(labels.get(path, str(directory / path)), problem, record)
    return kb
