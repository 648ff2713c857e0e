"""conda locks: solve the resolution's conda dependencies with py-rattler, then write @EXPLICIT files
(one per platform) or one conda-lock v1 file. Only the conda packages are locked: a framework installed
from the environment's pip: section is locked with ``lock --format pylock``."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

from ..conda_packages import LockedPackage, solve
from ..resolver.resolution import Resolution
from ..versions import Platform
from ..writers.lockfiles import conda_lock_text, explicit_text


def virtual_packages(resolution: Resolution) -> dict[str, str]:
    """The virtual packages a solve assumes for the target machine, stated in the lock's header.

    ``__cuda`` is the CUDA the driver must support: the driver's own maximum when a driver was given,
    else the resolution's CUDA runtime (the least a machine running this environment must have).
    """
    platform = resolution.platform
    virtual: dict[str, str] = {}
    if platform.is_linux:
        # glibc 2.28: the floor of the manylinux_2_28 wheels the frameworks ship (and of RHEL 8).
        virtual.update({"__glibc": "2.28", "__linux": "5.4", "__unix": "0"})
    elif platform.is_windows:
        virtual["__win"] = "0"
    else:
        virtual["__unix"] = "0"
    if resolution.cuda_runtime is not None:
        virtual["__cuda"] = str(resolution.cuda_runtime)
    return virtual


def solve_resolution(resolution: Resolution, channels: Sequence[str]) -> tuple[LockedPackage, ...]:
    return solve(
        resolution.conda.dependencies, channels, str(resolution.platform), virtual_packages(resolution)
    )


def _content_hash(resolution: Resolution, channels: Sequence[str]) -> str:
    inputs = {
        "specs": list(resolution.conda.dependencies),
        "channels": list(channels),
        "virtual": virtual_packages(resolution),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _explicit_url(package: LockedPackage) -> str:
    # conda's explicit format: URL#md5 (what `conda list --explicit --md5` writes and conda create reads).
    return f"{package.url}#{package.md5}" if package.md5 else package.url


def _lock_entry(package: LockedPackage, platform: Platform) -> dict[str, object]:
    depends: dict[str, str] = {}
    for dep in package.depends:
        name, _, spec = dep.partition(" ")
        depends[name] = spec.strip() or "*"
    hashes = {k: v for k, v in (("md5", package.md5), ("sha256", package.sha256)) if v}
    return {
        "name": package.name,
        "version": package.version,
        "manager": "conda",
        "platform": str(platform),
        "dependencies": depends,
        "url": package.url,
        "hash": hashes,
        "category": "main",
        "optional": False,
    }


def conda_lock_files(
    resolutions: Sequence[Resolution],
    fmt: str,
    channels: Sequence[str],
    output: Path | None,
    argv: Sequence[str],
) -> list[tuple[Path, str]]:
    """The (path, text) of every file a conda-format lock writes. Solves every platform first."""
    solved = [(r, solve_resolution(r, channels)) for r in resolutions]
    if fmt == "conda-lock":
        entries = [_lock_entry(p, r.platform) for r, pkgs in solved for p in pkgs]
        hashes = {str(r.platform): _content_hash(r, channels) for r in resolutions}
        text = conda_lock_text(resolutions, entries, channels, hashes, argv)
        return [(output or Path("conda-lock.yml"), text)]
    files = []
    for resolution, packages in solved:
        name = Path(f"conda-{resolution.platform}.lock")
        if output is not None:
            name = (
                output
                if len(resolutions) == 1
                else output.with_name(f"{output.stem}.{resolution.platform}{output.suffix}")
            )
        files.append((name, explicit_text(resolution, [_explicit_url(p) for p in packages], argv)))
    return files
