"""The Slurm runner: ``sinfo`` and ``scontrol`` to see a partition, one ``sbatch --wait --array`` per
batch (one task per node), ``scancel`` for leftovers. Every command is an argument list; nothing is
handed to a shell.

How one task lands on each node: the array is submitted held (``--hold``), each task is pinned with
``scontrol update JobId=ID_i ReqNodeList=NODE`` and the array is released (an array of one task is
submitted with ``--nodelist``). Bounds: ``--time`` per task (Slurm stops it, state TIMEOUT); tasks still
pending after the queue wait are cancelled here; ``--deadline`` makes Slurm drop the job even if this
process dies. ``sbatch --wait`` polls at growing intervals (up to 32 s in Slurm 22.05), so the state is
also read with ``scontrol show job`` and the wait ends as soon as every task has ended or reported.
"""

from __future__ import annotations

import json
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UsageError
from . import task as task_program
from .runner import Batch, Node, Outcome, SchedulerError, Snapshot, Task, TaskResult
from .slurm_text import ARRAY, FINAL, RUNNING, SINFO_FORMAT, parse_jobs, parse_sinfo, slurm_time

NODE_VARIABLE = "SLURMD_NODENAME"  # the node name Slurm gives the task (the NodeName, not the hostname)
INDEX_VARIABLE = "SLURM_ARRAY_TASK_ID"
GRACE = 60  # seconds past the bounds before the client stops waiting for Slurm itself


@dataclass
class _Array:
    """One submitted array: the tasks in it (batch positions) and its client-side state."""

    positions: list[int]
    gpus: int
    job: str = ""
    process: subprocess.Popen[str] | None = None
    states: dict[int, dict[str, str]] = field(default_factory=dict)
    cancelled_here: dict[int, str] = field(default_factory=dict)
    reported: set[int] = field(default_factory=set)  # tasks whose report is in their output file
    listed: bool = True  # False once scontrol no longer lists the job (its records aged out)


class SlurmRunner:
    name = "slurm"

    def __init__(self, poll: float = 2.0) -> None:
        self.poll = poll

    def _call(self, argv: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        if shutil.which(argv[0]) is None:
            raise SchedulerError(
                argv[0], "not found on PATH", "Run fleet where Slurm's commands are (a login node)"
            )
        try:
            return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            raise SchedulerError(
                " ".join(argv),
                f"no answer within {timeout:.0f} s",
                "Check that slurmctld is up (scontrol ping)",
            ) from None

    def _checked(self, argv: Sequence[str]) -> str:
        done = self._call(argv)
        if done.returncode != 0:
            problem = (done.stderr or done.stdout).strip().splitlines()
            raise SchedulerError(
                " ".join(argv),
                f"exit {done.returncode}: {problem[0] if problem else 'no message'}",
                "Check the partition and that Slurm answers (scontrol ping)",
            )
        return done.stdout

    def nodes(self, group: str) -> tuple[Node, ...]:
        shown = self._call(["scontrol", "show", "partition", group])
        if shown.returncode != 0:
            names = self._checked(["sinfo", "-h", "-o", "%R"]).split()
            raise UsageError(
                f"no Slurm partition {group!r} (partitions here: {', '.join(sorted(set(names))) or 'none'}). "
                "Name one with --partition"
            )
        nodes = parse_sinfo(self._checked(["sinfo", "-h", "-N", "-p", group, "-o", SINFO_FORMAT]))
        if not nodes:
            raise UsageError(f"Slurm partition {group!r} has no nodes. Name another with --partition")
        return nodes

    def run(self, batch: Batch, progress: Callable[[Snapshot], None]) -> tuple[TaskResult, ...]:
        arrays: list[_Array] = []
        for gpus in sorted({t.gpus for t in batch.tasks}):
            arrays.append(_Array([i for i, t in enumerate(batch.tasks) if t.gpus == gpus], gpus))
        try:
            for array in arrays:
                self._submit(batch, self._write_script(batch, array), array)
            for array in arrays:
                self._pin_and_release(batch, array)
            self._wait(batch, arrays, progress)
        except BaseException:
            self._cancel([a.job for a in arrays if a.job])
            raise
        finally:
            for array in arrays:
                if array.process is not None and array.process.poll() is None:
                    array.process.terminate()  # the waiting client only; the job is Slurm's
                    array.process.wait(timeout=10)
        results: list[TaskResult | None] = [None] * len(batch.tasks)
        for array in arrays:
            for index, position in enumerate(array.positions):
                results[position] = self._result(batch, array, index)
        return tuple(r for r in results if r is not None)

    def _write_script(self, batch: Batch, array: _Array) -> Path:
        """The task program with this array's tasks, in array index order."""
        python = sys.executable
        if not python or " " in python or len(python) > 120:
            raise SchedulerError(
                "sbatch", f"the interpreter path {python!r} cannot start a batch script (#! line)",
                "Install cudnn-resolve in an environment whose path has no spaces",
            )  # fmt: skip
        source = Path(task_program.__file__).read_text(encoding="utf-8")
        tasks = [
            {"argv": list(t.argv), "needs": list(t.needs), "node_variable": NODE_VARIABLE}
            for t in (batch.tasks[p] for p in array.positions)
        ]
        literal = f"TASKS = {json.dumps(tasks)!r}"
        body, count = re.subn(r"^TASKS = .*$", lambda _: literal, source, count=1, flags=re.M)
        assert count == 1, "the task program lost its TASKS line"
        script = batch.workdir / f"task-gpus{array.gpus}.py"
        script.write_text(f"#!{python}\n{body}", encoding="utf-8")
        script.chmod(0o755)
        return script

    def _submit(self, batch: Batch, script: Path, array: _Array) -> None:
        deadline = batch.queue_wait + batch.time_limit + GRACE
        # One task goes straight to its node; several are held until each is pinned to its own.
        single = len(array.positions) == 1
        where = [f"--nodelist={batch.tasks[array.positions[0]].node}"] if single else ["--hold"]
        argv = [
            "sbatch", "--parsable", "--wait", *where, f"--array=0-{len(array.positions) - 1}",
            f"--job-name={batch.name}", f"--partition={batch.group}", "--nodes=1", "--ntasks=1",
            f"--time={slurm_time(batch.time_limit)}", f"--deadline=now+{deadline}", "--no-requeue",
            f"--output={batch.workdir}/%A_%a.out",
            *([f"--gres=gpu:{array.gpus}"] if array.gpus else []),
            str(script), INDEX_VARIABLE,
        ]  # fmt: skip
        if shutil.which("sbatch") is None:
            raise SchedulerError("sbatch", "not found on PATH", "Run fleet where Slurm's commands are")
        # A session of its own: Ctrl-C reaches this process, which cancels the job, not sbatch.
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
        )
        array.process = process
        assert process.stdout is not None
        assert process.stderr is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        line = process.stdout.readline().strip() if ready else ""
        if not line.split(";")[0].isdigit():
            process.kill()
            error = process.stderr.read().strip().splitlines()
            raise SchedulerError(
                "sbatch",
                error[-1] if error else "no job id within 60 s",
                "Check the partition and its limits",
            )
        array.job = line.split(";")[0]

    def _pin_and_release(self, batch: Batch, array: _Array) -> None:
        if len(array.positions) == 1:
            return  # submitted with --nodelist
        for index, position in enumerate(array.positions):
            node = batch.tasks[position].node
            self._checked(["scontrol", "update", f"JobId={array.job}_{index}", f"ReqNodeList={node}"])
        self._checked(["scontrol", "release", array.job])

    def _read_states(self, array: _Array) -> None:
        shown = self._call(["scontrol", "show", "job", "-o", array.job])
        array.listed = shown.returncode == 0
        if array.listed:  # else the records aged out: keep the last states seen
            records = parse_jobs(shown.stdout)
            whole = records.get(ARRAY, {})  # the array's own record: the tasks with none of their own
            array.states = {i: records.get(i, whole) for i in range(len(array.positions))}

    def _wait(self, batch: Batch, arrays: list[_Array], progress: Callable[[Snapshot], None]) -> None:
        start = time.monotonic()
        give_up = start + batch.queue_wait + batch.time_limit + GRACE
        interval = 0.25
        while True:
            for array in arrays:
                self._read_states(array)
            states = [(a, i, a.states.get(i, {})) for a in arrays for i in range(len(a.positions))]
            ended = [self._ended(batch, a, i, s) for a, i, s in states]
            exited = all(a.process is not None and a.process.poll() is not None for a in arrays)
            now = time.monotonic()
            progress(_snapshot(arrays, states, now - start))
            # sbatch --wait exiting is a hint; the states decide, unless Slurm no longer lists the job.
            if all(ended) or (exited and not any(a.listed for a in arrays)):
                return
            if now - start > batch.queue_wait:
                self._cancel_pending(batch, states)
            if now > give_up:
                self._cancel_unfinished(arrays, states)
                return
            time.sleep(interval)
            # Short checks are the common case: 0.25 s apart for the first 30 s, then `poll`.
            interval = 0.25 if now - start < 30 else self.poll

    def _cancel_pending(self, batch: Batch, states: list[tuple[_Array, int, dict[str, str]]]) -> None:
        """Tasks still waiting for a node after the queue wait: cancelled, each with Slurm's reason."""
        for array, index, state in states:
            if state.get("JobState") == "PENDING" and index not in array.cancelled_here:
                reason = state.get("Reason", "")
                array.cancelled_here[index] = (
                    f"did not start within the queue wait ({batch.queue_wait} s; Slurm: {reason}); cancelled"
                )
                self._cancel([f"{array.job}_{index}"])

    def _cancel_unfinished(
        self, arrays: list[_Array], states: list[tuple[_Array, int, dict[str, str]]]
    ) -> None:
        """Past every bound: what Slurm has not ended is cancelled, and the states read once more."""
        for array, index, state in states:
            if state.get("JobState") not in FINAL:
                array.cancelled_here[index] = "Slurm did not end it within its bounds; cancelled"
        self._cancel([a.job for a in arrays])
        for array in arrays:
            self._read_states(array)

    def _ended(self, batch: Batch, array: _Array, index: int, state: dict[str, str]) -> bool:
        """Slurm recorded the end, or the task printed its report (it is done before Slurm says so)."""
        if state.get("JobState") in FINAL or index in array.reported:
            return True
        if _read_output(_output(batch, array, index))[0] is not None:
            array.reported.add(index)
            return True
        return False

    def _cancel(self, jobs: Sequence[str]) -> None:
        if jobs and shutil.which("scancel"):
            subprocess.run(["scancel", *jobs], capture_output=True, timeout=30, check=False)

    def _result(self, batch: Batch, array: _Array, index: int) -> TaskResult:
        task: Task = batch.tasks[array.positions[index]]
        state = array.states.get(index, {})
        job = f"{array.job}_{index}"
        report, messages = _read_output(_output(batch, array, index))
        said = f"; Slurm said: {messages}" if messages else ""
        if report is not None:
            ran_on = str(report.get("node") or "")
            if report.get("missing"):
                missing = ", ".join(map(str, report["missing"]))
                return TaskResult(
                    task.node, Outcome.MISSING_PATH, f"no such path there: {missing}", ran_on=ran_on, job=job
                )
            return TaskResult(
                task.node,
                Outcome.RAN,
                messages,
                int(report.get("exit_code", 1)),
                str(report.get("stdout", "")),
                str(report.get("stderr", "")),
                ran_on,
                float(report.get("seconds") or 0),
                job,
            )
        slurm_state = state.get("JobState", "unknown")
        words = f"Slurm: {slurm_state}, exit {state.get('ExitCode', '?')}, reason {state.get('Reason', '?')}"
        if index in array.cancelled_here:
            outcome = Outcome.NOT_STARTED if slurm_state in ("CANCELLED", "PENDING") else Outcome.CANCELLED
            return TaskResult(task.node, outcome, array.cancelled_here[index] + said, job=job)
        detail = {
            "TIMEOUT": f"ran past its time limit ({state.get('TimeLimit') or slurm_time(batch.time_limit)}) "
            "and was stopped",
            "CANCELLED": "cancelled by someone else (scancel or an administrator)",
            "PREEMPTED": "preempted by another job",
            "DEADLINE": "did not start before its deadline",
            "NODE_FAIL": "the node failed or stopped answering while the task ran",
            "BOOT_FAIL": "the node failed to boot for the task",
        }.get(slurm_state, "ended without a report (the task program could not run or write its output)")
        outcome = {
            "TIMEOUT": Outcome.TIMED_OUT,
            "CANCELLED": Outcome.CANCELLED,
            "PREEMPTED": Outcome.CANCELLED,
            "DEADLINE": Outcome.NOT_STARTED,
            "NODE_FAIL": Outcome.NOT_ANSWERING,
            "BOOT_FAIL": Outcome.NOT_ANSWERING,
            "PENDING": Outcome.NOT_STARTED,
        }.get(slurm_state, Outcome.NO_REPORT)
        return TaskResult(task.node, outcome, f"{detail} ({words}){said}", job=job)


def _snapshot(
    arrays: Sequence[_Array], states: Sequence[tuple[_Array, int, dict[str, str]]], elapsed: float
) -> Snapshot:
    names = [s.get("JobState", "PENDING") for _, _, s in states]
    reasons = sorted(
        {s.get("Reason", "") for _, _, s in states if s.get("JobState") == "PENDING"} - {"", "None"}
    )
    return Snapshot(
        ",".join(a.job for a in arrays),
        len(states),
        sum(n in FINAL for n in names),
        sum(n in RUNNING for n in names),
        sum(n == "PENDING" for n in names),
        elapsed,
        tuple(reasons),
    )


def _output(batch: Batch, array: _Array, index: int) -> Path:
    return batch.workdir / f"{array.job}_{index}.out"  # sbatch --output=%A_%a.out


def _read_output(path: Path) -> tuple[dict[str, Any] | None, str]:
    """The task program's report and whatever else was written (Slurm's own messages), if readable."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None, ""
    report = None
    other = []
    for line in text.splitlines():
        if line.startswith(task_program.MARKER + " "):
            report = json.loads(line[len(task_program.MARKER) + 1 :])
        elif line.strip():
            other.append(line.strip())
    return report, " | ".join(other[-5:])
