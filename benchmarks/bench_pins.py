"""Benchmark `pins`: in-process resolution, the whole matrix, and whole-process runs against peers.

Usage: python benchmarks/bench_pins.py [--quick] [--json]

Prints a table of timings, ratios and targets (issue: one request < 5 ms in process, the whole matrix
< 1 s, CLI wall < 3x a bare interpreter start) and peak memory of each whole-process run. The peer for
the whole-process comparison is `uv pip compile` of the same requirements and constraints (needs uv on
PATH or in this interpreter's environment, and the package index); it is reported as skipped otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cudnn_resolve import Platform, Request, ResolutionImpossibleError, load_knowledge_base, resolve
from cudnn_resolve.request import FrameworkRequest, parse_frameworks
from cudnn_resolve.versions import specifier

PLATFORMS = (Platform.LINUX_64, Platform.LINUX_AARCH64, Platform.WIN_64)


@dataclass
class Row:
    name: str
    seconds: float
    peer: str = ""
    peer_seconds: float | None = None
    target: str = ""
    peak_mib: float | None = None

    @property
    def ratio(self) -> float | None:
        return None if not self.peer_seconds else self.seconds / self.peer_seconds


def print_table(rows: Sequence[Row], milliseconds: bool) -> None:
    """The benchmark table: time, ratio against the peer, target, peak memory."""
    width = max(len(r.name) for r in rows) + 2
    print(f"{'benchmark':<{width}} {'time':>11} {'ratio':>8} {'vs':<16} {'target':<8} {'peak MiB':>8}")
    for r in rows:
        ratio_text = f"{r.ratio:.2f}x" if r.ratio else ""
        peak_text = f"{r.peak_mib:.0f}" if r.peak_mib else ""
        time_text = f"{r.seconds * 1000:>9.2f}ms" if milliseconds else f"{r.seconds:>10.2f}s"
        print(f"{r.name:<{width}} {time_text} {ratio_text:>8} {r.peer:<16} {r.target:<8} {peak_text:>8}")


def timed(func: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``repeat`` calls, after one warm-up call."""
    func()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


TIME = shutil.which("time") or ("/usr/bin/time" if Path("/usr/bin/time").exists() else None)


def run_process(
    argv: Sequence[str], repeat: int, env: dict[str, str] | None = None
) -> tuple[float, float | None]:
    """Median wall time and peak RSS (MiB) of ``repeat`` runs of a command, after one warm-up run
    (``repeat=0``: exactly one run, no warm-up: for commands that change state, like installs).

    Peak memory comes from GNU time's %M where it is installed: rusage read by this (large) process
    would include the memory of the fork that precedes exec.
    """
    times: list[float] = []
    peaks: list[float] = []
    for i in range(max(repeat, 1) + (1 if repeat else 0)):
        wrapped = [TIME, "-f", "%M", *argv] if TIME else list(argv)
        start = time.perf_counter()
        proc = subprocess.run(
            wrapped, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, check=False
        )
        elapsed = time.perf_counter() - start
        if proc.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
        if i or not repeat:  # the first run warms caches (bytecode, knowledge-base cache, uv's cache)
            times.append(elapsed)
            last = proc.stderr.strip().splitlines()[-1:] if TIME else []
            if last and last[0].isdigit():
                peaks.append(int(last[0]) / 1024)
    return statistics.median(times), (max(peaks) if peaks else None)


def matrix_requests() -> list[Request]:
    kb = load_knowledge_base()
    requests = []
    for name in ("tensorflow", "torch", "jax"):
        for v in kb.framework_versions(name):
            wanted = FrameworkRequest(name, specifier(f"=={v}"), f"{name}=={v}")
            requests += [Request((wanted,), platform=p) for p in PLATFORMS]
    return requests


def resolve_all(requests: Sequence[Request]) -> tuple[int, int]:
    kb = load_knowledge_base()
    ok = impossible = 0
    for request in requests:
        try:
            resolve(request, kb)
            ok += 1
        except ResolutionImpossibleError:
            impossible += 1
    return ok, impossible


def uv_command() -> list[str] | None:
    found = shutil.which("uv")
    if found:
        return [found]
    try:
        import uv  # noqa: PLC0415  # optional peer, imported only to find its binary

        return [uv.find_uv_bin()]
    except ImportError:
        return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 10
    rows: list[Row] = []

    kb = load_knowledge_base()
    one = Request(parse_frameworks(["tf=2.10"]))
    rows.append(
        Row("pins tf=2.10, in process", timed(lambda: resolve(one, kb), repeat * 20), target="< 5 ms")
    )
    two = Request(parse_frameworks(["torch=2.4", "jax"]))
    rows.append(Row("pins torch=2.4 jax, in process", timed(lambda: resolve(two, kb), repeat * 5)))
    requests = matrix_requests()
    ok, impossible = resolve_all(requests)
    rows.append(
        Row(
            f"whole matrix, {len(requests)} requests ({ok} resolved, {impossible} impossible)",
            timed(lambda: resolve_all(requests), max(1, repeat // 3)),
            target="< 1 s",
        )
    )

    bare, bare_peak = run_process([sys.executable, "-c", "pass"], repeat)
    rows.append(Row("python -c pass", bare, peak_mib=bare_peak))
    # What importing our dependencies alone costs: the floor under any CLI built on them.
    floor_code = (
        "import dataclasses, argparse, json, pickle, packaging.specifiers, packaging.requirements, resolvelib"
    )
    floor, floor_peak = run_process([sys.executable, "-c", floor_code], repeat)
    rows.append(
        Row(
            "import floor (dataclasses, packaging, resolvelib)", floor, "python -c pass", bare, "", floor_peak
        )
    )
    cli = [sys.executable, "-m", "cudnn_resolve", "pins", "tf=2.10", "--no-detect", "--platform", "linux-64"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    seconds, peak = run_process(cli, repeat, env)
    rows.append(Row("cudnn-resolve pins tf=2.10 (process)", seconds, "python -c pass", bare, "< 3x", peak))
    seconds, peak = run_process([*cli[:-3], "--platform", "linux-64"], repeat, env)
    rows.append(
        Row("cudnn-resolve pins tf=2.10 with detection", seconds, "python -c pass", bare, "< 3x", peak)
    )

    uv = uv_command()
    answer = resolve(Request(parse_frameworks(["tf=2.10"])), kb)
    with tempfile.TemporaryDirectory() as tmp:
        req = Path(tmp, "requirements.txt")
        con = Path(tmp, "constraints.txt")
        req.write_text("\n".join(answer.pip.requirements) + "\n")
        con.write_text("\n".join(answer.pip.constraints) + "\n")
        peer = [
            *(uv or []),
            "pip",
            "compile",
            str(req),
            "-c",
            str(con),
            "--python-version",
            "3.10",
            "--python-platform",
            "x86_64-manylinux_2_28",
            "--quiet",
            "-o",
            os.devnull,
        ]
        try:
            peer_seconds, peer_peak = run_process(peer, repeat) if uv else (None, None)
        except RuntimeError as exc:
            print(f"peer skipped: {exc}", file=sys.stderr)
            peer_seconds = peer_peak = None
    cli_row = rows[-2]  # pins without detection
    rows.append(Row("uv pip compile (same set)", peer_seconds or float("nan"), peak_mib=peer_peak))
    if peer_seconds:
        rows.append(
            Row("cudnn-resolve pins vs uv pip compile", cli_row.seconds, "uv pip compile", peer_seconds)
        )

    if args.json:
        print(json.dumps([{**r.__dict__, "ratio": r.ratio} for r in rows], indent=2))
        return 0
    print_table(rows, milliseconds=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
