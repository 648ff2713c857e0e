"""Prove the GPU paths on whatever machine this runs on, and write every report to one folder.

Run by benchmarks/gpu_validation.sh with the interpreter that has cudnn-resolve installed:

    python benchmarks/gpu_validation.py OUTDIR --target-python /opt/torch/.venv/bin/python [--tests]

Steps, each timed: what the driver itself says (nvidia-smi, when present); `doctor --json`; what the
target environment's wheels pin (torch's Requires-Dist on nvidia-cudnn, the installed nvidia-cudnn);
`check --json` of that environment with that cuDNN as --expect-cudnn (the probe's conv2d on the GPU
compared with the CPU, for every framework there); `pins` for each installed framework at its installed
version with the detected host; optionally the offline test suite. Then summary.json and summary.md:
each comparison between what cudnn-resolve reported and the ground truth, agree or disagree.

Without a GPU it degrades to the same reports, saying "no GPU: conv ran on the CPU". Exit status: 0
when every comparison agrees, 1 when one disagrees (a bug to fix), 2 when a step could not run at all.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STEP_TIMEOUT = 600
# Read inside the target environment: the framework versions and the cuDNN its wheels pin and hold.
TARGET_FACTS = r"""
import json, re
from importlib import metadata
facts = {"frameworks": {}, "cudnn_pins": {}, "cudnn_installed": {}}
for name in ("torch", "jax", "tensorflow"):
    try:
        facts["frameworks"][name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        continue
    for req in metadata.requires(name) or []:
        m = re.match(r"(nvidia-cudnn-cu\d+)\s*(==|>=)\s*([\d.]+)", req)
        if m and "extra ==" not in req:
            facts["cudnn_pins"][name] = {"package": m.group(1), "op": m.group(2), "version": m.group(3)}
for dist in metadata.distributions():
    name = (dist.metadata["Name"] or "").lower().replace("_", "-")
    if name.startswith("nvidia-cudnn"):
        facts["cudnn_installed"][name] = dist.version
print(json.dumps(facts))
"""


@dataclass
class Run:
    name: str
    argv: list[str]
    code: int | None
    seconds: float
    stdout: str
    stderr: str

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError:
            return None


@dataclass
class Validation:
    out: Path
    runs: list[Run] = field(default_factory=list)
    comparisons: list[dict[str, Any]] = field(default_factory=list)

    def run(self, name: str, argv: list[str]) -> Run:
        print(f"-- {name}: {shown(argv)}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=STEP_TIMEOUT, check=False)
            code, stdout, stderr = done.returncode, done.stdout, done.stderr
        except (OSError, subprocess.TimeoutExpired) as exc:
            code, stdout, stderr = None, "", f"{type(exc).__name__}: {exc}"
        run = Run(name, argv, code, round(time.perf_counter() - start, 2), stdout, stderr)
        self.runs.append(run)
        print(f"   exit {code} in {run.seconds} s", file=sys.stderr, flush=True)
        return run

    def compare(self, what: str, reported: Any, truth: Any, agree: bool) -> None:
        self.comparisons.append({"what": what, "reported": reported, "truth": truth, "agree": agree})

    def save(self, name: str, value: Any) -> None:
        (self.out / name).write_text(json.dumps(value, indent=1, sort_keys=True, default=str) + "\n")


def shown(argv: list[str]) -> str:
    """A command line for the log; the inline target-facts script is named, not printed."""
    return " ".join("<target facts script>" if arg == TARGET_FACTS else arg for arg in argv)


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cudnn_resolve", *args]


def nvidia_smi(v: Validation) -> list[dict[str, str]]:
    """The driver's own answer (ground truth for detection), or [] where there is no nvidia-smi."""
    if shutil.which("nvidia-smi") is None:
        return []
    query = "--query-gpu=name,driver_version,compute_cap,memory.total"
    run = v.run("nvidia-smi", ["nvidia-smi", query, "--format=csv,noheader,nounits"])
    rows = []
    for line in run.stdout.splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 4:
            rows.append(dict(zip(("name", "driver", "compute_capability", "memory_mib"), parts)))
    return rows


def expected_cudnn(facts: dict[str, Any]) -> tuple[str | None, str]:
    """The cuDNN the environment must load: an exact pin of a framework's wheel, else what is installed."""
    for name, pin in facts.get("cudnn_pins", {}).items():
        if pin["op"] == "==":
            return pin[
                "version"
            ], f"{name} {facts['frameworks'][name]} pins {pin['package']}=={pin['version']}"
    for name, version in facts.get("cudnn_installed", {}).items():
        return version, f"installed {name} {version}"
    return None, "no nvidia-cudnn wheel in the environment"


def three(version: str | None) -> str | None:
    return None if version is None else ".".join(version.split(".")[:3])


def compare_host(v: Validation, smi: list[dict[str, str]], doctor: Any) -> None:
    host = (doctor or {}).get("host") or {}
    gpus = host.get("gpus") or []
    if not smi:
        v.compare("no driver: doctor reports none", host.get("driver"), None, host.get("driver") is None)
        return
    v.compare(
        "driver version (doctor vs nvidia-smi)",
        host.get("driver"),
        smi[0]["driver"],
        host.get("driver") == smi[0]["driver"],
    )
    reported = sorted(str(g.get("compute_capability")) for g in gpus)
    truth = sorted(row["compute_capability"] for row in smi)
    v.compare("GPU compute capabilities (doctor vs nvidia-smi)", reported, truth, reported == truth)
    names = sorted(str(g.get("name")) for g in gpus)
    v.compare(
        "GPU names (doctor vs nvidia-smi)",
        names,
        sorted(r["name"] for r in smi),
        names == sorted(r["name"] for r in smi),
    )


def compare_check(v: Validation, smi: list[dict[str, str]], check: Any, expected: str | None) -> None:
    if not isinstance(check, dict):
        v.compare("check produced a report", None, "a JSON report", False)
        return
    v.compare("check verdict", check.get("passed"), True, check.get("passed") is True)
    loaded = check.get("loaded_cudnn")
    v.compare("loaded cuDNN (probe) vs the wheels' pin", loaded, three(expected), loaded == three(expected))
    if smi:
        v.compare(
            "driver (probe's NVML) vs nvidia-smi",
            check.get("driver"),
            smi[0]["driver"],
            check.get("driver") == smi[0]["driver"],
        )
    probed = (check.get("probe") or {}).get("frameworks") or {}
    for name, fw in (check.get("frameworks") or {}).items():
        conv = (probed.get(name) or {}).get("conv") or {}  # the probe's own record has the tolerance
        if smi:
            on_gpu = conv.get("gpu") is not None
            v.compare(f"{name}: conv2d ran on the GPU", conv.get("device"), "a GPU device", on_gpu)
            v.compare(
                f"{name}: GPU conv2d equals the CPU's",
                conv.get("max_abs_diff"),
                f"<= {conv.get('tolerance')} x {conv.get('max_abs_value')}",
                bool(conv.get("ok")),
            )
            v.compare(
                f"{name}: runtime cuDNN equals the loaded file's",
                fw.get("cudnn_runtime"),
                loaded,
                fw.get("cudnn_runtime") in (None, loaded),
            )
        else:
            v.compare(
                f"{name}: no GPU, conv2d ran on the CPU",
                conv.get("device"),
                "cpu",
                conv.get("device") == "cpu",
            )


def compare_torch_arch(v: Validation, check: Any) -> None:
    """The arch list torch's build reports against the knowledge base's record of that build."""
    from packaging.version import Version  # noqa: PLC0415  # runs where cudnn-resolve is installed

    from cudnn_resolve import load_knowledge_base  # noqa: PLC0415

    torch = ((check or {}).get("frameworks") or {}).get("torch") or {}
    version, cuda = torch.get("version"), torch.get("cuda_compiled")
    if not version or not cuda or not torch.get("arch_list"):
        return
    reported = sorted(a.removeprefix("sm_") for a in torch["arch_list"] if a.startswith("sm_"))
    release = Version(version.split("+")[0])
    recorded: Any = "no record"
    for series in load_knowledge_base().torch:
        for variant in series.variants if release in series.versions else ():
            if str(variant.cuda) == cuda:
                arch = variant.arch
                recorded = (
                    sorted(str(c).replace(".", "") for c in arch) if isinstance(arch, tuple) else "unknown"
                )
    v.compare(
        f"torch {version}: arch list (the build) vs the knowledge base",
        reported,
        recorded,
        reported == recorded,
    )


def framework_rows(check: Any) -> list[str]:
    rows = []
    for name, fw in ((check or {}).get("frameworks") or {}).items():
        conv = fw.get("conv") or {}
        where = conv.get("gpu") or (
            "CPU (no GPU)" if conv.get("device") == "cpu" else f"failed: {conv.get('error')}"
        )
        rows.append(
            f"| {name} {fw.get('version')} | CUDA {fw.get('cuda_compiled')} | "
            f"cuDNN built {fw.get('cudnn_compiled')}, runtime {fw.get('cudnn_runtime')} | {where} | "
            f"{conv.get('max_abs_diff')} | "
            f"{conv.get('cpu_ms')} | {conv.get('gpu_ms')} / {conv.get('gpu_ms_warm')} |"
        )
    return rows


def write_summary(
    v: Validation, smi: list[dict[str, str]], facts: Any, check: Any, pins: dict[str, Any]
) -> bool:
    agree = all(c["agree"] for c in v.comparisons)
    gpus = ", ".join(f"{r['name']} ({r['compute_capability']})" for r in smi)
    gpu_line = (
        f"GPU: {gpus}, driver {smi[0]['driver']}"
        if smi
        else "no GPU: conv ran on the CPU (no nvidia-smi, no driver)"
    )
    summary = {
        "gpu": gpu_line,
        "all_agree": agree,
        "comparisons": v.comparisons,
        "nvidia_smi": smi,
        "target": facts,
        "pins": {
            r: {k: p.get(k) for k in ("cuda", "cudnn_version", "driver_min", "host")} for r, p in pins.items()
        },
        "steps": [{"name": r.name, "exit": r.code, "seconds": r.seconds, "argv": r.argv} for r in v.runs],
    }
    v.save("summary.json", summary)
    lines = [
        "# GPU validation",
        "",
        gpu_line,
        "",
        "| framework | built with | cuDNN | conv ran on | max abs diff vs CPU | CPU ms "
        "| GPU ms first / warm |",
        "|---|---|---|---|---|---|---|",
        *framework_rows(check),
        "",
        "| comparison | reported | truth | agree |",
        "|---|---|---|---|",
        *(
            f"| {c['what']} | {c['reported']} | {c['truth']} | {'yes' if c['agree'] else '**NO**'} |"
            for c in v.comparisons
        ),
        "",
        "| step | exit | seconds |",
        "|---|---|---|",
        *(f"| {r.name} | {r.code} | {r.seconds} |" for r in v.runs),
        "",
    ]
    for request, p in pins.items():
        lines.append(
            f"- pins {request}: CUDA {p.get('cuda')}, cuDNN {p.get('cudnn_version')}, driver >= "
            f"{p.get('driver_min')}"
        )
    (v.out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), file=sys.stderr)
    return agree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="the folder every report is written to")
    parser.add_argument("--target-python", required=True, help="the interpreter of the environment to check")
    parser.add_argument("--tests", action="store_true", help="also run the offline test suite (tests/)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    v = Validation(args.out)

    smi = nvidia_smi(v)
    doctor = v.run("doctor", cli("doctor", "--json"))
    v.save("doctor.json", doctor.json() or {"stdout": doctor.stdout, "stderr": doctor.stderr})
    compare_host(v, smi, doctor.json())

    facts_run = v.run("target facts", [args.target_python, "-c", TARGET_FACTS])
    facts = facts_run.json()
    if not isinstance(facts, dict):
        print(f"cannot read the target environment: {facts_run.stderr}", file=sys.stderr)
        return 2
    expected, why = expected_cudnn(facts)
    facts["expected_cudnn"], facts["expected_because"] = expected, why
    check_args = ["check", "--python", args.target_python, "--json"]
    if expected:
        check_args += ["--expect-cudnn", three(expected) or expected]
    check = v.run("check", cli(*check_args))
    v.save("check.json", check.json() or {"stdout": check.stdout, "stderr": check.stderr})
    compare_check(v, smi, check.json(), expected)
    compare_torch_arch(v, check.json())

    python = ".".join(
        str(x) for x in ((check.json() or {}).get("python") or {}).get("version", "").split(".")[:2]
    )
    pins: dict[str, Any] = {}
    for name, version in facts["frameworks"].items():
        request = f"{name}=={version.split('+')[0]}"
        run = v.run(
            f"pins {request}", cli("pins", request, "--json", *(["--python", python] if python else []))
        )
        pins[request] = run.json() or {"exit": run.code, "stderr": run.stderr}
    v.save("pins.json", pins)
    for request, answer in pins.items():
        detected = (answer.get("host") or {}).get("driver")
        truth = smi[0]["driver"] if smi else None
        v.compare(f"pins {request}: detected driver", detected, truth, detected == truth)

    if args.tests:
        tests = v.run(
            "offline tests",
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "-m",
                "not network and not e2e",
                "tests",
            ],
        )
        (args.out / "pytest.log").write_text(tests.stdout + tests.stderr)
        v.compare("offline test suite passes", tests.code, 0, tests.code == 0)

    (args.out / "commands.log").write_text(
        "".join(f"$ {shown(r.argv)}\n[exit {r.code}, {r.seconds} s]\n{r.stderr[-4000:]}\n" for r in v.runs)
    )
    if any(r.code is None for r in v.runs):
        write_summary(v, smi, facts, check.json(), pins)
        return 2
    return 0 if write_summary(v, smi, facts, check.json(), pins) else 1


if __name__ == "__main__":
    sys.exit(main())
