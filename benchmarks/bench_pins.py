"""Benchmark `pins`: resolution in process, the whole matrix, and whole-process start-up against peers.

Usage: python benchmarks/bench_pins.py [--quick] [--json]

Targets: one request < 5 ms in process (warm), the whole matrix < 1 s, `cudnn-resolve pins` < 3x and
`cudnn-resolve --version` < 1.5x a bare interpreter start (`python -c pass`), both measured in the same
run with the order alternating (benchmarks/harness.py). "cold" runs start with an empty knowledge-base
cache (the parsed data is rebuilt from the TOML files); "warm" runs reuse it, as every run after the
first does. Every run's exit code and output are checked. The peer for the resolution itself is
`uv pip compile` of the same requirements and constraints (needs the package index; skipped with a
message when it cannot run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from cudnn_resolve import Platform, Request, ResolutionImpossibleError, load_knowledge_base, resolve
from cudnn_resolve.request import FrameworkRequest, parse_frameworks
from cudnn_resolve.versions import specifier
from harness import BenchmarkFailed, Command, Row, Samples, measure, print_rows  # run from benchmarks/

PLATFORMS = (Platform.LINUX_64, Platform.LINUX_AARCH64, Platform.WIN_64)
PINS = ["pins", "tf=2.10", "--no-detect", "--platform", "linux-64"]


def in_process(name: str, func: Callable[[], object], repeat: int) -> Samples:
    """Warm in-process timings: one untimed call, then ``repeat`` timed ones."""
    samples = Samples(Command(name, ()))
    func()
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        samples.seconds.append(time.perf_counter() - start)
    return samples


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


def uv_binary() -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    try:
        import uv  # noqa: PLC0415  # optional peer, imported only to find its binary

        return str(uv.find_uv_bin())
    except ImportError:
        return None


def startup_rows(repeat: int, cache: Path) -> list[Row]:
    """Whole-process runs against a bare interpreter, cold and warm knowledge-base cache."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["CUDNN_RESOLVE_CACHE_DIR"] = str(cache)
    cli = [sys.executable, "-m", "cudnn_resolve"]

    def empty_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    bare = Command("python -c pass", [sys.executable, "-c", "pass"], env)

    def pins_ok(output: str) -> bool:
        return "TensorFlow 2.10.1" in output

    cold = Command("pins tf=2.10, cold cache", [*cli, *PINS], env, expect=pins_ok, setup=empty_cache)
    warm = Command("pins tf=2.10, warm cache", [*cli, *PINS], env, expect=pins_ok)
    detect = Command("pins tf=2.10 with host detection", [*cli, *PINS[:-3]], env, expect=pins_ok)
    version = Command("--version", [*cli, "--version"], env, expect=lambda o: o.startswith("cudnn-resolve"))
    b, c, w, d, v = measure([bare, cold, warm, detect, version], repeat)
    return [
        Row("python -c pass", b),
        Row("cudnn-resolve --version", v, b, "< 1.5x"),
        Row("cudnn-resolve pins tf=2.10 (warm cache)", w, b, "< 3x"),
        Row("cudnn-resolve pins tf=2.10 (cold cache)", c, b),
        Row("cudnn-resolve pins tf=2.10, with host detection", d, b),
    ]


def peer_rows(repeat: int, tmp: Path) -> list[Row]:
    """`pins` against `uv pip compile` of the same set (uv's cache warm after the warm-up round)."""
    uv = uv_binary()
    if uv is None:
        print("peer skipped: uv not found", file=sys.stderr)
        return []
    answer = resolve(Request(parse_frameworks(["tf=2.10"])), load_knowledge_base())
    req, con = tmp / "requirements.txt", tmp / "constraints.txt"
    req.write_text("\n".join(answer.pip.requirements) + "\n")
    con.write_text("\n".join(answer.pip.constraints) + "\n")
    out = tmp / "compiled.txt"
    compiled = f"nvidia-cudnn-cu11=={answer.cudnn_version}"

    peer = Command(
        "uv pip compile",
        [
            uv,
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
            str(out),
        ],
        expect=lambda _: compiled in out.read_text(),
    )
    ours = Command("pins", [sys.executable, "-m", "cudnn_resolve", *PINS], expect=lambda o: compiled in o)
    try:
        o, p = measure([ours, peer], repeat)
    except BenchmarkFailed as exc:
        print(f"peer skipped: {exc}", file=sys.stderr)
        return []
    return [Row("uv pip compile (same set)", p), Row("cudnn-resolve pins vs uv pip compile", o, p)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 10

    kb = load_knowledge_base()
    one = Request(parse_frameworks(["tf=2.10"]))
    two = Request(parse_frameworks(["torch=2.4", "jax"]))
    requests = matrix_requests()
    ok, impossible = resolve_all(requests)
    rows = [
        Row(
            "resolve tf=2.10, in process (warm)",
            in_process("tf", lambda: resolve(one, kb), repeat * 20),
            target="< 5 ms",
        ),
        Row(
            "resolve torch=2.4 jax, in process (warm)",
            in_process("two", lambda: resolve(two, kb), repeat * 5),
        ),
        Row(
            f"whole matrix, {len(requests)} requests ({ok} resolved, {impossible} impossible), in process",
            in_process("matrix", lambda: resolve_all(requests), max(1, repeat // 3)),
            target="< 1 s",
        ),
    ]
    with tempfile.TemporaryDirectory(prefix="cudnn-resolve-bench-") as tmp:
        rows += startup_rows(repeat, Path(tmp, "kb-cache"))
        rows += peer_rows(max(1, repeat // 3), Path(tmp))
    print_rows(rows, milliseconds=True, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
