"""The real single-node Slurm the fleet tests run against, started by .ci/slurm-up (shared/slurm's scripts).

Partition "debug" holds this machine's node with one fake GPU (a gres backed by /dev/null: GPU requests
are scheduled and get CUDA_VISIBLE_DEVICES); partition "fleet" adds "ghost", a configured node whose
slurmd never starts. .ci/run starts the cluster and sets CUDNN_RESOLVE_REQUIRE_SLURM=1, so there a
cluster that cannot start fails the tests; elsewhere they are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SLURM_UP = ROOT / ".ci" / "slurm-up"


def _run(*argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=False)


def _ready() -> bool:
    if shutil.which("sinfo") is None:
        return False
    if "is UP" not in _run("scontrol", "ping").stdout:
        return False
    return "ghost" in _run("sinfo", "-h", "-N", "-p", "fleet", "-o", "%N").stdout


def ensure_cluster() -> str:
    """This machine's node name, once the cluster is up (started here if need be)."""
    if not _ready():
        started = _run(str(SLURM_UP), "start", timeout=300)
        if not _ready():
            why = f".ci/slurm-up failed: {(started.stderr or started.stdout).strip()[-600:]}"
            if os.environ.get("CUDNN_RESOLVE_REQUIRE_SLURM") == "1":
                pytest.fail(why)
            pytest.skip(why)
    return _run("sinfo", "-h", "-N", "-p", "debug", "-o", "%N").stdout.split()[0]


def wait_idle(node: str, seconds: float = 60) -> None:
    """Until the node takes jobs again (after a resume, an idle node shows "idle*" for a moment)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = _run("sinfo", "-h", "-n", node, "-p", "debug", "-o", "%T").stdout.strip()
        if state in ("idle", "mixed"):
            return
        time.sleep(0.5)
    raise AssertionError(f"node {node} did not become idle: {state}")


def jobs_named(name: str) -> list[tuple[str, str]]:
    """(job id, state) of the queued or running jobs called ``name``."""
    out = _run("squeue", "-h", "-n", name, "-o", "%i %T").stdout
    return [tuple(line.split()[:2]) for line in out.splitlines() if line.strip()]  # type: ignore[misc]


def wait_for_job(name: str, state: str = "RUNNING", seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for job, job_state in jobs_named(name):
            if job_state == state:
                return job
        time.sleep(0.25)
    raise AssertionError(f"no {state} job named {name}: {jobs_named(name)}")
