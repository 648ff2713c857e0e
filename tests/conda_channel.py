"""Build small, real conda channels on disk for offline tests (a helper module, not a test file).

A package is a v1 ``.tar.bz2`` archive written with :mod:`tarfile`: ``info/index.json``,
``info/paths.json``, ``info/files`` and the payload. The channel index is a ``repodata.json`` per subdir
written here, with the md5, sha256 and size of each archive, so the helper imports no conda tooling and does
not move when py-rattler's ``index`` API does. Archives are byte-for-byte reproducible (fixed mtimes and
owners), so the same FakePackage always has the same hashes.
"""

from __future__ import annotations

import bz2
import hashlib
import io
import json
import tarfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# conda-build's prefix placeholder, replaced by the target prefix when a package is linked.
PLACEHOLDER = "/opt/anaconda1anaconda2anaconda3"
# A fixed build timestamp (ms, as conda writes it): 2024-06-01T00:00:00Z. Reproducible archives need one.
_TIMESTAMP_MS = 1_717_200_000_000


@dataclass(frozen=True)
class FakePackage:
    """One conda package to build: its metadata as it appears in repodata, and its payload files.

    ``files`` maps prefix-relative POSIX paths to contents. ``noarch`` is ``"generic"`` or ``"python"`` for
    packages in the ``noarch`` subdir (defaults to ``"generic"`` there).
    """

    name: str
    version: str
    build: str
    build_number: int = 0
    depends: tuple[str, ...] = ()
    constrains: tuple[str, ...] = ()
    subdir: str = "linux-64"
    files: Mapping[str, bytes] = field(default_factory=dict)
    noarch: str | None = None
    # Files that contain PLACEHOLDER, which the installer replaces with the prefix (conda's text mode).
    prefixed: tuple[str, ...] = ()
    # Symbolic links: prefix-relative path -> target (conda's "softlink" path type).
    links: Mapping[str, str] = field(default_factory=dict)
    # Files installed executable (mode 0755): scripts and programs under bin/.
    executable: tuple[str, ...] = ()

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}-{self.build}.tar.bz2"

    def index_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "name": self.name,
            "version": self.version,
            "build": self.build,
            "build_number": self.build_number,
            "depends": list(self.depends),
            "constrains": list(self.constrains),
            "subdir": self.subdir,
            "license": "LicenseRef-test",
            "timestamp": _TIMESTAMP_MS,
        }
        if self.subdir == "noarch":
            record["noarch"] = self.noarch or "generic"
        else:
            os_name, _, arch = self.subdir.partition("-")
            record["platform"] = os_name
            record["arch"] = {"64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}.get(arch, arch)
        return record


def build_channel(root: Path, packages: Sequence[FakePackage]) -> str:
    """Write ``packages`` as a conda channel under ``root`` and return its ``file://`` URL.

    Every subdir a package names gets a ``repodata.json``; ``noarch`` always does, since conda clients
    require it. Building into a root that already holds a channel replaces that channel's index.
    """
    root.mkdir(parents=True, exist_ok=True)
    by_subdir: dict[str, dict[str, dict[str, Any]]] = {"noarch": {}}
    for package in packages:
        subdir_dir = root / package.subdir
        subdir_dir.mkdir(exist_ok=True)
        archive = _archive(package)
        (subdir_dir / package.filename).write_bytes(archive)
        record = package.index_json()
        record["md5"] = hashlib.md5(archive).hexdigest()
        record["sha256"] = hashlib.sha256(archive).hexdigest()
        record["size"] = len(archive)
        by_subdir.setdefault(package.subdir, {})[package.filename] = record
    for subdir, records in by_subdir.items():
        (root / subdir).mkdir(exist_ok=True)
        repodata = {
            "info": {"subdir": subdir},
            "packages": dict(sorted(records.items())),
            "packages.conda": {},
            "removed": [],
            "repodata_version": 1,
        }
        (root / subdir / "repodata.json").write_text(json.dumps(repodata, indent=1, sort_keys=True) + "\n")
    return root.resolve().as_uri()


def _archive(package: FakePackage) -> bytes:
    payload = dict(sorted(package.files.items()))
    entries: list[dict[str, Any]] = [
        {
            "_path": path,
            "path_type": "hardlink",
            "sha256": hashlib.sha256(data).hexdigest(),
            "size_in_bytes": len(data),
            **({"prefix_placeholder": PLACEHOLDER, "file_mode": "text"} if path in package.prefixed else {}),
        }
        for path, data in payload.items()
    ]
    entries += [{"_path": path, "path_type": "softlink"} for path in sorted(package.links)]
    paths_json = {"paths": sorted(entries, key=lambda e: str(e["_path"])), "paths_version": 1}
    members: dict[str, bytes] = {
        "info/index.json": _json_bytes(package.index_json()),
        "info/paths.json": _json_bytes(paths_json),
        "info/files": "".join(f"{path}\n" for path in sorted([*payload, *package.links])).encode(),
        **payload,
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755 if name in package.executable else 0o644
            info.mtime = _TIMESTAMP_MS // 1000
            tar.addfile(info, io.BytesIO(data))
        for name, target in sorted(package.links.items()):
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            info.mode = 0o777
            info.mtime = _TIMESTAMP_MS // 1000
            tar.addfile(info)
    # bz2 output depends only on its input, so equal packages give equal archives (and hashes).
    return bz2.compress(buffer.getvalue(), compresslevel=9)


def _json_bytes(value: object) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()


# --- a channel shaped like conda-forge's CUDA packages -------------------------------------------------
#
# Shapes (depends/constrains) are copied from the conda-forge feedstock recipes named below; build strings
# are readable stand-ins for conda-forge's hashes (e.g. cudnn 8.1.0.77 is h90431f1_0 there). Compiler and
# zlib run-exports (libgcc-ng, libstdcxx-ng, libzlib) are left out to keep the channel small: they never
# decide a CUDA conflict.

# conda-forge's linux builds link against the sysroot / stdlib('c') 2.17, whose run_exports add this
# dependency (visible on every conda-forge linux-64 record).
_GLIBC = "__glibc >=2.17,<3.0.a0"


def _lib(path: str, name: str, version: str) -> dict[str, bytes]:
    return {path: f"{name} {version} test payload\n".encode()}


def _cuda_version(version: str) -> FakePackage:
    # conda-forge/cuda-version-feedstock recipe/meta.yaml (build 3): noarch generic, and
    #   run_constrained: __cuda >={{ major }} ; cudatoolkit {{ version }}|{{ version }}.*
    major = version.split(".", 1)[0]
    return FakePackage(
        "cuda-version",
        version,
        "h0_3",
        build_number=3,
        subdir="noarch",
        constrains=(f"__cuda >={major}", f"cudatoolkit {version}|{version}.*"),
        files=_lib(f"share/cuda-version/{version}", "cuda-version", version),
    )


def _cudatoolkit(version: str, build: str) -> FakePackage:
    # conda-forge/cudatoolkit-feedstock recipe/meta.yaml (build 13): for CUDA >= 11 the run_constrained is
    # `__cuda >={{ major_version }}`, i.e. `__cuda >=11` for every 11.x (CUDA 11 minor-version
    # compatibility); only CUDA < 11 used `__cuda >={{ major_minor }}`. The sysroot 2.17 adds __glibc.
    major = version.split(".", 1)[0]
    return FakePackage(
        "cudatoolkit",
        version,
        build,
        build_number=13,
        depends=(_GLIBC,),
        constrains=(f"__cuda >={major}",),
        files=_lib(f"lib/libcudart.so.{version}", "cudatoolkit", version),
    )


def cuda_packages() -> tuple[FakePackage, ...]:
    """The records of :func:`cuda_channel`, for tests that extend or vary them."""
    return (
        FakePackage("python", "3.10.14", "h0_cpython", files=_lib("bin/python3.10", "python", "3.10.14")),
        FakePackage("python", "3.11.9", "h0_cpython", files=_lib("bin/python3.11", "python", "3.11.9")),
        # conda-forge's pip is noarch: python with `python >=3.8` (plus setuptools and wheel, left out here).
        # Its payload is a non-.py file so installing it needs no interpreter to compile bytecode.
        FakePackage(
            "pip",
            "24.0",
            "pyhd8ed1ab_0",
            subdir="noarch",
            noarch="python",
            depends=("python >=3.8",),
            files={"site-packages/pip-24.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: pip\n"},
        ),
        _cudatoolkit("11.2.2", "h0_13"),
        _cudatoolkit("11.8.0", "h0_13"),
        _cuda_version("11.8"),
        _cuda_version("12.4"),
        _cuda_version("12.6"),
        # conda-forge/cudnn-feedstock recipe/meta.yaml at the 8.1.0.77 commit (a4be42d, 2021-02-23): the
        # CUDA 11.2 variant runs on `cudatoolkit 11.*` (nvcc's run_exports are ignored), no __cuda bound.
        FakePackage(
            "cudnn",
            "8.1.0.77",
            "hcuda112_0",
            depends=("cudatoolkit 11.*",),
            files=_lib("lib/libcudnn.so.8", "cudnn", "8.1.0.77"),
        ),
        # cudnn-feedstock at 8.9.7.29 (e029c8d) and 9.3.0.75 (89180e3), CUDA 12 variant: host
        # `cuda-version 12.0` with `pin_compatible("cuda-version", max_pin="x")` gives
        # `cuda-version >=12.0,<13.0a0`; run also lists cuda-nvrtc and libcublas, unpinned.
        FakePackage(
            "cudnn",
            "8.9.7.29",
            "hcuda12_0",
            depends=(_GLIBC, "cuda-nvrtc", "cuda-version >=12.0,<13.0a0", "libcublas"),
            files=_lib("lib/libcudnn.so.8", "cudnn", "8.9.7.29"),
        ),
        FakePackage(
            "cudnn",
            "9.3.0.75",
            "hcuda12_0",
            depends=(_GLIBC, "cuda-nvrtc", "cuda-version >=12.0,<13.0a0", "libcublas"),
            files=_lib("lib/libcudnn.so.9", "cudnn", "9.3.0.75"),
        ),
        # conda-forge/libcublas-feedstock recipe/meta.yaml for 12.4.5.8 (b88af10, CUDA 12.4.1): host
        # `cuda-version 12.4`, run `pin_compatible("cuda-version", max_pin="x.x")` and cuda-nvrtc.
        FakePackage(
            "libcublas",
            "12.4.5.8",
            "h0_0",
            depends=(_GLIBC, "cuda-nvrtc", "cuda-version >=12.4,<12.5.0a0"),
            files=_lib("lib/libcublas.so.12", "libcublas", "12.4.5.8"),
        ),
        # cuda-nvrtc 12.4.127 ships with CUDA 12.4.1; same cuda-version pin shape as libcublas.
        FakePackage(
            "cuda-nvrtc",
            "12.4.127",
            "h0_0",
            depends=(_GLIBC, "cuda-version >=12.4,<12.5.0a0"),
            files=_lib("lib/libnvrtc.so.12", "cuda-nvrtc", "12.4.127"),
        ),
    )


def working_python(interpreter: Path, version: str) -> FakePackage:
    """A ``python`` package that runs: ``bin/python`` links to ``interpreter`` (this machine's CPython of
    the same minor version) and a ``pyvenv.cfg`` makes the environment its own ``sys.prefix``, with an
    empty ``lib/pythonX.Y/site-packages`` (conda-forge's python is the interpreter itself; this stand-in
    borrows one so that conda, uv and the smoke test can run Python in the environment)."""
    minor = ".".join(version.split(".")[:2])
    home = interpreter.resolve().parent
    return FakePackage(
        "python",
        version,
        "h0_cpython_standin",
        files={
            "pyvenv.cfg": (
                f"home = {home}\ninclude-system-site-packages = false\nversion = {version}\n"
            ).encode(),
            f"lib/python{minor}/site-packages/README.standin": b"site-packages of the stand-in python\n",
        },
        links={
            "bin/python": str(interpreter.resolve()),
            "bin/python3": "python",
            f"bin/python{minor}": "python",
        },
    )


def cuda_channel(root: Path, extra: Iterable[FakePackage] = ()) -> str:
    """Build the conda-forge-shaped CUDA channel of :func:`cuda_packages` (plus ``extra``) under ``root``."""
    return build_channel(root, (*cuda_packages(), *extra))
