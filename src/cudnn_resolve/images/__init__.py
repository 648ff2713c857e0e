"""Container images: what the images people start from carry, whether an answer fits one, which base an
answer calls for, and which image a process runs in."""

from .facts import CudnnCopy, ImageFacts, facts_of, find_record, from_record, with_config, with_probe
from .fit import (
    BaseChoice,
    Fit,
    ImageConflictError,
    NoBaseImageError,
    Problem,
    choose_base,
    fit,
    needs_system_cuda,
)
from .inside import Inside, MarkerHit, recognise

__all__ = [
    "BaseChoice",
    "CudnnCopy",
    "Fit",
    "ImageConflictError",
    "ImageFacts",
    "Inside",
    "MarkerHit",
    "NoBaseImageError",
    "Problem",
    "choose_base",
    "facts_of",
    "find_record",
    "fit",
    "from_record",
    "needs_system_cuda",
    "recognise",
    "with_config",
    "with_probe",
]
