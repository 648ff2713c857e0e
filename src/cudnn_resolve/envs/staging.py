"""Build an environment next to its target and move it into place only when it is complete.

A lock file beside the target makes a second concurrent create of the same PREFIX fail at once; the build
directory is a sibling (same filesystem: the final move is one rename); on an error or Ctrl-C the build
directory is removed, and a build directory left by a killed run is removed by the next one once its lock
is free. Nothing ever appears at PREFIX until the final rename.
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

try:  # POSIX; on Windows the lock is an exclusively created file
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

BUILD_MARK = ".cudnn-resolve-build-"


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


def _remove_stale_builds(prefix: Path) -> None:
    """Build directories of earlier runs that were killed (we hold the lock, so none is live)."""
    for stale in prefix.parent.glob(f".{prefix.name}{BUILD_MARK}*"):
        shutil.rmtree(stale, ignore_errors=True)


class _Interrupted(BaseException):
    """SIGTERM turned into an exception, so cleanup runs as it does for Ctrl-C."""


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise _Interrupted()


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
        _remove_stale_builds(prefix)
        try:
            build = Path(tempfile.mkdtemp(prefix=f".{prefix.name}{BUILD_MARK}", dir=prefix.parent))
            # mkdtemp makes it private (0700); an environment gets the permissions the umask gives.
            umask = os.umask(0)
            os.umask(umask)
            build.chmod(0o777 & ~umask)
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
        retired = prefix.parent / f".{prefix.name}{BUILD_MARK}old"
        shutil.rmtree(retired, ignore_errors=True)
        os.rename(prefix, retired)
        os.rename(build, prefix)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(build, prefix)
