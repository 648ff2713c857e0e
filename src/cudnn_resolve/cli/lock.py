"""Lock a request for teams: exact packages with hashes, for one or several platforms.

Formats: pylock (PEP 751 pylock.toml, default) and requirements (hashed requirements.txt), produced by
uv against the package index; conda-explicit (@EXPLICIT, one per platform) and conda-lock (conda-lock v1
YAML, all platforms in one file), solved against conda channels. pylock and requirements locks are one
file per platform (the CUDA stack differs per platform); with several --platform, the output name gets
the platform inserted (pylock.linux-64.toml). A pip lock holds wheels for the Pythons it names in
requires-python: the newest the frameworks allow, or each --python given (several --python: one file,
the versions that differ marked per Python, as PEP 751 provides). Every lock records what it targets
(Pythons, CUDA, cuDNN, minimum driver) and what it assumed about the machine.

--check FILE re-resolves the request against the current compatibility data and exits 0 if the lock
still satisfies it, 1 with the differing pins otherwise: the command a team puts in CI.
"""

from __future__ import annotations

import argparse
import copy
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from ..envs.progress import Progress
from ..errors import ConflictingOptionsError
from ..fileio import write_files
from ..lock import check_lock, pip_lock_body, read_lock
from ..lock.check import LockedFile
from ..lock.merge import merge_bodies, python_range
from ..request import Target
from ..resolver.resolution import Resolution
from ..versions import Platform
from ..writers.lockfiles import hashed_requirements_text, pylock_text, pythons_text
from .conda_context import add_channel_arguments, channels_of
from .options import (
    add_json_argument,
    add_request_arguments,
    platforms_of,
    python_minor,
    require_pip_packages,
    resolve_for,
)

HELP = __doc__ or ""
DOCS = "commands/lock.md"
EXAMPLES = (
    (
        "{prog} lock torch==2.14.1 --python 3.11 --python 3.12",
        "one pylock.toml holding wheels for two Pythons",
    ),
    ("{prog} lock tf=2.18 --platform linux-64 --platform linux-aarch64", "one lock per platform"),
    (
        "{prog} lock torch==2.14.1 --python 3.11 --python 3.12 --check pylock.toml",
        "in CI: exit 1 when the lock is out of date",
    ),
)
FORMATS = ("pylock", "requirements", "conda-explicit", "conda-lock")
DEFAULT_NAMES = {
    "pylock": "pylock.toml",
    "requirements": "requirements.lock.txt",
    "conda-explicit": "conda-{platform}.lock",
    "conda-lock": "conda-lock.yml",
}


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, multi_platform=True, several_pythons=True)
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


def _pythons(args: argparse.Namespace, locked: LockedFile | None) -> list[str | None]:
    """The Pythons to lock (X.Y): each --python, else the newest the frameworks allow (None). A check
    resolves for the Pythons the lock was made for and each --python (which the lock must then hold)."""
    asked = [str(python_minor(value)) for value in args.python or []]
    held = list(locked.pythons) if locked is not None else []
    pythons = sorted(set(asked + held), key=Version)
    return list(pythons) or [None]


def _resolve_for(
    args: argparse.Namespace, platform: Platform, python: str | None, target: Target | None
) -> Resolution:
    one = copy.copy(args)
    one.python = python  # one of --python's values (lock takes it several times), or None: the newest
    return resolve_for(one, platform, target)


def _one_answer(group: Sequence[Resolution]) -> None:
    """The Pythons of one lock must share its pins (one CUDA stack per platform and lock)."""

    def pins(r: Resolution) -> str:
        frameworks = ", ".join(f"{f.display} ({f.variant})" for f in r.frameworks)
        return f"{frameworks}, cuDNN {r.cudnn_version}"

    answers = {pins(r) for r in group}
    if len(answers) > 1:
        listed = "; ".join(f"Python {r.python_version}: {pins(r)}" for r in group)
        raise ConflictingOptionsError(
            f"{group[0].request.text} resolves differently per Python on {group[0].platform} ({listed}), "
            "and one lock holds one set of pins",
            "Lock each Python on its own (one -o each), or pin a framework version every Python has",
        )


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


@dataclass(frozen=True)
class Written:
    path: Path
    platforms: tuple[Platform, ...]
    pythons: tuple[str, ...]


def _pip_bodies(group: Sequence[Resolution], fmt: str, progress: Progress) -> dict[str, str]:
    """uv's lock of each Python of one platform (X.Y -> body), each step shown on a terminal."""
    uv_format = "pylock.toml" if fmt == "pylock" else "requirements.txt"
    bodies = {}
    for resolution in group:
        with progress.step(f"locking {resolution.platform}, Python {resolution.python_version} through uv"):
            bodies[str(resolution.python_version)] = pip_lock_body(resolution, uv_format)
    return bodies


def execute(args: argparse.Namespace) -> int:
    progress = Progress.for_terminal(args.json)
    platforms = platforms_of(args)
    # A check resolves the way the lock was made: its format says whether CUDA came from conda, its
    # tool table which Pythons it holds.
    locked = read_lock(args.check) if args.check is not None else None
    fmt = locked.kind if locked is not None else args.format
    target = Target.CONDA if fmt.startswith("conda") else None
    pythons = _pythons(args, locked)
    if len(pythons) > 1 and fmt.startswith("conda"):
        raise ConflictingOptionsError(
            "a conda lock pins one python package, and several --python were given",
            "Lock each Python on its own, with one --python and one -o each",
        )
    groups = [[_resolve_for(args, p, py, target) for py in pythons] for p in platforms]
    for group in groups:
        _one_answer(group)
        if not fmt.startswith("conda"):
            require_pip_packages(group[0], "a pip lock")
    if args.check is not None:
        return _check(args, groups, fmt, progress)
    argv = tuple(args.argv)
    files: list[tuple[Path, str]] = []
    written: list[Written] = []
    channels: tuple[str, ...] = ()
    if fmt in ("pylock", "requirements"):
        for group in groups:
            bodies = _pip_bodies(group, fmt, progress)
            locked_pythons = sorted(bodies, key=Version)
            body = merge_bodies(bodies, "pylock.toml" if fmt == "pylock" else "requirements.txt")
            writer = pylock_text if fmt == "pylock" else hashed_requirements_text
            path = output_path(args.output, fmt, group[-1].platform, len(platforms) > 1)
            files.append((path, writer(group[-1], locked_pythons, body, argv)))
            written.append(Written(path, (group[-1].platform,), tuple(locked_pythons)))
    else:
        from ..lock.conda import conda_lock_files  # noqa: PLC0415  # imports the conda solver adapter

        resolutions = [group[0] for group in groups]
        channels = channels_of(args)
        with progress.step(f"solving the conda packages for {', '.join(str(p) for p in platforms)}"):
            files = conda_lock_files(resolutions, fmt, channels, args.output, argv)
        python = (str(resolutions[0].python_version),)
        if len(files) == len(resolutions):  # one file per platform (@EXPLICIT)
            written = [Written(p, (r.platform,), python) for (p, _), r in zip(files, resolutions)]
        else:  # one file for every platform (conda-lock)
            written = [Written(p, tuple(platforms), python) for p, _ in files]
    write_files(files)
    _report(args, groups, written, channels)
    return 0


def _report(
    args: argparse.Namespace,
    groups: Sequence[Sequence[Resolution]],
    written: Sequence[Written],
    channels: Sequence[str],
) -> None:
    """``channels``: the conda channels solved against (none for the pip formats)."""
    if args.json:
        body = {
            "schema": 1,
            "format": args.format,
            "files": [str(w.path) for w in written],
            "channels": list(channels),
            "locked": [
                {
                    "file": str(w.path),
                    "platforms": [str(p) for p in w.platforms],
                    "pythons": list(w.pythons),
                    "requires_python": python_range(w.pythons),
                }
                for w in written
            ],
            "resolutions": [r.to_json() for group in groups for r in group],
        }
        print(json.dumps(body, indent=2))
        return
    for w in written:
        platforms = ", ".join(str(p) for p in w.platforms)
        print(f"wrote {w.path}: {platforms}, Python {pythons_text(w.pythons)}")
    if channels:
        print(f"channels: {', '.join(channels)}")
    for group in groups:
        resolution = group[-1]
        print(
            f"{resolution.platform}: CUDA {resolution.cuda_runtime}, cuDNN {resolution.cudnn_version}, "
            f"driver >= {resolution.driver_min}"
        )
    if not args.python:
        resolution = groups[0][-1]
        frameworks = " and ".join(f.display for f in resolution.frameworks)
        print(
            f"note: locked for Python {resolution.python_version} only, the newest {frameworks} allows "
            f"({resolution.python}); add --python X.Y for others (repeatable: one lock holds several)"
        )


def _fresh(
    args: argparse.Namespace, group: Sequence[Resolution], kind: str, progress: Progress
) -> LockedFile | None:
    """The same pip lock made again from the index, to compare hashes (skipped with --no-verify-hashes)."""
    if args.no_verify_hashes or kind not in ("pylock", "requirements"):
        return None
    bodies = _pip_bodies(group, kind, progress)
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp, "fresh")
        fresh.write_text(merge_bodies(bodies, "pylock.toml" if kind == "pylock" else "requirements.txt"))
        return read_lock(fresh)


def _check(
    args: argparse.Namespace, groups: Sequence[Sequence[Resolution]], kind: str, progress: Progress
) -> int:
    """``kind``: the lock's format, read once by execute()."""
    results: dict[str, list[str]] = {}
    for group in groups:
        fresh = _fresh(args, group, kind, progress)
        differences = [line for r in group for line in check_lock(args.check, r, fresh).differences]
        results[str(group[0].platform)] = list(dict.fromkeys(differences))
    ok = not any(results.values())
    if args.json:
        print(json.dumps({"schema": 1, "file": str(args.check), "ok": ok, "platforms": results}, indent=2))
    else:
        for platform, differences in results.items():
            print(f"{args.check} ({platform}): {'out of date' if differences else 'ok'}")
            for line in differences:
                print(f"  {line}")
        if not ok and kind == "uv-lock":
            print("update the project with 'cudnn-resolve project' and the same request, then run 'uv lock'")
        elif not ok:
            print("regenerate with the same command without --check, and commit the new lock")
    return 0 if ok else 1
