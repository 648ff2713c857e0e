"""Benchmark `fleet check` against a bare `sbatch --wait --array` of the same `check` command.

Usage: python benchmarks/bench_fleet.py [--partition debug] [--prefix ENV] [--repeats 7]

Both run `python -m cudnn_resolve check -p ENV --json` once per node of the partition, a GPU per task
where the nodes have one: `fleet check` through its own submission (held array, tasks pinned to nodes,
release, progress polling, reports read back), the bare way as one `sbatch --wait --array=0-N-1` with
the command as its script. One warm-up run of each, then the two alternate (which goes first swaps every
repeat); every run's exit code must be the one `check -p ENV` gives on this machine, or the benchmark
fails. Without --prefix a bare virtual environment is made in a temporary directory. Needs a running
Slurm (.ci/slurm-up starts the test cluster).
"""

from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

CLI = [sys.executable, "-m", "cudnn_resolve"]


def _timed(argv: Sequence[str], expected: int, what: str) -> float:
    start = time.perf_counter()
    done = subprocess.run(list(argv), capture_output=True, text=True, check=False, timeout=900)
    elapsed = time.perf_counter() - start
    if done.returncode != expected:
        raise SystemExit(f"{what}: exit {done.returncode}, expected {expected}\n{done.stderr[-2000:]}")
    return elapsed


def _nodes(partition: str) -> list[tuple[str, bool]]:
    out = subprocess.run(
        ["sinfo", "-h", "-N", "-p", partition, "-t", "idle,mixed,allocated", "-o", "%N|%G"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted({(n, "gpu" in g) for n, g in (line.split("|") for line in out.split())})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--partition", default="debug")
    parser.add_argument("--prefix", type=Path, help="the environment to check (default: a bare venv)")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    nodes = _nodes(args.partition)
    gpus = ["--gres=gpu:1"] if nodes and all(g for _, g in nodes) else []
    with tempfile.TemporaryDirectory(prefix="cudnn-resolve-bench-fleet-", dir=Path.cwd()) as tmp:
        root = Path(tmp)
        prefix = args.prefix
        if prefix is None:
            prefix = root / "env"
            subprocess.run([sys.executable, "-m", "uv", "venv", "-q", str(prefix)], check=True)
        prefix = prefix.absolute()
        check = [*CLI, "check", "-p", str(prefix), "--json"]
        expected = subprocess.run(check, capture_output=True, check=False).returncode
        script = root / "check.sh"
        script.write_text(f"#!/bin/sh\nexec {shlex.join(check)}\n")
        bare = [
            "sbatch", "--wait", "--quiet", f"--array=0-{len(nodes) - 1}", f"--partition={args.partition}",
            "--nodes=1", "--ntasks=1", "--time=10", f"--output={root}/bare-%A_%a.out", *gpus, str(script),
        ]  # fmt: skip
        fleet = [
            *CLI,
            "fleet",
            "check",
            "-p",
            str(prefix),
            "--partition",
            args.partition,
            "--workdir",
            str(root),
        ]
        fleet += ["--json"]
        runs: dict[str, list[float]] = {"fleet": [], "bare": []}
        commands = {"fleet": fleet, "bare": bare}
        for name in ("fleet", "bare"):  # warm-up: page cache, Slurm's first scheduling pass
            _timed(commands[name], expected, f"warm-up {name}")
        for repeat in range(args.repeats):
            order = ("fleet", "bare") if repeat % 2 == 0 else ("bare", "fleet")
            for name in order:
                runs[name].append(_timed(commands[name], expected, f"{name} run {repeat + 1}"))
    fleet_min, bare_min = min(runs["fleet"]), min(runs["bare"])
    fleet_med, bare_med = statistics.median(runs["fleet"]), statistics.median(runs["bare"])
    print(f"partition {args.partition}: {len(nodes)} node(s); check exit code {expected} on every run")
    print(f"{'':42} {'min':>8} {'median':>8}")
    print(f"{'bare sbatch --wait --array of check':42} {bare_min:8.2f} {bare_med:8.2f} s")
    print(f"{'cudnn-resolve fleet check':42} {fleet_min:8.2f} {fleet_med:8.2f} s")
    print(
        f"{'fleet check - bare':42} {fleet_min - bare_min:+8.2f} {fleet_med - bare_med:+8.2f} s "
        f"({fleet_med / bare_med:.2f}x median, {args.repeats} repeats each)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
