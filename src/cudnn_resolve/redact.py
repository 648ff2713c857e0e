"""Credentials in URLs never reach logs, lockfiles or error messages: user:password@ becomes ***@."""

from __future__ import annotations

import re

_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/@\s:]+(?::[^/@\s]*)?)@")


def redact(text: str) -> str:
    """``https://user:token@host/simple`` -> ``https://***@host/simple``; everything else unchanged."""
    return _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)
