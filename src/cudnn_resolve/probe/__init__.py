"""The in-environment smoke test: a stdlib-only script run by the environment's own interpreter."""

from . import elf
from .report import Conv, FrameworkReport, Gpu, LoadedLibrary, ProbeReport, parse_report
from .run import NoInterpreterError, ProbeError, interpreter_of, run_probe

__all__ = [
    "Conv",
    "FrameworkReport",
    "Gpu",
    "LoadedLibrary",
    "NoInterpreterError",
    "ProbeError",
    "ProbeReport",
    "elf",
    "interpreter_of",
    "parse_report",
    "run_probe",
]
