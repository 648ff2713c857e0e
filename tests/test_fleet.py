"""fleet doctor and fleet check against a real Slurm (tests/slurm_cluster.py): one node with a fake GPU,
and a configured node that never answers. Every failure mode is made for real: a drained node, an
environment missing on the node, a task past its time limit, a job cancelled with scancel, a task that
cannot start (its GPU taken by another job), Ctrl-C. The slow environment is a prefix whose python
sleeps: what is under test is how Slurm's ending of it is reported.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cudnn_resolve import load_host_files

from .conftest import Run
from .slurm_cluster import ensure_cluster, jobs_named, wait_for_job, wait_idle

CHECK_JOB = "cudnn-resolve-fleet-check"


@pytest.fixture(scope="module")
def node() -> str:
    return ensure_cluster()


@pytest.fixture(scope="module")
def bare_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real virtual environment with no framework."""
    prefix = tmp_path_factory.mktemp("fleet") / "bare"
    subprocess.run([sys.executable, "-m", "uv", "venv", "-q", str(prefix)], check=True, timeout=120)
    return prefix


@pytest.fixture
def slow_env(tmp_path: Path) -> Path:
    """An environment whose interpreter takes five minutes to answer."""
    prefix = tmp_path / "slow"
    (prefix / "bin").mkdir(parents=True)
    python = prefix / "bin" / "python"
    python.write_text("#!/bin/sh\nsleep 300\n")
    python.chmod(0o755)
    return prefix


def _fleet(cli: Callable[..., Run], tmp_path: Path, *args: str) -> Run:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    run = cli("fleet", *args, "--workdir", str(workdir), "--json")
    assert "Traceback" not in run.err, run.err
    assert list(workdir.iterdir()) == [], "the work folder was not removed"
    return run


def _start(workdir: Path, *args: str) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "cudnn_resolve", "fleet", *args, "--workdir", str(workdir), "--json"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _row(body: dict[str, Any], node: str) -> dict[str, Any]:
    rows = {r["node"]: r for r in body["nodes"]}
    return rows[node]  # type: ignore[no-any-return]


def test_fleet_doctor_writes_the_host_file_pins_reads(
    cli: Callable[..., Run], node: str, tmp_path: Path
) -> None:
    out = tmp_path / "hosts.json"
    run = _fleet(cli, tmp_path, "doctor", "--partition", "debug", "-o", str(out))
    assert run.code == 0, run.err
    body = run.json()
    assert body["nodes"] == [node]
    assert body["findings"] == []
    (kind,) = load_host_files([out])
    assert kind.nodes == (node,)
    here = cli("doctor", "--json", "--no-conv").json()["host"]  # the node is this machine
    assert kind.driver is None
    assert here["driver"] is None
    assert [g.compute_capability for g in kind.gpus] == [g["compute_capability"] for g in here["gpus"]]
    pins = cli("pins", "tf=2.10", "--host", str(out), "--json")
    assert pins.code == 0, pins.err
    assert pins.json()["hosts"][0]["nodes"] == [node]


def test_fleet_doctor_names_the_node_that_does_not_answer(
    cli: Callable[..., Run], node: str, tmp_path: Path
) -> None:
    out = tmp_path / "hosts.json"
    run = _fleet(cli, tmp_path, "doctor", "--partition", "fleet", "-o", str(out))
    out_kinds = load_host_files([out])
    assert run.code == 1
    body = run.json()
    assert sorted(body["nodes"]) == sorted(["ghost", node])
    (finding,) = body["findings"]
    assert finding["node"] == "ghost"
    assert finding["code"] == "not-answering"
    assert "not answering" in finding["message"]
    assert [k.nodes for k in out_kinds] == [(node,)]  # the nodes that answered are still written


def test_fleet_check_agrees_with_check_on_the_node(
    cli: Callable[..., Run], node: str, bare_env: Path, tmp_path: Path
) -> None:
    local = cli("check", "-p", str(bare_env), "--json")
    run = _fleet(cli, tmp_path, "check", "-p", str(bare_env), "--partition", "debug")
    body = run.json()
    row = _row(body, node)
    assert row["verdict"] == ("PASS" if local.code == 0 else "FAIL")
    assert run.code == local.code
    assert body["passed"] is (local.code == 0)
    assert row["check"]["python"]["executable"] == str(bare_env / "bin" / "python")
    assert row["loaded_cudnn"] == "none"
    # the partition's nodes have a GPU (fake): each task asked for one and Slurm gave it
    assert row["check"]["probe"]["env"]["CUDA_VISIBLE_DEVICES"] == "0"


def test_an_environment_missing_on_the_node(cli: Callable[..., Run], node: str, tmp_path: Path) -> None:
    missing = tmp_path / "not-on-the-node"
    run = _fleet(cli, tmp_path, "check", "-p", str(missing), "--partition", "debug")
    assert run.code == 1
    row = _row(run.json(), node)
    assert row["verdict"] == "NOT CHECKED"
    assert row["code"] == "missing-path"
    assert f"the environment {missing} is not visible on the node" in row["messages"][0]


def test_per_kind_checks_one_node_of_each_kind_and_names_the_rest(
    cli: Callable[..., Run], node: str, bare_env: Path, tmp_path: Path
) -> None:
    run = _fleet(cli, tmp_path, "check", "-p", str(bare_env), "--partition", "fleet", "--per-kind")
    assert run.code == 1  # ghost could not be checked
    body = run.json()
    assert _row(body, node)["verdict"] in ("PASS", "FAIL")
    ghost = _row(body, "ghost")
    assert ghost["verdict"] == "NOT CHECKED"
    assert ghost["code"] == "not-answering"


@pytest.fixture
def drained(node: str) -> Iterator[str]:
    reason = "cudnn-resolve test drain"
    subprocess.run(
        ["scontrol", "update", f"NodeName={node}", "State=DRAIN", f"Reason={reason}"], check=True, timeout=30
    )
    try:
        yield reason
    finally:
        subprocess.run(["scontrol", "update", f"NodeName={node}", "State=RESUME"], check=True, timeout=30)
        wait_idle(node)


def test_a_drained_node_is_named_with_its_reason(
    cli: Callable[..., Run], node: str, drained: str, bare_env: Path, tmp_path: Path
) -> None:
    run = _fleet(cli, tmp_path, "check", "-p", str(bare_env), "--partition", "debug")
    assert run.code == 1
    row = _row(run.json(), node)
    assert row["code"] == "unavailable"
    assert "drained" in row["messages"][0]
    assert drained in row["messages"][0]
    assert jobs_named(CHECK_JOB) == []  # nothing was submitted to it


def test_a_task_past_its_time_limit(
    cli: Callable[..., Run], node: str, slow_env: Path, tmp_path: Path
) -> None:
    # Slurm rounds the limit up to a minute and enforces it within ~30 s more.
    start = time.monotonic()
    run = _fleet(cli, tmp_path, "check", "-p", str(slow_env), "--partition", "debug", "--time", "0:10")
    assert run.code == 1
    row = _row(run.json(), node)
    assert row["code"] == "timed-out"
    assert "ran past its time limit" in row["messages"][0]
    assert "TIMEOUT" in row["messages"][0]
    assert time.monotonic() - start < 180


def test_a_job_cancelled_with_scancel(node: str, slow_env: Path, tmp_path: Path) -> None:
    process = _start(tmp_path, "check", "-p", str(slow_env), "--partition", "debug")
    job = wait_for_job(CHECK_JOB)
    subprocess.run(["scancel", job], check=True, timeout=30)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1, err
    row = _row(json.loads(out), node)
    assert row["code"] == "cancelled"
    assert "cancelled by someone else" in row["messages"][0]


def test_ctrl_c_cancels_the_job(node: str, slow_env: Path, tmp_path: Path) -> None:
    process = _start(tmp_path, "check", "-p", str(slow_env), "--partition", "debug")
    job = wait_for_job(CHECK_JOB)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted" in err
    assert "Traceback" not in err
    # scancel was sent before the process exited; Slurm ends the job on its own time
    deadline = time.monotonic() + 30
    while jobs_named(CHECK_JOB) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert jobs_named(CHECK_JOB) == []
    shown = subprocess.run(
        ["scontrol", "show", "job", "-o", job], capture_output=True, text=True, check=False
    )
    assert "JobState=CANCELLED" in shown.stdout
    assert list(tmp_path.glob(".cudnn-resolve-fleet-*")) == []


def test_a_task_that_cannot_start_is_cancelled_after_the_queue_wait(
    cli: Callable[..., Run], node: str, bare_env: Path, tmp_path: Path
) -> None:
    blocker = subprocess.run(
        [
            "sbatch",
            "--parsable",
            "-p",
            "debug",
            "--gres=gpu:1",
            "--time=5",
            "-o",
            "/dev/null",
            "--wrap",
            "sleep 300",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.strip()
    try:
        wait_for_job("wrap")
        start = time.monotonic()
        run = _fleet(
            cli, tmp_path, "check", "-p", str(bare_env), "--partition", "debug", "--queue-wait", "0:05"
        )
        elapsed = time.monotonic() - start
    finally:
        subprocess.run(["scancel", blocker], check=False, timeout=30)
    assert run.code == 1
    row = _row(run.json(), node)
    assert row["code"] == "not-started"
    assert "did not start within the queue wait" in row["messages"][0]
    assert "Resources" in row["messages"][0]
    assert jobs_named(CHECK_JOB) == []
    assert elapsed < 30  # the cancelled task ends the wait, not the outer bound (11 minutes)


def test_an_unknown_partition_is_bad_input(cli: Callable[..., Run], node: str, tmp_path: Path) -> None:
    run = cli("fleet", "doctor", "--partition", "no-such-partition", "--workdir", str(tmp_path))
    assert run.code == 2
    assert "no Slurm partition 'no-such-partition'" in run.err
    assert "debug" in run.err
    assert list(tmp_path.iterdir()) == []


def test_without_slurm_on_path(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": str(tmp_path)}
    argv = [
        sys.executable,
        "-m",
        "cudnn_resolve",
        "fleet",
        "doctor",
        "--partition",
        "gpu",
        "--workdir",
        str(tmp_path),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert done.returncode == 2
    assert "scontrol: not found on PATH" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_runner_pins_each_task_of_a_held_array(node: str, tmp_path: Path) -> None:
    from cudnn_resolve.fleet import Batch, Outcome, SlurmRunner, Snapshot, Task

    say = [sys.executable, "-c", "import os, sys; print(sys.argv[1], os.environ.get('CUDA_VISIBLE_DEVICES'))"]
    tasks = (
        Task(node, (*say, "first")),
        Task(node, (*say, "second; $(rm -rf /)"), gpus=1),  # arguments are never read by a shell
        Task(node, (*say, "third")),
    )
    seen: list[Snapshot] = []
    results = SlurmRunner().run(Batch("debug", tasks, tmp_path, 60, 60, "cudnn-resolve-test"), seen.append)
    assert [r.outcome for r in results] == [Outcome.RAN] * 3
    assert [r.stdout for r in results] == ["first None\n", "second; $(rm -rf /) 0\n", "third None\n"]
    assert {r.ran_on for r in results} == {node}
    assert seen
    assert seen[-1].total == 3
    for result in (results[0], results[2]):  # the array of two, held and pinned task by task
        shown = subprocess.run(
            ["scontrol", "show", "job", "-o", str(result.job)], capture_output=True, text=True, check=True
        ).stdout
        assert f"ReqNodeList={node}" in shown


@pytest.mark.e2e
def test_fleet_check_of_a_real_torch_environment(cli: Callable[..., Run], node: str, tmp_path: Path) -> None:
    from .e2e_envs import TORCH, Workspace

    space = Workspace()
    try:
        prefix, _ = space.create("torch", TORCH)
        run = _fleet(cli, tmp_path, "check", "-p", str(prefix), "--partition", "debug")
    finally:
        space.close()
    assert run.code == 0, run.out
    row = _row(run.json(), node)
    assert (row["verdict"], row["loaded_cudnn"], row["expected_cudnn"]) == ("PASS", "9.24.0", "9.24.0.43")
    assert row["conv"] == "cpu ok"  # the fake GPU has no driver behind it
    assert row["check"]["frameworks"]["torch"]["version"].startswith("2.14.1")
