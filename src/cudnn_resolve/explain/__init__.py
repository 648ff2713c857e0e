"""``explain``: recognise the causes in an error log and say how to fix each."""

from .engine import Cause, find_causes, normalise_version
from .signatures import SIGNATURES, Category

__all__ = ["SIGNATURES", "Category", "Cause", "find_causes", "normalise_version"]
