"""Writing output files: all of them or none, never a half-written file at the target path."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from .errors import ConflictingOptionsError, UsageError


class OutputError(UsageError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}. Choose another output path, or fix the directory.")


def new_mode(directory: bool = False) -> int:
    """What the umask gives a new file or directory (0644 and 0755 under umask 022).

    Temporary files and directories are created private (0600/0700, ``tempfile``), so whatever is
    renamed into place must be given its mode explicitly. The umask is read by setting it and putting
    it back: POSIX has no read-only call."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def user_mode(path: Path) -> int:
    """The mode for a file written at ``path``: the mode of the file it replaces, else the umask's."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return new_mode()


def write_files(files: Sequence[tuple[Path, str]]) -> None:
    """Write every (path, text), or none: each is written to a temporary file beside its target, and only
    when all are written are they renamed into place (a rename within one directory is atomic). Each file
    gets the mode of the file it replaces, or the umask's for a new file."""
    import tempfile  # noqa: PLC0415  # only writing needs it, and most commands write nothing

    resolved = [p.resolve() for p, _ in files]
    if len(set(resolved)) != len(resolved):
        raise ConflictingOptionsError("two outputs name the same file", "Give each output its own path")
    staged: list[tuple[str, Path]] = []
    try:
        for path, text in files:
            if path.is_dir():
                raise OutputError(path, "it is a directory")
            try:
                fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            except OSError as exc:
                raise OutputError(path, exc.strerror or str(exc)) from None
            staged.append((tmp, path))
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            os.chmod(tmp, user_mode(path))
        for tmp, path in staged:
            os.replace(tmp, path)
        staged.clear()
    except OSError as exc:
        raise OutputError(staged[-1][1] if staged else files[0][0], exc.strerror or str(exc)) from None
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
