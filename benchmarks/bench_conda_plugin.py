"""What the conda plugin costs every conda command: the same conda with and without cudnn-resolve installed.

Usage: python benchmarks/bench_conda_plugin.py [--repeats N] [--conda-dir DIR] [--project CHECKOUT]

conda imports every installed plugin (entry-point group `conda`) and builds its subcommands on every
command, so the plugin's import cost is paid by `conda env list` and `conda info --json` too. Two venvs
are made with shared/conda/setup.sh (conda 26.7.1; DIR holds setup.sh, default: $CUDNN_RESOLVE_CONDA_DIR,
else ../shared/conda beside the clone, else /work/shared/conda); one also gets this checkout. Each
command runs `--warmup` times per venv, then `--repeats` times per venv, alternating which venv goes first,
in the same run. The table gives min and median wall time and three with/without ratios: of the medians,
of the minimums, and the median of the ratios of each back-to-back pair (the target, <= 1.05 on
`conda env list`: pairing cancels the slow drifts of a shared machine). It also lists the cudnn_resolve
modules conda imported for `conda env list`: only the plugin module, the package and its version. Exit 1
when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = (("conda env list", ("env", "list")), ("conda info --json", ("info", "--json")))
TARGET = 1.05  # on `conda env list`
EXPECTED_MODULES = {"cudnn_resolve", "cudnn_resolve._version", "cudnn_resolve.conda_plugin"}


def conda_dir(given: str | None) -> Path:
    candidates = [Path(given)] if given else []
    if os.environ.get("CUDNN_RESOLVE_CONDA_DIR"):
        candidates.append(Path(os.environ["CUDNN_RESOLVE_CONDA_DIR"]))
    candidates += [ROOT.parent / "shared" / "conda", Path("/work/shared/conda")]
    for candidate in candidates:
        if (candidate / "setup.sh").is_file():
            return candidate
    raise SystemExit(f"no shared/conda/setup.sh in {', '.join(map(str, candidates))}: pass --conda-dir")


def make_conda(setup: Path, dest: Path, project: Path | None) -> dict[str, str]:
    subprocess.run(["bash", str(setup), str(dest), sys.executable], check=True, capture_output=True)
    if project is not None:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "uv",
                "pip",
                "install",
                "--quiet",
                "--compile-bytecode",
                "--refresh-package",  # uv's cache may hold a build of another checkout of the same version
                "cudnn-resolve",
                "--python",
                str(dest / "bin" / "python"),
                str(project),
            ],
            check=True,
        )
    home = dest / "home"
    home.mkdir()
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "CONDARC": str(dest / "condarc"),
        "CONDA_SOLVER": "classic",
        "CONDA_PKGS_DIRS": str(dest / "conda-pkgs"),
        "CONDA_ENVS_DIRS": str(dest / "conda-envs"),
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
    }


def timed(python: Path, args: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([str(python), "-m", "conda", *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def imported_modules(python: Path, env: dict[str, str]) -> set[str]:
    """The cudnn_resolve modules loaded while conda runs `conda env list` (conda loads entry points with
    importlib, which `-X importtime` does not report, so they are read from sys.modules at exit)."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(*sorted(m for m in sys.modules if m.startswith('cudnn_resolve')),"
        " file=sys.stderr))\n"
        "from conda.cli.main import main\n"
        "main('env', 'list')\n"
    )
    result = subprocess.run([str(python), "-c", code], env=env, check=True, capture_output=True, text=True)
    return set(result.stderr.split())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--conda-dir", help="the directory holding shared/conda's setup.sh")
    parser.add_argument(
        "--project", type=Path, default=ROOT, help="the cudnn-resolve checkout to install (default: this one)"
    )
    args = parser.parse_args(argv)
    setup = conda_dir(args.conda_dir) / "setup.sh"
    ok = True
    with tempfile.TemporaryDirectory(prefix="cudnn-resolve-bench-conda-") as tmp:
        venvs = {
            "with": (Path(tmp, "with"), make_conda(setup, Path(tmp, "with"), args.project)),
            "without": (Path(tmp, "without"), make_conda(setup, Path(tmp, "without"), None)),
        }
        print(
            f"conda 26.7.1 from {setup.parent}; {args.repeats} runs each after {args.warmup} warm-up runs\n"
        )
        print(
            "| command | without the plugin (min / median) | with (min / median) "
            "| ratio: medians, mins, paired |"
        )
        print("|---|---|---|---|")
        for label, command in COMMANDS:
            times: dict[str, list[float]] = {"with": [], "without": []}
            for _ in range(args.warmup):
                for prefix, env in venvs.values():
                    timed(prefix / "bin" / "python", command, env)
            for run in range(args.repeats):
                order = ("with", "without") if run % 2 == 0 else ("without", "with")
                for which in order:
                    prefix, env = venvs[which]
                    times[which].append(timed(prefix / "bin" / "python", command, env))
            with_, without = times["with"], times["without"]
            median = statistics.median(with_) / statistics.median(without)
            fastest = min(with_) / min(without)
            paired = statistics.median(w / o for w, o in zip(with_, without))
            missed = label == "conda env list" and paired > TARGET
            ok = ok and not missed
            print(
                f"| `{label}` | {min(without):.3f} / {statistics.median(without):.3f} s "
                f"| {min(with_):.3f} / {statistics.median(with_):.3f} s "
                f"| {median:.3f}x, {fastest:.3f}x, {paired:.3f}x"
                + (f" (target <= {TARGET}x: MISSED) |" if missed else " |")
            )
        prefix, env = venvs["with"]
        modules = imported_modules(prefix / "bin" / "python", env)
        print(f"\ncudnn_resolve modules imported by `conda env list`: {', '.join(sorted(modules))}")
        if modules != EXPECTED_MODULES:
            ok = False
            print(f"  expected only {', '.join(sorted(EXPECTED_MODULES))}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
