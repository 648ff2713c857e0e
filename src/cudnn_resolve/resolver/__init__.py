"""Resolution: requests in, consistent pins out (resolvelib over the knowledge base)."""

from .api import resolve
from .hosts import host_platforms, request_for_hosts
from .resolution import CondaPins, FrameworkPin, PipPins, Resolution

__all__ = [
    "CondaPins",
    "FrameworkPin",
    "PipPins",
    "Resolution",
    "host_platforms",
    "request_for_hosts",
    "resolve",
]
