"""Every node of a cluster, through its scheduler: host facts (fleet doctor) and proof (fleet check)."""

from .check import CheckReport, NodeCheck, fleet_check
from .doctor import DoctorReport, NodeFinding, fleet_doctor
from .runner import Batch, Node, Outcome, Runner, SchedulerError, Snapshot, Task, TaskResult
from .slurm import SlurmRunner

__all__ = [
    "Batch",
    "CheckReport",
    "DoctorReport",
    "Node",
    "NodeCheck",
    "NodeFinding",
    "Outcome",
    "Runner",
    "SchedulerError",
    "SlurmRunner",
    "Snapshot",
    "Task",
    "TaskResult",
    "fleet_check",
    "fleet_doctor",
]
