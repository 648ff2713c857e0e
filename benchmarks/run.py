"""Run every benchmark: `python benchmarks/run.py [--quick] [--skip-pip] [--skip-conda]` (see each script's
docstring).

Each script prints a Markdown table (min and median of alternated, checked runs, with the peer measured
in the same run); docs/benchmarks.md is made of these tables as printed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _slurm_answers() -> bool:
    if shutil.which("scontrol") is None:
        return False
    ping = subprocess.run(["scontrol", "ping"], capture_output=True, text=True, check=False)
    return "is UP" in ping.stdout


def main() -> int:
    quick = "--quick" in sys.argv
    scripts = [
        ["bench_pins.py", *(["--quick"] if quick else [])],
        [
            "bench_ops.py",
            "--rounds",
            "1" if quick else "3",
            *(["--skip-pip"] if "--skip-pip" in sys.argv else []),
        ],
    ]
    if "--skip-conda" not in sys.argv:
        scripts.append(["bench_conda_plugin.py", "--repeats", "5" if quick else "21"])
    if _slurm_answers():  # fleet check against a bare sbatch: needs a running Slurm
        scripts.append(["bench_fleet.py", "--repeats", "3" if quick else "7"])
    else:
        print(
            "bench_fleet.py skipped: no Slurm answers here (.ci/slurm-up start starts one)", file=sys.stderr
        )
    codes = []
    for script, *args in scripts:
        print(f"\n## {script}\n", flush=True)
        codes.append(
            subprocess.run([sys.executable, str(HERE / script), *args], cwd=HERE, check=False).returncode
        )
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
