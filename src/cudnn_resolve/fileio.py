"""Writing output files: all of them or none, never a half-written file at the target path."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .errors import ConflictingOptionsError, UsageError


class OutputError(UsageError):
    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}. Choose another output path, or fix the directory.")


def _mode_for(path: Path) -> int:
    """The permissions ``path`` has, or a new file's (0666 less the umask): a temporary file is 0600."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_files(files: Sequence[tuple[Path, str]]) -> None:
    """Write every (path, text), or none: each is written to a temporary file beside its target, and only
    when all are written are they renamed into place (a rename within one directory is atomic). A file
    that existed keeps its permissions."""
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
            os.chmod(tmp, _mode_for(path))
        for tmp, path in staged:
            os.replace(tmp, path)
        staged.clear()
    except OSError as exc:
        raise OutputError(staged[-1][1] if staged else files[0][0], exc.strerror or str(exc)) from None
    finally:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
