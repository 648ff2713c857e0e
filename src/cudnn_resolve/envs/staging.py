"""Build an environment next to its target and move it into place only when it is complete.

A lock file beside the target makes a second concurrent create of the same PREFIX fail at once; the build
directory is a sibling (same filesystem: the final move is one rename); on an error or Ctrl-C the build
directory is removed, and a build directory left by a killed run is removed by the next one once its lock
is free. Nothing ever appears at PREFIX until the final rename.

Replacing an environment (--force) takes two renames: the old one aside to a "retired" name, the new one
into place. A run killed between the two leaves no environment at PREFIX; the next run, holding the lock,
first puts the retired one back. The old environment is deleted only once the new one is in place.
"""

from __future__ import annotations

import errno
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

from ..errors import CudnnResolveError, UsageError
from ..fileio import new_mode

try:  # POSIX; on Windows the lock is an exclusively created file
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

BUILD_MARK = ".cudnn-resolve-build-"
RETIRED_MARK = ".cudnn-resolve-retired"


class PrefixExistsError(UsageError):
    def __init__(self, prefix: Path) -> None:
        super().__init__(
            f"{prefix} already exists: choose another prefix or name, or pass --force to replace it (the old "
            "environment is removed only after the new one is complete and checked)"
        )


class PrefixBusyError(CudnnResolveError):
    exit_code = 1

    def __init__(self, prefix: Path, lock: Path) -> None:
        super().__init__(
            f"another cudnn-resolve create is building {prefix} right now (it holds {lock}): wait for it to "
            "finish, or choose another prefix"
        )


class UnwritableError(UsageError):
    def __init__(self, where: Path, reason: str) -> None:
        super().__init__(
            f"cannot create the environment in {where}: {reason}. Choose a prefix in a writable directory"
        )


def _lock_path(prefix: Path) -> Path:
    return prefix.parent / f".{prefix.name}.cudnn-resolve.lock"


@contextmanager
def _locked(prefix: Path) -> Iterator[None]:
    lock = _lock_path(prefix)
    try:
        handle = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
    except OSError as exc:
        raise UnwritableError(prefix.parent, exc.strerror or str(exc)) from None
    try:
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise PrefixBusyError(prefix, lock) from None
                raise
        yield
    finally:
        os.close(handle)  # releases the lock; the (empty) lock file stays, harmless and reusable


def _retired(prefix: Path) -> Path:
    return prefix.parent / f".{prefix.name}{RETIRED_MARK}"


def _recover(prefix: Path) -> None:
    """Finish a replacement a killed run left halfway (we hold the lock, so none is in progress)."""
    retired = _retired(prefix)
    if not retired.exists():
        return
    if prefix.exists():  # killed after the new environment was in place: the old one was next to go
        shutil.rmtree(retired, ignore_errors=True)
    else:  # killed between the two renames: the retired environment is the only one there is
        os.rename(retired, prefix)


def _remove_stale_builds(prefix: Path) -> None:
    """Build directories of earlier runs that were killed (we hold the lock, so none is live)."""
    for stale in prefix.parent.glob(f".{prefix.name}{BUILD_MARK}*"):
        shutil.rmtree(stale, ignore_errors=True)


class _Interrupted(BaseException):
    """SIGTERM turned into an exception, so cleanup runs as it does for Ctrl-C."""


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise _Interrupted()


def preflight(prefix: Path, force: bool) -> None:
    """Raise what ``staged`` would raise before building (PrefixExistsError, UnwritableError), and leave
    nothing behind: what ``create --dry-run`` checks, so a dry run refuses what the real run refuses."""
    prefix = prefix.absolute()
    if prefix.exists() and not force:
        raise PrefixExistsError(prefix)
    existing = prefix.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:  # the one honest test of "can a build directory be made here": make one, and remove it
        os.rmdir(tempfile.mkdtemp(prefix=f".{prefix.name}{BUILD_MARK}", dir=existing))
    except OSError as exc:
        raise UnwritableError(prefix.parent, exc.strerror or str(exc)) from None


@contextmanager
def staged(prefix: Path, force: bool) -> Iterator[Path]:
    """Yield a fresh build directory; on normal exit it replaces/becomes ``prefix``, on any error it goes.

    Raises PrefixExistsError (without --force), PrefixBusyError, UnwritableError.
    """
    prefix = prefix.absolute()
    if prefix.exists() and not force:
        raise PrefixExistsError(prefix)
    if not prefix.parent.is_dir():
        try:
            prefix.parent.mkdir(parents=True)
        except OSError as exc:
            raise UnwritableError(prefix.parent, exc.strerror or str(exc)) from None
    with _locked(prefix):
        _recover(prefix)
        _remove_stale_builds(prefix)
        if prefix.exists() and not force:  # an environment put back by _recover
            raise PrefixExistsError(prefix)
        try:
            build = Path(tempfile.mkdtemp(prefix=f".{prefix.name}{BUILD_MARK}", dir=prefix.parent))
            # mkdtemp makes it private (0700); an environment gets the permissions the umask gives.
            build.chmod(new_mode(directory=True))
        except OSError as exc:
            raise UnwritableError(prefix.parent, exc.strerror or str(exc)) from None
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, _raise_interrupted)
        try:
            yield build
            _replace(build, prefix)
        except _Interrupted:
            shutil.rmtree(build, ignore_errors=True)
            raise KeyboardInterrupt from None
        except BaseException:
            shutil.rmtree(build, ignore_errors=True)
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)


def _replace(build: Path, prefix: Path) -> None:
    if prefix.exists():
        retired = _retired(prefix)  # _recover left none behind
        os.rename(prefix, retired)
        os.rename(build, prefix)  # until this rename, the old environment exists, at one of two names
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(build, prefix)
