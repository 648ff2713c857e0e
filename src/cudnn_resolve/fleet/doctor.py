"""``fleet doctor``: ``doctor --json`` on every node of a group, folded into one host file per kind.

Nodes are the same kind when their platform, driver and GPUs agree; each kind lists its nodes. A node
that gives no facts (drained, not answering, timed out, no report) is a named finding, never left out
in silence.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import CudnnResolveError
from ..hostfile import HostFacts, parse_host
from .runner import Batch, Node, Outcome, Runner, Snapshot, Task, TaskResult, unavailable_results


def tool_argv(*args: str) -> tuple[str, ...]:
    """This cudnn-resolve, as a node runs it: the same interpreter, found on the shared filesystem."""
    return (sys.executable, "-m", "cudnn_resolve", *args)


@dataclass(frozen=True)
class NodeFinding:
    node: str
    code: str  # an Outcome value, or "bad-report" / "check-error"
    message: str


@dataclass(frozen=True)
class DoctorReport:
    group: str
    kinds: tuple[HostFacts, ...]  # one per distinct (platform, driver, GPUs), with its nodes
    findings: tuple[NodeFinding, ...]
    nodes: tuple[str, ...]  # every node of the group

    @property
    def complete(self) -> bool:
        return not self.findings


def explain_outcome(result: TaskResult, what: str) -> str:
    """A task that did not run to the end, in words, with what to do."""
    advice = {
        Outcome.MISSING_PATH: f"{what} is not visible on the node ({result.detail}): put it on a filesystem "
        "every node mounts",
        Outcome.TIMED_OUT: f"{result.detail}: raise --time",
        Outcome.CANCELLED: result.detail,
        Outcome.NOT_STARTED: f"{result.detail}: the node is busy or held; raise --queue-wait or retry later",
        Outcome.NOT_ANSWERING: f"{result.detail}: ask the cluster's administrators",
        Outcome.UNAVAILABLE: result.detail,
        Outcome.NO_REPORT: f"{result.detail}: the interpreter {sys.executable} and the work directory "
        "must be visible on the node",
    }
    return advice.get(result.outcome, result.detail)


def available(nodes: Sequence[Node]) -> list[Node]:
    return [n for n in nodes if not n.unavailable]


def run_tasks(
    runner: Runner, batch: Batch, nodes: Sequence[Node], progress: Callable[[Snapshot], None]
) -> tuple[TaskResult, ...]:
    """The batch's results plus one for every node nothing was submitted to."""
    ran = runner.run(batch, progress) if batch.tasks else ()
    return ran + unavailable_results(nodes)


def _facts(result: TaskResult) -> HostFacts:
    """The host object of one node's ``doctor --json``; raises CudnnResolveError when unreadable."""
    try:
        body = json.loads(result.stdout)
        host = body["host"]
    except (ValueError, KeyError, TypeError):
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise CudnnResolveError(
            f"doctor exited {result.exit_code} without a report: {' | '.join(tail) or 'no output'}"
        ) from None
    return replace(parse_host(f"doctor --json on {result.node}", "host", host), name=None, source="")


def fold_kinds(facts: Sequence[tuple[str, HostFacts]]) -> tuple[HostFacts, ...]:
    """One host per kind, named after its first node, listing every node of that kind."""
    kinds: dict[tuple[object, ...], list[tuple[str, HostFacts]]] = {}
    for node, host in facts:
        kinds.setdefault(host.kind, []).append((node, host))
    return tuple(
        replace(members[0][1], name=members[0][0], nodes=tuple(sorted(n for n, _ in members)))
        for members in kinds.values()
    )


def fleet_doctor(
    runner: Runner,
    group: str,
    *,
    workdir: Path,
    time_limit: int,
    queue_wait: int,
    progress: Callable[[Snapshot], None],
) -> DoctorReport:
    nodes = runner.nodes(group)
    argv = tool_argv("doctor", "--json", "--no-conv")
    tasks = tuple(Task(n.name, argv, gpus=1 if n.gpus else 0) for n in available(nodes))
    batch = Batch(group, tasks, workdir, time_limit, queue_wait, "cudnn-resolve-fleet-doctor")
    facts: list[tuple[str, HostFacts]] = []
    findings: list[NodeFinding] = []
    for result in run_tasks(runner, batch, nodes, progress):
        if result.outcome is not Outcome.RAN:
            findings.append(NodeFinding(result.node, str(result.outcome), explain_outcome(result, "it")))
            continue
        try:
            facts.append((result.node, _facts(result)))
        except CudnnResolveError as error:
            findings.append(NodeFinding(result.node, "bad-report", str(error)))
    return DoctorReport(group, fold_kinds(facts), tuple(findings), tuple(n.name for n in nodes))
