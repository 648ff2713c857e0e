"""Progress on a terminal: one line per step with its duration; silent when not a terminal or --json."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


class Progress:
    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self._stage: float | None = None  # when the current stage() began

    @classmethod
    def for_terminal(cls, quiet: bool) -> Progress:
        """On when standard error is a terminal and ``quiet`` (--json) is not set."""
        return cls(enabled=not quiet and sys.stderr.isatty())

    def say(self, message: str) -> None:
        if self.enabled:
            print(message, file=self.stream, flush=True)

    @contextmanager
    def step(self, message: str) -> Iterator[None]:
        start = time.perf_counter()
        self.say(f"... {message}")
        yield
        self.say(f"    done in {time.perf_counter() - start:.1f} s")

    def stage(self, message: str) -> None:
        """Begin the next of a sequence of steps known only as they come (a callback's messages): the
        previous one ends here, with its duration."""
        self.finish()
        self._stage = time.perf_counter()
        self.say(f"... {message}")

    def finish(self) -> None:
        """End the last stage()."""
        if self._stage is not None:
            self.say(f"    done in {time.perf_counter() - self._stage:.1f} s")
            self._stage = None
