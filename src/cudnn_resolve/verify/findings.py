"""Findings: one observed problem (or fact) about an environment, with its fix."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass


class Severity(str, enum.Enum):
    ERROR = "error"  # the environment does not load what it should: the check fails
    WARNING = "warning"  # works now, but is fragile or not what was tested
    INFO = "info"  # a fact worth stating (no GPU, where a library came from)

    def __str__(self) -> str:
        return self.value

    @property
    def rank(self) -> int:
        return {"error": 0, "warning": 1, "info": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    code: str  # stable identifier, e.g. cudnn-mismatch, cudnn-multiple-dirs, shadow-ld-preload
    severity: Severity
    message: str
    fix: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"code": self.code, "severity": str(self.severity), "message": self.message, "fix": self.fix}


def ordered(findings: Sequence[Finding]) -> tuple[Finding, ...]:
    """Errors first, then warnings, then facts; stable within a severity."""
    return tuple(sorted(findings, key=lambda f: f.severity.rank))
