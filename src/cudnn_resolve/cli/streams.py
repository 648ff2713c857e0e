"""Standard output that cannot be written is an answer, not a traceback: a reader that went away
(`cudnn-resolve matrix | head -1`) or a full device (`> /dev/full`)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Callable

from ..errors import EXIT_BAD_INPUT

TYPE_CHECKING = False  # typing.TYPE_CHECKING would import typing on every command; mypy knows this name
if TYPE_CHECKING:
    from typing import Any, TextIO


class _StdoutError(Exception):
    """Standard output could not be written (carries the OSError), as opposed to any other OSError."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _GuardedStdout:
    """sys.stdout, with its write failures raised as _StdoutError so they are told apart from others."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise _StdoutError(exc) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            raise _StdoutError(exc) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def writing_stdout(action: Callable[[], int]) -> int:
    """Run ``action`` and flush its output; a closed or full standard output is an answer, not a crash."""
    stream = sys.stdout
    sys.stdout = _GuardedStdout(stream)
    try:
        try:
            return action()
        finally:
            sys.stdout.flush()
    except _StdoutError as failed:
        return _output_failed(failed.error)
    finally:
        sys.stdout = stream


EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for any program whose reader went away


def _output_failed(exc: OSError) -> int:
    """EXIT_BROKEN_PIPE, silently, when the reader went away (`cudnn-resolve matrix | head -1`: what was
    printed is all that was wanted, but the command did not finish, so it cannot claim success); 2 with
    one line on stderr when standard output cannot take the text (`> /dev/full`)."""
    # The interpreter flushes stdout again at exit: point it at nothing so that cannot fail too.
    with contextlib.suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if isinstance(exc, BrokenPipeError):
        return EXIT_BROKEN_PIPE
    with contextlib.suppress(OSError):  # when stderr is gone as well, the exit code is all that is left
        print(
            f"cudnn-resolve: error: cannot write the output: {exc.strerror or exc}. Free some space on its "
            "device, or redirect it elsewhere",
            file=sys.stderr,
        )
    return EXIT_BAD_INPUT
