"""Benchmark lock, create and check against the peer tools, measured in the same run.

Usage: python benchmarks/bench_ops.py [--rounds N] [--skip-pip] [--cold]

- lock: `cudnn-resolve lock --format requirements` vs `uv pip compile --generate-hashes` of the same set,
  with uv's cache warm (after a warm-up round) and, with --cold, each run on an empty uv cache;
- create: `cudnn-resolve create --no-check` vs `uv venv` + `uv pip install` of the same requirements and
  constraints (warm uv cache, a fresh directory per run), and the smoke test's own cost (`create` with the
  check vs without); with --skip-pip left out, one run of `python -m venv` + `pip install` too;
- check: `cudnn-resolve check -p ENV --no-conv` and `check` (with the conv2d) vs a bare
  `ENV/bin/python -c "import torch"`.
The commands alternate and rotate which goes first (benchmarks/harness.py), after one warm-up round; every
run's exit code and output are checked. Environments live in a temporary directory that is deleted.
Needs the package index (through uv and pip); torch 2.14.1 is about 3 GB in uv's cache.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from uv import find_uv_bin

from harness import Command, Row, measure, print_rows  # run as a script from benchmarks/

REQUEST = "torch==2.14.1"
CUDNN = "nvidia-cudnn-cu13==9.24.0.43"  # what torch 2.14.1's default wheel pins
CLI = [sys.executable, "-m", "cudnn_resolve"]


def fresh(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def lock_rows(root: Path, uv: str, rounds: int, cold: bool) -> list[Row]:
    common = ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]
    peer_out, ours_out = root / "peer.txt", root / "lock.txt"
    peer = [
        uv,
        "pip",
        "compile",
        str(root / "r.txt"),
        "-c",
        str(root / "c.txt"),
        "--generate-hashes",
        "--quiet",
        "-o",
        str(peer_out),
        *common,
    ]
    ours = [
        *CLI,
        "lock",
        REQUEST,
        "--no-detect",
        "--python",
        "3.11",
        "--platform",
        "linux-64",
        "--format",
        "requirements",
        "-o",
        str(ours_out),
    ]
    rows = []
    variants = [("warm uv cache", None)] + ([("empty uv cache", root / "uv-cache")] if cold else [])
    for label, cache in variants:
        env = dict(os.environ)
        if cache is not None:
            env["UV_CACHE_DIR"] = str(cache)

        def reset(cache: Path | None = cache) -> None:
            if cache is not None:
                fresh(cache)

        p, o = measure(
            [
                Command(
                    "uv pip compile --generate-hashes",
                    peer,
                    env,
                    setup=reset,
                    expect=lambda _: CUDNN in peer_out.read_text(),
                ),
                Command(
                    "cudnn-resolve lock",
                    ours,
                    env,
                    setup=reset,
                    expect=lambda _: CUDNN in ours_out.read_text(),
                ),
            ],
            rounds,
            warmup=0 if cache is not None else 1,
        )
        rows += [
            Row(f"uv pip compile --generate-hashes ({label})", p),
            Row(f"cudnn-resolve lock --format requirements ({label})", o, p),
        ]
    if cold:
        fresh(root / "uv-cache")
    return rows


def create_rows(root: Path, uv: str, rounds: int) -> tuple[list[Row], Path]:
    raw, ours, checked = root / "raw", root / "ours", root / "checked"
    install = (
        'set -e; "$1" venv -q --python "$2" "$3"; '
        '"$1" pip install -q --compile-bytecode --python "$3/bin/python" -r "$4" -c "$5"'
    )
    # The interpreter the raw commands use: without --python, create takes the newest Python the frameworks
    # allow on this machine (another wheel set, another bytecode compiler), which is not the same work.
    same_python = ["--python", sys.executable]
    p, o, c = measure(
        [
            Command(
                "uv venv + uv pip install",
                [
                    "bash",
                    "-c",
                    install,
                    "_",
                    uv,
                    sys.executable,
                    str(raw),
                    str(root / "r.txt"),
                    str(root / "c.txt"),
                ],
                setup=lambda: fresh(raw),
            ),
            Command(
                "create --no-check",
                [*CLI, "create", REQUEST, "-p", str(ours), *same_python, "--no-detect", "--no-check"],
                setup=lambda: fresh(ours),
            ),
            Command(
                "create",
                [*CLI, "create", REQUEST, "-p", str(checked), *same_python, "--no-detect"],
                setup=lambda: fresh(checked),
                expect=lambda out: "9.24.0" in out,
            ),
        ],
        rounds,
    )
    fresh(raw)
    fresh(ours)
    rows = [
        Row("uv venv + uv pip install (warm cache)", p),
        Row("cudnn-resolve create --no-check (warm cache)", o, p, "<= 1.2x"),
        Row("cudnn-resolve create, with the smoke test", c, o),
    ]
    return rows, checked


def check_rows(env: Path, rounds: int) -> list[Row]:
    b, n, c = measure(
        [
            Command("python -c 'import torch'", [str(env / "bin" / "python"), "-c", "import torch"]),
            Command(
                "check --no-conv",
                [*CLI, "check", "-p", str(env), "--no-conv"],
                expect=lambda out: "verdict: PASS" in out,
            ),
            Command("check", [*CLI, "check", "-p", str(env)], expect=lambda out: "verdict: PASS" in out),
        ],
        rounds,
    )
    return [
        Row("python -c 'import torch' (in the env)", b),
        Row("cudnn-resolve check --no-conv", n, b),
        Row("cudnn-resolve check (with the conv2d)", c, b),
    ]


def pip_row(root: Path) -> Row:
    target = root / "pip"
    install = 'set -e; "$1" -m venv "$2"; "$2/bin/python" -m pip install -q -r "$3" -c "$4"'
    (samples,) = measure(
        [
            Command(
                "python -m venv + pip install",
                [
                    "bash",
                    "-c",
                    install,
                    "_",
                    sys.executable,
                    str(target),
                    str(root / "r.txt"),
                    str(root / "c.txt"),
                ],
                setup=lambda: fresh(target),
            )
        ],
        1,
        warmup=0,
    )
    fresh(target)
    return Row("python -m venv + pip install (pip's cache, one run)", samples)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per comparison (default 3)")
    parser.add_argument("--skip-pip", action="store_true", help="skip the (slow) pip comparison")
    parser.add_argument("--cold", action="store_true", help="also time lock on an empty uv cache")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args(argv)
    uv = str(find_uv_bin())
    with tempfile.TemporaryDirectory(prefix="cudnn-resolve-bench-") as tmp:
        root = Path(tmp)
        measure(
            [
                Command(
                    "constraints",
                    [
                        *CLI,
                        "constraints",
                        REQUEST,
                        "--no-detect",
                        "--python",
                        "3.11",
                        "-o",
                        str(root / "c.txt"),
                        "--requirements",
                        str(root / "r.txt"),
                    ],
                )
            ],
            1,
            warmup=0,
        )
        rows = lock_rows(root, uv, args.rounds, args.cold)
        created, env = create_rows(root, uv, args.rounds)
        rows += created
        rows += check_rows(env, args.rounds)
        if not args.skip_pip:
            rows.append(pip_row(root))
    print_rows(rows, milliseconds=False, as_json=args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
