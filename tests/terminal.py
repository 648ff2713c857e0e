"""Run the command line with its standard error on a terminal (a pseudo-terminal), as a user sees it."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TerminalRun:
    code: int
    out: str  # standard output (a pipe)
    err: str  # what the terminal showed


def on_terminal(args: Sequence[str], timeout: float = 900) -> TerminalRun:
    """``cudnn-resolve ARGS`` with stderr on a pseudo-terminal and stdout on a pipe."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "cudnn_resolve", *args],
            stdout=subprocess.PIPE,
            stderr=terminal,
            stdin=subprocess.DEVNULL,
        )
    finally:
        os.close(terminal)
    shown = bytearray()
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal closed: the command has exited
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    out = process.communicate(timeout=timeout)[0]
    return TerminalRun(process.returncode, out.decode(), shown.decode(errors="replace").replace("\r\n", "\n"))
