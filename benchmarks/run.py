"""Run every benchmark: `python benchmarks/run.py [--quick] [--skip-pip]` (see each script's docstring)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    quick = ["--quick"] if "--quick" in sys.argv else []
    skip_pip = ["--skip-pip"] if "--skip-pip" in sys.argv else []
    codes = [
        subprocess.run(
            [sys.executable, str(HERE / "bench_pins.py"), *quick], cwd=HERE, check=False
        ).returncode,
        subprocess.run(
            [sys.executable, str(HERE / "bench_ops.py"), *skip_pip], cwd=HERE, check=False
        ).returncode,
    ]
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
