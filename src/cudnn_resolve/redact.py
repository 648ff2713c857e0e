"""Credentials in URLs never reach logs, lockfiles or error messages: user:password@ becomes ***@."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s:]+(?::[^/@\s]*)?)@")


def redact(text: str) -> str:
    """``https://user:token@host/simple`` -> ``https://***@host/simple``; everything else unchanged."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)


def output_tail(output: str, lines: int) -> str:
    """What an error quotes of a tool's output: its last non-blank ``lines`` lines, joined into one,
    credentials redacted; "no output" where there was none."""
    kept = [redact(line.strip()) for line in output.strip().splitlines() if line.strip()]
    return " ".join(kept[-lines:]) or "no output"
