"""What a scheduler must do for ``fleet``: list a group's nodes, and run one task per node, bounded in time.

A runner turns a ``Batch`` (one ``Task`` per node: an argument list, never a shell line) into one
``TaskResult`` per task, and every way a task can fail to report becomes an ``Outcome`` that names it:
nothing waits forever and nothing passes in silence. Slurm is ``slurm.SlurmRunner``; another scheduler
(Kubernetes Jobs, Ray) is one more module with these two methods (docs/teams.md says what each needs).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..errors import CudnnResolveError


class SchedulerError(CudnnResolveError):
    """The scheduler could not be asked (not installed, not reachable, refused the job). Exit code 2."""

    def __init__(self, command: str, problem: str, fix: str) -> None:
        self.command = command
        self.problem = problem
        super().__init__(f"{command}: {problem}. {fix}")


@dataclass(frozen=True)
class Node:
    """One node of a group (a Slurm partition), as the scheduler sees it before anything runs."""

    name: str
    state: str  # the scheduler's word for it: idle, mixed, drained, down* ...
    gpus: int  # GPUs the scheduler can give a task there (0: none configured)
    unavailable: str | None = None  # why no task can run there now (drained, not answering), else None
    answering: bool = True  # False: the scheduler cannot reach the node (down, not responding)


@dataclass(frozen=True)
class Task:
    """One command for one node. ``needs`` are paths that must exist there first (an environment)."""

    node: str
    argv: tuple[str, ...]
    needs: tuple[str, ...] = ()
    gpus: int = 0


@dataclass(frozen=True)
class Batch:
    """The tasks of one fleet command and their bounds (seconds): ``time_limit`` per task once it runs,
    ``queue_wait`` for a task to start. ``workdir`` must be visible to every node (a shared filesystem)."""

    group: str  # the nodes' group (a Slurm partition)
    tasks: tuple[Task, ...]
    workdir: Path
    time_limit: int
    queue_wait: int
    name: str = "cudnn-resolve-fleet"


class Outcome(str, enum.Enum):
    """How a task ended. Only RAN carries the command's own exit code and output."""

    RAN = "ran"
    MISSING_PATH = "missing-path"  # a needed path (the environment) is not visible on the node
    TIMED_OUT = "timed-out"  # ran past the time limit and was stopped
    CANCELLED = "cancelled"  # cancelled by someone else (scancel, an administrator)
    NOT_STARTED = "not-started"  # never started within the queue wait (then cancelled)
    NOT_ANSWERING = "not-answering"  # the node failed or stopped answering
    UNAVAILABLE = "unavailable"  # not submitted: the node is drained or down
    NO_REPORT = "no-report"  # ended without a report (the task program could not run or write)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class TaskResult:
    node: str
    outcome: Outcome
    detail: str = ""  # the scheduler's own words (state, reason, its messages)
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    ran_on: str | None = None  # the node name the task itself saw
    seconds: float | None = None
    job: str | None = None  # the scheduler's id for the task


@dataclass(frozen=True)
class Snapshot:
    """Progress while tasks run: counts by state, for a terminal line."""

    job: str
    total: int
    done: int
    running: int
    pending: int
    elapsed: float
    waiting_for: tuple[str, ...] = field(default=())  # the scheduler's reasons for pending tasks

    def line(self) -> str:
        why = f" ({', '.join(self.waiting_for)})" if self.waiting_for else ""
        return (
            f"job {self.job}: {self.done} of {self.total} done, {self.running} running, "
            f"{self.pending} waiting{why} [{self.elapsed:.0f} s]"
        )


class Runner(Protocol):
    """A scheduler behind ``fleet``."""

    name: str

    def nodes(self, group: str) -> tuple[Node, ...]:
        """Every node of ``group`` with its state; raises SchedulerError (or UsageError for an unknown
        group, naming the groups that exist)."""
        ...

    def run(self, batch: Batch, progress: Callable[[Snapshot], None]) -> tuple[TaskResult, ...]:
        """Run every task on its node, one result per task in order. Returns when each has ended or
        been cancelled for its bounds; on KeyboardInterrupt cancels what it submitted, then re-raises."""
        ...


def unavailable_results(nodes: Sequence[Node]) -> tuple[TaskResult, ...]:
    """The results for nodes nothing was submitted to."""
    return tuple(
        TaskResult(n.name, Outcome.UNAVAILABLE if n.answering else Outcome.NOT_ANSWERING, n.unavailable)
        for n in nodes
        if n.unavailable
    )
