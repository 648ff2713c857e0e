"""Benchmark `fleet check` against a bare `sbatch --wait --array` of the same `check` command.

Usage: python benchmarks/bench_fleet.py [--partition debug] [--prefix ENV] [--repeats 7]

Both run `python -m cudnn_resolve check -p ENV --json` once per node of the partition, a GPU per task
where the nodes have one: `fleet check` through its own submission (held array, tasks pinned to nodes,
release, progress polling, reports read back), the bare way as one `sbatch --wait --array=0-N-1` with
the command as its script. Measured with benchmarks/harness.py: one warm-up round, then the two alternate
(which goes first swaps every round); every run's exit code must be the one `check -p ENV` gives on this
machine, or the benchmark fails. Without --prefix a bare virtual environment is made in a temporary
directory. Needs a running Slurm (.ci/slurm-up starts the test cluster).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from harness import Command, Row, measure, print_rows  # run from benchmarks/

CLI = [sys.executable, "-m", "cudnn_resolve"]


def _nodes(partition: str) -> list[tuple[str, bool]] | None:
    """The partition's usable nodes and whether each has a GPU; None where Slurm does not answer."""
    done = subprocess.run(
        ["sinfo", "-h", "-N", "-p", partition, "-t", "idle,mixed,allocated", "-o", "%N|%G"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return None
    return sorted({(n, "gpu" in g) for n, g in (line.split("|") for line in done.stdout.split())})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--partition", default="debug")
    parser.add_argument("--prefix", type=Path, help="the environment to check (default: a bare venv)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    nodes = _nodes(args.partition)
    if nodes is None:
        print(
            f"bench_fleet: Slurm does not answer for partition {args.partition!r}: start it "
            "(.ci/slurm-up start, as .ci/run does) and run this again",
            file=sys.stderr,
        )
        return 2
    gpus = ["--gres=gpu:1"] if nodes and all(g for _, g in nodes) else []
    with tempfile.TemporaryDirectory(prefix="cudnn-resolve-bench-fleet-", dir=Path.cwd()) as tmp:
        root = Path(tmp)
        prefix = args.prefix
        if prefix is None:
            prefix = root / "env"
            subprocess.run([sys.executable, "-m", "uv", "venv", "-q", str(prefix)], check=True)
        prefix = prefix.absolute()
        check = [*CLI, "check", "-p", str(prefix), "--json"]
        codes = frozenset({subprocess.run(check, capture_output=True, check=False).returncode})
        script = root / "check.sh"
        script.write_text(f"#!/bin/sh\nexec {shlex.join(check)}\n")
        bare = [
            "sbatch", "--wait", "--quiet", f"--array=0-{len(nodes) - 1}", f"--partition={args.partition}",
            "--nodes=1", "--ntasks=1", "--time=10", f"--output={root}/bare-%A_%a.out", *gpus, str(script),
        ]  # fmt: skip
        fleet = [*CLI, "fleet", "check", "-p", str(prefix), "--partition", args.partition]
        fleet += ["--workdir", str(root), "--json"]
        # The exit code each run must give is the one `check` gives here (the node is this machine).
        peer, ours = measure(
            [Command("sbatch --wait --array", bare, codes=codes), Command("fleet check", fleet, codes=codes)],
            args.repeats,
        )
    what = "bare venv" if args.prefix is None else str(args.prefix)
    print(f"partition {args.partition}, {len(nodes)} node(s), {what}; exit code {min(codes)} on every run\n")
    rows = [
        Row("bare `sbatch --wait --array` of `check -p ENV --json`", peer),
        Row("`cudnn-resolve fleet check -p ENV`", ours, peer),
    ]
    print_rows(rows, milliseconds=False, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
