"""Lock a request for teams: exact packages with hashes, for one or several platforms.

Formats: pylock (PEP 751 pylock.toml, default) and requirements (hashed requirements.txt), produced by
uv against the package index; conda-explicit (@EXPLICIT, one per platform) and conda-lock (conda-lock v1
YAML, all platforms in one file), solved against conda channels. pylock and requirements locks are one
file per platform (the CUDA stack differs per platform); with several --platform, the output name gets
the platform inserted (pylock.linux-64.toml). Every lock records what it targets (CUDA, cuDNN, minimum
driver) and what it assumed about the machine.

--check FILE re-resolves the request against the current compatibility data and exits 0 if the lock
still satisfies it, 1 with the differing pins otherwise: the command a team puts in CI.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..fileio import write_files
from ..lock import check_lock, pip_lock_body, read_lock
from ..lock.check import LockedFile
from ..request import Target
from ..resolver.resolution import Resolution
from ..versions import Platform
from ..writers.lockfiles import hashed_requirements_text, pylock_text
from .conda_context import add_channel_arguments, channels_of
from .options import add_json_argument, add_request_arguments, platforms_of, resolve_for

HELP = __doc__ or ""
FORMATS = ("pylock", "requirements", "conda-explicit", "conda-lock")
DEFAULT_NAMES = {
    "pylock": "pylock.toml",
    "requirements": "requirements.lock.txt",
    "conda-explicit": "conda-{platform}.lock",
    "conda-lock": "conda-lock.yml",
}


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, multi_platform=True)
    output = parser.add_argument_group("lockfile")
    output.add_argument(
        "--format", choices=FORMATS, default="pylock", help="lockfile format (default: pylock)"
    )
    output.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="where to write (default per format)"
    )
    add_channel_arguments(output, "for the conda formats")
    output.add_argument("--check", metavar="FILE", type=Path, help="check FILE instead of writing a lock")
    output.add_argument(
        "--no-verify-hashes",
        action="store_true",
        help="--check: do not compare the lock's hashes with the index's (offline)",
    )
    add_json_argument(parser)


def output_path(template: Path | None, fmt: str, platform: Platform, several: bool) -> Path:
    """The file for one platform: the template (or the format's default) with the platform inserted."""
    if template is None:
        template = Path(DEFAULT_NAMES[fmt].format(platform=platform))
        if "{platform}" in DEFAULT_NAMES[fmt]:
            return template
    if not several:
        return template
    name = template.name
    stem, dot, suffix = name.partition(".")
    return template.with_name(f"{stem}.{platform}{dot}{suffix}" if dot else f"{name}.{platform}")


def execute(args: argparse.Namespace) -> int:
    platforms = platforms_of(args)
    # A check resolves the way the lock was made: its format says whether CUDA came from conda.
    fmt = read_lock(args.check).kind if args.check is not None else args.format
    target = Target.CONDA if fmt.startswith("conda") else None
    resolutions = [resolve_for(args, p, target) for p in platforms]
    if args.check is not None:
        return _check(args, resolutions, fmt)
    argv = tuple(args.argv)
    files: list[tuple[Path, str]] = []
    channels: tuple[str, ...] = ()
    if fmt in ("pylock", "requirements"):
        for resolution in resolutions:
            body = pip_lock_body(resolution, "pylock.toml" if fmt == "pylock" else "requirements.txt")
            text = (
                pylock_text(resolution, body, argv)
                if fmt == "pylock"
                else hashed_requirements_text(resolution, body, argv)
            )
            files.append((output_path(args.output, fmt, resolution.platform, len(platforms) > 1), text))
    else:
        from ..lock.conda import conda_lock_files  # noqa: PLC0415  # imports the conda solver adapter

        channels = channels_of(args)
        files = conda_lock_files(resolutions, fmt, channels, args.output, argv)
    write_files(files)
    _report(args, resolutions, [p for p, _ in files], channels)
    return 0


def _report(
    args: argparse.Namespace,
    resolutions: Sequence[Resolution],
    paths: Sequence[Path],
    channels: Sequence[str],
) -> None:
    """``channels``: the conda channels solved against (none for the pip formats)."""
    if args.json:
        body = {
            "schema": 1,
            "format": args.format,
            "files": [str(p) for p in paths],
            "channels": list(channels),
            "resolutions": [r.to_json() for r in resolutions],
        }
        print(json.dumps(body, indent=2))
        return
    for path in paths:
        print(f"wrote {path}")
    if channels:
        print(f"channels: {', '.join(channels)}")
    for resolution in resolutions:
        print(
            f"{resolution.platform}: CUDA {resolution.cuda_runtime}, cuDNN {resolution.cudnn_version}, "
            f"driver >= {resolution.driver_min}"
        )


def _fresh(args: argparse.Namespace, resolution: Resolution, kind: str) -> LockedFile | None:
    """The same pip lock made again from the index, to compare hashes (skipped with --no-verify-hashes)."""
    if args.no_verify_hashes or kind not in ("pylock", "requirements"):
        return None
    body = pip_lock_body(resolution, "pylock.toml" if kind == "pylock" else "requirements.txt")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp, "fresh")
        fresh.write_text(body)
        return read_lock(fresh)


def _check(args: argparse.Namespace, resolutions: Sequence[Resolution], kind: str) -> int:
    """``kind``: the lock's format, read once by execute()."""
    results = [check_lock(args.check, r, _fresh(args, r, kind)) for r in resolutions]
    ok = all(r.ok for r in results)
    if args.json:
        print(
            json.dumps(
                {
                    "schema": 1,
                    "file": str(args.check),
                    "ok": ok,
                    "platforms": {
                        str(res.platform): list(r.differences) for res, r in zip(resolutions, results)
                    },
                },
                indent=2,
            )
        )
    else:
        for res, r in zip(resolutions, results):
            status = "ok" if r.ok else "out of date"
            print(f"{args.check} ({res.platform}): {status}")
            for line in r.differences:
                print(f"  {line}")
        if not ok and kind == "uv-lock":
            print("update the project with 'cudnn-resolve project' and the same request, then run 'uv lock'")
        elif not ok:
            print("regenerate with the same command without --check, and commit the new lock")
    return 0 if ok else 1
