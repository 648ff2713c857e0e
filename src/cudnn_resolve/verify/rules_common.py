"""What every rule of ``check`` shares: version comparison as the frameworks do it, paths, severities."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from .findings import Severity

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
CUDA_NAME = re.compile(r"^(libcudnn|libcudart|libcublas|cudnn64|cudart64)", re.IGNORECASE)


def parts(text: str) -> list[int]:
    return [int(p) for p in re.findall(r"\d+", text)]


def matches(loaded: str, expected: str) -> bool:
    """True if ``loaded`` (X.Y.Z, what the library reports) is ``expected`` (X, X.Y, X.Y.Z or the full
    four-part wheel version, whose build number the library cannot report)."""
    want = parts(expected)[:3]
    return parts(loaded)[: len(want)] == want


def compatible(loaded: str, compiled: str) -> bool:
    """TensorFlow's and torch's own rule: the same major, and a minor at least the build's."""
    have, built = parts(loaded), parts(compiled)
    if not have or not built or have[0] != built[0]:
        return False
    return len(built) < 2 or have[1] >= built[1]


def inside(path: str, roots: Iterable[str]) -> bool:
    real = os.path.realpath(path)
    return any(
        root and (real.startswith(os.path.realpath(root) + os.sep) or path.startswith(root + os.sep))
        for root in roots
    )
