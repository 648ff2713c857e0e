"""The fleet's parts that need no cluster: reading Slurm's output (recorded, tests/fixtures/slurm/), the
task program each node runs, and folding nodes into kinds. The real cluster is tests/test_fleet.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cudnn_resolve.fleet import Outcome, TaskResult
from cudnn_resolve.fleet.check import node_check
from cudnn_resolve.fleet.doctor import fold_kinds
from cudnn_resolve.fleet.runner import unavailable_results
from cudnn_resolve.fleet.slurm_text import ARRAY, parse_jobs, parse_sinfo, slurm_time
from cudnn_resolve.fleet.task import MARKER, run_task
from cudnn_resolve.hostfile import HostFacts, HostGpu
from cudnn_resolve.versions import ComputeCapability, DriverVersion, Platform

SLURM = Path(__file__).parent / "fixtures" / "slurm"


def test_sinfo_states_and_gpus() -> None:
    nodes = {n.name: n for n in parse_sinfo((SLURM / "sinfo-nodes.txt").read_text())}
    assert list(nodes) == ["ghost", "vm", "n01", "n02", "n03", "n04"]  # n04 listed twice, kept once
    assert nodes["vm"].unavailable is None
    assert nodes["vm"].gpus == 1
    assert nodes["n01"].gpus == 4
    assert nodes["n01"].answering
    assert nodes["n01"].unavailable == "drained by an administrator: bad GPU 3 (sinfo state drained)"
    assert nodes["n02"].gpus == 3
    assert not nodes["n02"].answering
    assert "Not responding" in str(nodes["n02"].unavailable)
    assert not nodes["n03"].answering  # idle*: not responding, Slurm gives it no work
    assert nodes["n04"].gpus == 8
    assert nodes["n04"].unavailable is None
    assert "has not registered" in str(nodes["ghost"].unavailable)
    codes = {r.node: r.outcome for r in unavailable_results(list(nodes.values()))}
    assert codes == {
        "ghost": Outcome.NOT_ANSWERING,
        "n01": Outcome.UNAVAILABLE,
        "n02": Outcome.NOT_ANSWERING,
        "n03": Outcome.NOT_ANSWERING,
    }


def test_scontrol_records_by_array_index() -> None:
    held = parse_jobs((SLURM / "scontrol-show-job-held.txt").read_text())
    assert sorted(held) == [0, 1, 2]
    assert held[0]["JobState"] == "PENDING"
    assert held[0]["Reason"] == "JobHeldUser"
    assert held[0]["ReqNodeList"] == "vm"  # the pinned task, split from the array
    assert held[1]["ReqNodeList"] == "(null)"
    assert held[1] is held[2]  # one record for the tasks not yet split
    failed = parse_jobs((SLURM / "scontrol-show-job-failed.txt").read_text())
    assert {i: f["JobState"] for i, f in failed.items()} == {0: "FAILED", 1: "FAILED", 2: "FAILED"}
    assert failed[1]["ExitCode"] == "3:0"
    assert failed[0]["Command"] == "(null)"
    # a pending task cancelled before it was split from its array: the record names no task index
    cancelled = parse_jobs((SLURM / "scontrol-show-job-cancelled-pending.txt").read_text())
    assert list(cancelled) == [ARRAY]
    assert cancelled[ARRAY]["JobState"] == "CANCELLED"
    assert cancelled[ARRAY]["Reason"] == "Resources"


@pytest.mark.parametrize(("seconds", "text"), [(10, "0:10"), (60, "1:00"), (600, "10:00"), (3725, "62:05")])
def test_slurm_time(seconds: int, text: str) -> None:
    assert slurm_time(seconds) == text


def test_the_task_program_checks_paths_then_runs_an_argument_list(tmp_path: Path) -> None:
    missing = run_task({"argv": ["true"], "needs": [str(tmp_path / "nope")], "node_variable": "NOPE"})
    assert missing["missing"] == [str(tmp_path / "nope")]
    assert "exit_code" not in missing
    ran = run_task({"argv": [sys.executable, "-c", "print('a b; $(x)')"], "needs": [str(tmp_path)]})
    assert ran["exit_code"] == 0
    assert ran["stdout"] == "a b; $(x)\n"
    absent = run_task({"argv": [str(tmp_path / "no-such-program")], "needs": []})
    assert absent["exit_code"] == 127
    assert "cannot run" in str(absent["stderr"])


def test_the_task_program_runs_as_a_script(tmp_path: Path) -> None:
    from cudnn_resolve.fleet import task

    source = Path(task.__file__).read_text()
    tasks = json.dumps([{"argv": [sys.executable, "-c", "print(42)"], "needs": [], "node_variable": "NODE"}])
    script = tmp_path / "task.py"
    script.write_text(source.replace('TASKS = "[]"', f"TASKS = {tasks!r}", 1))
    env = {"INDEX": "0", "NODE": "n07", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, str(script), "INDEX"], capture_output=True, text=True, env=env, check=True
    )
    marker, _, body = done.stdout.strip().partition(" ")
    assert marker == MARKER
    report = json.loads(body)
    assert report["node"] == "n07"
    assert report["stdout"] == "42\n"


def test_nodes_fold_into_kinds() -> None:
    a100 = HostFacts(
        Platform.LINUX_64, DriverVersion.parse("535.104.05"), (HostGpu(ComputeCapability(8, 0), "A100"),)
    )
    h100 = HostFacts(
        Platform.LINUX_64, DriverVersion.parse("570.86.15"), (HostGpu(ComputeCapability(9, 0), "H100"),)
    )
    kinds = fold_kinds([("gpu03", a100), ("gpu01", h100), ("gpu02", a100)])
    assert [(k.name, k.nodes) for k in kinds] == [("gpu03", ("gpu02", "gpu03")), ("gpu01", ("gpu01",))]
    assert kinds[0].label == "gpu03"
    assert kinds[0].kind == a100.kind


def test_a_check_that_refused_is_not_checked() -> None:
    error = {"schema": 1, "error": {"type": "NoInterpreterError", "message": "no Python interpreter at /x"}}
    row = node_check(TaskResult("n1", Outcome.RAN, exit_code=2, stdout=json.dumps(error)), "/x")
    assert row.verdict == "NOT CHECKED"
    assert row.code == "check-error"
    assert row.messages == ("check: no Python interpreter at /x",)
    garbled = node_check(TaskResult("n1", Outcome.RAN, exit_code=1, stderr="Killed"), "/x")
    assert garbled.messages == ("check exited 1 without a report: Killed",)
