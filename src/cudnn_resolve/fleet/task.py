"""The program every fleet task runs on its node: stdlib only, any scheduler.

A runner writes this file with a ``#!`` line naming the interpreter and the batch's task list in
``TASKS`` (a JSON string written as a Python literal, so no user text is ever parsed as code or shell).
It is called as ``task.py VARIABLE`` where ``VARIABLE`` names the environment variable holding this
task's index (``SLURM_ARRAY_TASK_ID`` under Slurm). It checks the paths the task needs, runs the argument
list (no shell), and prints one line ``MARKER {json}`` with the outcome; the runner reads it back.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

MARKER = "CUDNN-RESOLVE-TASK-RESULT"
TASKS = "[]"  # replaced by the runner: a JSON list of {"argv": [...], "needs": [...], "node_variable": ...}


def run_task(task: dict[str, object]) -> dict[str, object]:
    """Run one task here; the result the runner reads back."""
    variable = str(task.get("node_variable") or "")
    result: dict[str, object] = {"node": os.environ.get(variable) or socket.gethostname()}
    missing = [p for p in task.get("needs", []) if not os.path.exists(p)]  # type: ignore[attr-defined]
    if missing:
        result["missing"] = missing
        return result
    start = time.monotonic()
    argv = [str(a) for a in task["argv"]]  # type: ignore[attr-defined]
    try:
        done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
        result.update(exit_code=done.returncode, stdout=done.stdout, stderr=done.stderr)
    except OSError as exc:
        result.update(exit_code=127, stdout="", stderr=f"cannot run {argv[0]}: {exc}")
    result["seconds"] = round(time.monotonic() - start, 3)
    return result


def main(argv: list[str]) -> int:
    tasks = json.loads(TASKS)
    index = int(os.environ[argv[1]])
    print(MARKER, json.dumps(run_task(tasks[index])), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
