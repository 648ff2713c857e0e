"""Reading Slurm's own output: ``sinfo`` node lines and ``scontrol show job -o`` records (Slurm 22.05;
recorded samples in tests/fixtures/slurm/)."""

from __future__ import annotations

import re

from .runner import Node

SINFO_FORMAT = "%N|%T|%G|%E"
# States in which a node takes no new task (sinfo(1), NODE STATE CODES). The "*" suffix means the
# node is not responding: Slurm allocates it no new work either.
_DRAINED = {"drained", "draining", "drain"}
_DOWN = {"down", "fail", "failing", "maint", "unknown", "future", "inval", "reboot_issued", "reboot"}
FINAL = {
    "COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY",
    "PREEMPTED", "SPECIAL_EXIT", "REVOKED",
}  # fmt: skip
RUNNING = {"RUNNING", "COMPLETING", "CONFIGURING", "STAGE_OUT", "SIGNALING", "RESIZING"}
ARRAY = -1  # parse_jobs' key for the array's own record
_NO_VAL_1 = 4294967294  # Slurm's NO_VAL - 1: "no task index"
_GRES_GPU = re.compile(r"(?:^|,)gpu(?::[^:,(]+)?:(\d+)")
_FIELD = re.compile(r"(?:^|\s)([A-Za-z][\w:/]*)=")


def parse_sinfo(text: str) -> tuple[Node, ...]:
    """Nodes from ``sinfo -h -N -o SINFO_FORMAT``, each once, with why none can take a task."""
    nodes: dict[str, Node] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, state, gres, reason = [*line.split("|"), "", "", ""][:4]
        base = state.rstrip("*~#!%$@^-+").lower()
        gpus = sum(int(n) for n in _GRES_GPU.findall(gres))
        why, answering = None, False
        said = f": {reason}" if reason and reason != "none" else ""
        if base in _DRAINED:
            why, answering = f"drained by an administrator{said} (sinfo state {state})", True
        elif base == "unknown":
            why = f"not answering: it has not registered with the controller (sinfo state {state})"
        elif base in _DOWN or state.endswith("*"):
            why = f"not answering{said} (sinfo state {state})"
        nodes.setdefault(name, Node(name, state, gpus, why, answering or why is None))
    return tuple(nodes.values())


def parse_jobs(text: str) -> dict[int, dict[str, str]]:
    """Array task index -> fields, from ``scontrol show job -o ID`` (one line per job record).

    A record not yet split from its array covers several indexes ("ArrayTaskId=2-5,7"): each gets it.
    The array's own record once no task of it is left, e.g. a pending task cancelled before it was ever
    split, shows no index (Slurm 22.05 prints NO_VAL-1, 4294967294): it is filed under ``ARRAY``.
    """
    tasks: dict[int, dict[str, str]] = {}
    for line in text.splitlines():
        keys = list(_FIELD.finditer(line))
        fields = {
            m.group(1): line[m.end() : keys[i + 1].start() if i + 1 < len(keys) else len(line)].strip()
            for i, m in enumerate(keys)
        }
        for index in _indexes(fields.get("ArrayTaskId", "")):
            tasks[ARRAY if index >= _NO_VAL_1 else index] = fields
    return tasks


def _indexes(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split("%", maxsplit=1)[0].split(","):
        low, _, high = part.partition("-")
        if low.isdigit():
            out += range(int(low), int(high or low) + 1)
    return out


def slurm_time(seconds: int) -> str:
    """``M:SS``, a form sbatch --time accepts (Slurm rounds limits up to whole minutes)."""
    return f"{seconds // 60}:{seconds % 60:02d}"
