"""Resolution: requests in, consistent pins out (resolvelib over the knowledge base)."""

from .api import resolve
from .resolution import CondaPins, FrameworkPin, PipPins, Resolution

__all__ = ["CondaPins", "FrameworkPin", "PipPins", "Resolution", "resolve"]
