"""Match a log against the signatures and turn each match into a cause with versions and fixes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..data import KnowledgeBase
from ..versions import cuda_version_text, cudnn_version_text
from .fixes import explanation_and_fixes
from .signatures import RANK, SIGNATURES, Category, Signature
from .wheels import cuda_major_hint

_TUPLE = re.compile(r"\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\)")


@dataclass
class Cause:
    category: Category
    signatures: list[str]
    evidence: str  # the first line that matched
    line: int  # where it was first seen (1-based)
    versions: dict[str, str] = field(default_factory=dict)
    lines: set[int] = field(default_factory=set)  # every line a signature of this category matched
    framework: str | None = None
    explanation: str = ""
    fixes: list[str] = field(default_factory=list)

    @property
    def occurrences(self) -> int:
        return len(self.lines)

    def to_json(self) -> dict[str, object]:
        return {
            "category": str(self.category),
            "explanation": self.explanation,
            "versions": dict(self.versions),
            "fixes": list(self.fixes),
            "evidence": self.evidence,
            "line": self.line,
            "occurrences": self.occurrences,
            "framework": self.framework,
            "signatures": list(self.signatures),
        }


def normalise_version(text: str) -> str:
    """(8, 7, 0) -> 8.7.0; a cuDNN integer (8700, 90100) -> its dotted form; else as written."""
    match = _TUPLE.fullmatch(text.strip())
    if match:
        return ".".join(match.groups())
    stripped = text.strip().rstrip(".")
    if stripped.isdigit() and int(stripped) >= 1000:
        return cudnn_version_text(int(stripped))
    return stripped


def _line_of(text: str, position: int) -> tuple[int, str]:
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start : end if end != -1 else len(text)].strip()
    return text.count("\n", 0, position) + 1, line[:400]


def _extract(signature: Signature, match: re.Match[str]) -> dict[str, str]:
    versions = {}
    for key, value in match.groupdict().items():
        if value:
            versions[key] = (
                normalise_version(value)
                if key in ("loaded", "compiled", "compat", "minimum")
                else value.strip()
            )
    if "sm" in versions:
        sm = versions.pop("sm")
        versions["compute_capability"] = f"{sm[:-1]}.{sm[-1]}"
    if "driver_cuda" in versions:
        raw = int(versions["driver_cuda"])
        versions["driver_cuda"] = cuda_version_text(raw)
    return versions


def find_causes(text: str, kb: KnowledgeBase) -> list[Cause]:
    """Every category the log shows, most likely root cause first, benign noise last."""
    by_category: dict[Category, Cause] = {}
    for signature in SIGNATURES:
        for match in signature.pattern.finditer(text):
            line, evidence = _line_of(text, match.start())
            versions = _extract(signature, match)
            cause = by_category.get(signature.category)
            if cause is None:
                by_category[signature.category] = Cause(
                    signature.category,
                    [signature.id],
                    evidence,
                    line,
                    versions,
                    {line},
                    signature.framework,
                )
                continue
            cause.lines.add(line)
            if signature.id not in cause.signatures:
                cause.signatures.append(signature.id)
            for key, value in versions.items():
                cause.versions.setdefault(key, value)
            cause.framework = cause.framework or signature.framework
            if line < cause.line:
                cause.line, cause.evidence = line, evidence
    causes = sorted(by_category.values(), key=lambda c: (RANK[c.category], c.line))
    framework = next((c.framework for c in causes if c.framework), None)
    cuda_major = cuda_major_hint(text)
    for cause in causes:
        cause.framework = cause.framework or framework
        cause.explanation, cause.fixes = explanation_and_fixes(
            cause.category, cause.versions, cause.framework, kb, cuda_major
        )
    return causes
