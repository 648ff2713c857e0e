"""Resolution: requests in, consistent pins out (resolvelib over the knowledge base)."""

from .resolution import CondaPins, FrameworkPin, PipPins, Resolution
from .resolve import resolve

__all__ = ["CondaPins", "FrameworkPin", "PipPins", "Resolution", "resolve"]
