"""``check``: compare what an environment really loads (the probe) with what it should load.

The rules live in rules_cudnn (the loaded copies, and whether each framework accepts them),
rules_shadow (copies that shadow the environment's) and rules_hardware (driver, GPU architectures, the
conv2d); each cites the behaviour it encodes and reads only the probe's report, the expectations (the
manifest ``create`` wrote, or flags) and the knowledge base.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..data import KnowledgeBase
from ..probe.report import ProbeReport
from .findings import Finding, Severity, ordered
from .manifest import Expectations
from .rules_common import ERROR, INFO, WARNING, compatible, matches
from .rules_cudnn import cudnn_findings, framework_findings
from .rules_hardware import FRAMEWORK_SECTIONS, conv_findings, hardware_findings
from .rules_shadow import shadow_findings

__all__ = ["Verdict", "compatible", "evaluate", "matches"]


@dataclass(frozen=True)
class Verdict:
    report: ProbeReport
    expectations: Expectations
    findings: tuple[Finding, ...]

    @property
    def passed(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def loaded_cudnn(self) -> str | None:
        versions = sorted({lib.version for lib in self.report.libraries if lib.version})
        return versions[0] if len(versions) == 1 else None


def evaluate(
    kb: KnowledgeBase, report: ProbeReport, expected: Expectations, need_framework: bool = False
) -> Verdict:
    """The findings about ``report``. An environment with no framework is an error when the expectations
    name frameworks or ``need_framework`` is set (`check`: with nothing loaded and nothing run, nothing
    was checked, and a pass would report what did not happen); else a note (`conda doctor` on any
    environment)."""
    findings: list[Finding] = []
    if not report.frameworks:
        failed = need_framework or bool(expected.frameworks)
        findings.append(
            Finding(
                "no-framework",
                ERROR if failed else INFO,
                f"no framework (torch, tensorflow, jax) is installed for {report.python_executable}"
                + (": nothing was loaded or run, so nothing was checked" if failed else ""),
                "check the environment that holds the framework (cudnn-resolve check -p PREFIX, -n NAME "
                "or --python PATH), or install one into this environment"
                if failed
                else None,
            )
        )
    findings += framework_findings(kb, report, expected)
    findings += cudnn_findings(report, expected)
    findings += shadow_findings(report, expected)
    findings += hardware_findings(kb, report, expected)
    findings += conv_findings(report)
    findings += [
        Finding("probe-error", WARNING, f"probe: {e}")
        for e in report.errors
        if not e.startswith(FRAMEWORK_SECTIONS)
    ]
    return Verdict(report, expected, ordered(findings))
