"""Benchmark lock, create and check against the peer tools, measured in the same run.

Usage: python benchmarks/bench_ops.py [--skip-pip]

- lock: `cudnn-resolve lock --format requirements` vs `uv pip compile --generate-hashes` of the same set;
- create: `cudnn-resolve create --no-check` with a warm uv cache vs plain `uv venv` + `uv pip install` of
  the same requirements and constraints, and vs `python -m venv` + `pip install` (pip's own cache);
  the smoke test's own time is reported separately (`create` with the check, minus without);
- check: `cudnn-resolve check -p ENV --no-conv` vs a bare `ENV/bin/python -c "import torch"`.
Environments are made in a temporary directory and deleted. Needs the package index (uv, pip).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from uv import find_uv_bin

from bench_pins import Row, print_table, run_process  # run as a script from benchmarks/

REQUEST = "torch==2.14.1"
CLI = [sys.executable, "-m", "cudnn_resolve"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--skip-pip", action="store_true", help="skip the (slow) pip comparison")
    args = parser.parse_args(argv)
    uv = find_uv_bin()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="cudnn-resolve-bench-") as tmp:
        root = Path(tmp)
        subprocess.run(
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
            check=True,
            capture_output=True,
        )
        common = ["--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28"]
        peer, peer_peak = run_process(
            [
                uv,
                "pip",
                "compile",
                str(root / "r.txt"),
                "-c",
                str(root / "c.txt"),
                "--generate-hashes",
                "--quiet",
                "-o",
                str(root / "peer.txt"),
                *common,
            ],
            3,
        )
        ours, peak = run_process(
            [
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
                str(root / "lock.txt"),
            ],
            3,
        )
        rows += [
            Row("uv pip compile --generate-hashes", peer, peak_mib=peer_peak),
            Row("cudnn-resolve lock --format requirements", ours, "uv pip compile", peer, "", peak),
        ]

        def fresh(name: str) -> Path:
            shutil.rmtree(root / name, ignore_errors=True)
            return root / name

        fresh("raw")
        venv_s, _ = run_process([uv, "venv", "-q", "--python", sys.executable, str(root / "raw")], 0)
        install_s, peer_peak = run_process(
            [
                uv,
                "pip",
                "install",
                "-q",
                "--compile-bytecode",
                "--python",
                str(root / "raw/bin/python"),
                "-r",
                str(root / "r.txt"),
                "-c",
                str(root / "c.txt"),
            ],
            0,
        )
        peer = venv_s + install_s
        shutil.rmtree(root / "raw", ignore_errors=True)
        ours, peak = run_process(
            [*CLI, "create", REQUEST, "-p", str(fresh("ours")), "--no-detect", "--no-check"], 0
        )
        shutil.rmtree(root / "ours", ignore_errors=True)
        checked, checked_peak = run_process(
            [*CLI, "create", REQUEST, "-p", str(fresh("ours")), "--no-detect"], 0
        )
        rows += [
            Row("uv venv + uv pip install (warm cache)", peer, peak_mib=peer_peak),
            Row(
                "cudnn-resolve create --no-check (warm cache)", ours, "uv venv+install", peer, "<= 1.2x", peak
            ),
            Row("smoke test inside create (with - without check)", checked - ours, peak_mib=checked_peak),
        ]
        python = root / "ours" / "bin" / "python"
        bare, bare_peak = run_process([str(python), "-c", "import torch"], 3)
        ours, peak = run_process([*CLI, "check", "-p", str(root / "ours"), "--no-conv"], 3)
        conv, conv_peak = run_process([*CLI, "check", "-p", str(root / "ours")], 3)
        rows += [
            Row("python -c 'import torch' (in the env)", bare, peak_mib=bare_peak),
            Row("cudnn-resolve check --no-conv", ours, "import torch", bare, "", peak),
            Row("cudnn-resolve check (with conv2d)", conv, "import torch", bare, "", conv_peak),
        ]
        if not args.skip_pip:
            venv_s, _ = run_process([sys.executable, "-m", "venv", str(fresh("pip"))], 0)
            install_s, peer_peak = run_process(
                [
                    str(root / "pip/bin/python"),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "-r",
                    str(root / "r.txt"),
                    "-c",
                    str(root / "c.txt"),
                ],
                0,
            )
            peer = venv_s + install_s
            shutil.rmtree(root / "pip", ignore_errors=True)
            rows.append(Row("python -m venv + pip install", peer, peak_mib=peer_peak))
            rows.append(Row("cudnn-resolve create (uv) vs pip", checked, "venv + pip", peer))
    print_table(rows, milliseconds=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
