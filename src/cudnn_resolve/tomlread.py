"""Reading TOML: the standard library's tomllib from Python 3.11, its backport (tomli) before.

Import this module where TOML is read, inside the function that reads it when start-up matters (the
parser and its datetime support cost several milliseconds).
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from tomllib import TOMLDecodeError, load, loads
else:  # pragma: no cover - exercised on Python < 3.11 only
    from tomli import TOMLDecodeError, load, loads

__all__ = ["TOMLDecodeError", "load", "loads"]
