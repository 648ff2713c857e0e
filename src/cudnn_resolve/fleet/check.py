"""``fleet check``: ``check -p PREFIX --json`` of one environment on every node (or one per kind).

Each node's row says what it loaded and what was expected, from its own check report; a node that could
not be checked (environment not visible, drained, not answering, timed out, cancelled) is a failed row
with the reason, so the fleet passes only when every node was checked and passed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .doctor import available, explain_outcome, fleet_doctor, run_tasks, tool_argv
from .runner import Batch, Node, Outcome, Runner, Snapshot, Task, TaskResult


@dataclass(frozen=True)
class NodeCheck:
    node: str
    verdict: str  # PASS, FAIL, or NOT CHECKED
    code: str  # "passed", "failed", "check-error", or the Outcome that kept it from running
    messages: tuple[str, ...]  # the errors found, or why it was not checked
    gpu: str = "-"
    driver: str = "-"
    loaded_cudnn: str = "-"
    expected: str = "-"
    conv: str = "-"
    report: dict[str, Any] | None = None  # the node's check --json object
    job: str | None = None


@dataclass(frozen=True)
class CheckReport:
    group: str
    prefix: str
    nodes: tuple[NodeCheck, ...]
    covered: tuple[tuple[str, str], ...] = ()  # (node, the node of its kind that was checked) with --per-kind

    @property
    def passed(self) -> bool:
        return bool(self.nodes) and all(n.verdict == "PASS" for n in self.nodes)


def _conv(report: dict[str, Any]) -> str:
    convs = [f["conv"] for f in report.get("frameworks", {}).values() if f.get("conv")]
    if not convs:
        return "-"
    words = [
        f"{'gpu' if c.get('device') != 'cpu' else 'cpu'} {'ok' if c.get('ok') else 'FAILED'}" for c in convs
    ]
    return ", ".join(dict.fromkeys(words))


def node_check(result: TaskResult, prefix: str) -> NodeCheck:
    """One node's row from its task result."""
    if result.outcome is not Outcome.RAN:
        message = explain_outcome(result, f"the environment {prefix}")
        return NodeCheck(result.node, "NOT CHECKED", str(result.outcome), (message,), job=result.job)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        tail = " | ".join((result.stderr or result.stdout).strip().splitlines()[-3:]) or "no output"
        message = f"check exited {result.exit_code} without a report: {tail}"
        return NodeCheck(result.node, "NOT CHECKED", "check-error", (message,), job=result.job)
    if "error" in report:  # check itself refused (exit 2): e.g. no interpreter in the prefix
        message = f"check: {report['error'].get('message')}"
        return NodeCheck(result.node, "NOT CHECKED", "check-error", (message,), report=report, job=result.job)
    gpus = report.get("gpus") or []
    gpu = f"{gpus[0].get('name')} ({gpus[0].get('compute_capability')})" if gpus else "none"
    if len(gpus) > 1:
        gpu += f" +{len(gpus) - 1}"
    errors = tuple(f["message"] for f in report.get("findings", []) if f.get("severity") == "error")
    passed = bool(report.get("passed")) and result.exit_code == 0
    expected = report.get("expectations", {}).get("cudnn")
    return NodeCheck(
        result.node,
        "PASS" if passed else "FAIL",
        "passed" if passed else "failed",
        errors,
        gpu,
        report.get("driver") or "none",
        report.get("loaded_cudnn") or "none",
        expected or "-",
        _conv(report),
        report,
        result.job,
    )


def _per_kind(
    runner: Runner, group: str, **bounds: Any
) -> tuple[list[str], list[tuple[str, str]], list[NodeCheck]]:
    """One node per kind (from a doctor pass first); the others, and the nodes doctor could not read."""
    doctor = fleet_doctor(runner, group, **bounds)
    chosen = [kind.nodes[0] for kind in doctor.kinds]
    covered = [(n, kind.nodes[0]) for kind in doctor.kinds for n in kind.nodes[1:]]
    missing = [NodeCheck(f.node, "NOT CHECKED", f.code, (f.message,)) for f in doctor.findings]
    return chosen, covered, missing


def fleet_check(
    runner: Runner,
    group: str,
    prefix: str,
    *,
    workdir: Path,
    time_limit: int,
    queue_wait: int,
    progress: Callable[[Snapshot], None],
    per_kind: bool = False,
    check_args: Sequence[str] = (),
) -> CheckReport:
    nodes: Sequence[Node] = runner.nodes(group)
    covered: list[tuple[str, str]] = []
    rows: list[NodeCheck] = []
    if per_kind:
        bounds = {
            "workdir": workdir,
            "time_limit": time_limit,
            "queue_wait": queue_wait,
            "progress": progress,
        }
        names, covered, rows = _per_kind(runner, group, **bounds)
        nodes = [n for n in nodes if n.name in names]
    argv = tool_argv("check", "-p", prefix, "--json", *check_args)
    tasks = tuple(Task(n.name, argv, (prefix,), 1 if n.gpus else 0) for n in available(nodes))
    batch = Batch(group, tasks, workdir, time_limit, queue_wait, "cudnn-resolve-fleet-check")
    unavailable = [] if per_kind else nodes  # with --per-kind, doctor already named them
    rows += [node_check(r, prefix) for r in run_tasks(runner, batch, unavailable, progress)]
    rows.sort(key=lambda r: r.node)
    return CheckReport(group, prefix, tuple(rows), tuple(covered))
