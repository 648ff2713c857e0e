"""What every benchmark here measures the same way: whole commands, checked, alternated, repeated.

A benchmark compares our command with a peer measured in the same run. To keep the comparison honest:
- every run's exit code and output are checked (a failed run is an error, never a timing);
- the two commands alternate, and which goes first alternates too (run order alone can favour one);
- one warm-up round precedes the timed rounds where caches matter (``warmup``), and a ``setup`` step
  before each run can reset state (a fresh directory, an empty cache) to measure a cold start;
- results are the minimum and the median of the timed runs, with the ratio of medians.

Peak memory comes from GNU time's %M where it is installed: rusage read by this (large) process would
include the memory of the fork that precedes exec.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

GNU_TIME = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)


class BenchmarkFailed(RuntimeError):
    """A measured command failed or printed the wrong thing: its time would be meaningless."""


@dataclass(frozen=True)
class Command:
    """One command to time. ``expect`` checks (stdout + stderr) and raises or returns False on a wrong
    result; ``setup`` runs untimed before every run (fresh directories, emptied caches)."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] | None = None
    codes: frozenset[int] = frozenset({0})
    expect: Callable[[str], bool] | None = None
    setup: Callable[[], None] | None = None


@dataclass
class Samples:
    command: Command
    seconds: list[float] = field(default_factory=list)
    peaks_mib: list[float] = field(default_factory=list)

    @property
    def minimum(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def peak_mib(self) -> float | None:
        return max(self.peaks_mib) if self.peaks_mib else None


def run_once(command: Command) -> tuple[float, float | None]:
    """Wall time and peak RSS (MiB) of one checked run of ``command``."""
    if command.setup is not None:
        command.setup()
    with tempfile.TemporaryDirectory(prefix="cudnn-resolve-bench-") as tmp:
        peak_file = Path(tmp, "peak")
        argv = [GNU_TIME, "-f", "%M", "-o", str(peak_file), *command.argv] if GNU_TIME else list(command.argv)
        start = time.perf_counter()
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=dict(command.env) if command.env is not None else None,
            check=False,
        )
        elapsed = time.perf_counter() - start
        lines = peak_file.read_text().split() if peak_file.exists() else []
    peak = int(lines[-1]) / 1024 if lines and lines[-1].isdigit() else None
    if proc.returncode not in command.codes:
        raise BenchmarkFailed(
            f"{command.name}: exit {proc.returncode} (expected {sorted(command.codes)}): "
            f"{(proc.stderr or proc.stdout).strip()[-400:]}"
        )
    if command.expect is not None and not command.expect(proc.stdout + proc.stderr):
        output = (proc.stdout + proc.stderr).strip()[-400:]
        raise BenchmarkFailed(f"{command.name}: unexpected output: {output}")
    return elapsed, peak


def measure(commands: Sequence[Command], rounds: int, warmup: int = 1) -> list[Samples]:
    """Run each command ``warmup`` untimed rounds, then ``rounds`` timed rounds; the order of the
    commands rotates every round so none always runs first (or right after another's cache fill)."""
    results = [Samples(c) for c in commands]
    for round_index in range(warmup + rounds):
        shift = round_index % len(commands)
        for i in [*range(shift, len(commands)), *range(shift)]:
            seconds, peak = run_once(commands[i])
            if round_index >= warmup:
                results[i].seconds.append(seconds)
                if peak is not None:
                    results[i].peaks_mib.append(peak)
    return results


@dataclass(frozen=True)
class Row:
    """One line of a benchmark table: a measured command, and optionally the peer it is compared with."""

    name: str
    ours: Samples
    peer: Samples | None = None
    target: str = ""

    @property
    def ratio(self) -> float | None:
        return None if self.peer is None else self.ours.median / self.peer.median

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "min_s": self.ours.minimum,
            "median_s": self.ours.median,
            "runs": len(self.ours.seconds),
            "peak_mib": self.ours.peak_mib,
            "peer": None if self.peer is None else self.peer.command.name,
            "peer_min_s": None if self.peer is None else self.peer.minimum,
            "peer_median_s": None if self.peer is None else self.peer.median,
            "ratio_of_medians": self.ratio,
            "target": self.target,
        }


def _time_text(seconds: float, milliseconds: bool) -> str:
    return f"{seconds * 1000:.1f} ms" if milliseconds else f"{seconds:.2f} s"


def print_rows(rows: Sequence[Row], *, milliseconds: bool, as_json: bool = False) -> None:
    """The table (Markdown, so docs/benchmarks.md can take it as printed), or JSON."""
    if as_json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
        return
    print("| benchmark | min | median | runs | vs | peer median | ratio | target | peak MiB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        peer = r.peer
        print(
            f"| {r.name} | {_time_text(r.ours.minimum, milliseconds)} | "
            f"{_time_text(r.ours.median, milliseconds)} | {len(r.ours.seconds)} | "
            f"{peer.command.name if peer else ''} | "
            f"{_time_text(peer.median, milliseconds) if peer else ''} | "
            f"{f'{r.ratio:.2f}x' if r.ratio is not None else ''} | {r.target} | "
            f"{f'{r.ours.peak_mib:.0f}' if r.ours.peak_mib else ''} |"
        )
