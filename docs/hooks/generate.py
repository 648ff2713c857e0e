"""MkDocs hook: run the commands the pages show and write their real output under docs/generated/, and
write one troubleshooting page per `explain` category from the real-message corpus.

Nothing in docs/generated/ or docs/troubleshooting/ is typed by hand (both are rebuilt on every build and
are not committed). Commands run with --no-detect and an explicit platform so the output does not depend
on the machine that builds the docs.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent.parent
ROOT = DOCS.parent
LINUX = "--no-detect --platform linux-64"
EXAMPLES = {
    "pins-tf-2.10": f"pins tf=2.10 {LINUX}",
    "pins-torch-driver": f"pins 'torch>=2.4,<2.6' --driver 470.82.01 --gpu-arch 8.6 {LINUX}",
    "pins-impossible": f"pins tf=2.10 --driver 450.80 {LINUX}",
    "pins-win-tf-2.11": "pins tf=2.11 --no-detect --platform win-64",
    "pins-hosts-torch-2.8": "pins torch=2.8 --host tests/hosts/gtx1080-535.json --host tests/hosts/h100-570.json",
    "pins-hosts-impossible": "pins tf=2.10 --host tests/hosts/t4-440.json --host tests/hosts/a100-535.json",
    "pins-torch-jax-json": f"pins torch=2.4 jax {LINUX} --json",
    "matrix-tensorflow": "matrix tensorflow --format markdown",
    "matrix-cuda": "matrix cuda",
    "constraints-tf-2.18": f"constraints tf=2.18 {LINUX}",
    "env-file-tf-2.10": f"env-file tf=2.10 {LINUX}",
    "env-file-tf-2.17-conda-forge": f"env-file tf=2.17 --framework-from conda {LINUX}",
    "create-dry-run": f"create torch==2.14.1 -p ./torch-env {LINUX} --dry-run",
    # `project` edits the pyproject.toml files on_pre_build lays out under docs/generated/ (in this order).
    "project-new": f"project tf=2.15 {LINUX} --path docs/generated/trainer",
    "project-again": f"project tf=2.15 {LINUX} --path docs/generated/trainer",
    "project-team-dry-run": "project torch==2.4.1+cu118 --no-detect --platform linux-64 --platform win-64 "
                            "--path docs/generated/team --dry-run",
    "project-conflict": f"project torch==2.14.1 {LINUX} --path docs/generated/conflict",
    "doctor": "doctor --no-conv",
    "explain-example": "explain docs/generated/example.log",
    "check-help": "check --help",
    "image-list": "image",
    "image-fit": "image tensorflow/tensorflow:2.9.0-gpu tf=2.15 --no-detect --no-probe",
    "help": "--help",
}
EXAMPLE_LOG = """\
2024-02-01 10:11:12.345678: E external/local_xla/xla/stream_executor/cuda/cuda_dnn.cc:9261] Unable to register cuDNN factory: Attempting to register factory for plugin cuDNN when one has already been registered
2024-02-01 10:11:12.345678: W tensorflow/compiler/tf2tensorrt/utils/py_utils.cc:38] TF-TRT Warning: Could not find TensorRT
2024-02-01 10:11:15.000001: E tensorflow/stream_executor/cuda/cuda_dnn.cc:361] Loaded runtime CuDNN library: 8.0.5 but source was compiled with: 8.1.0.  CuDNN library needs to have matching major version and equal or higher minor version.
"""

# A team's pyproject.toml, hand-written, for the `project` examples; and one whose torch source conflicts.
TEAM_PYPROJECT = """\
# Training jobs. cudnn-resolve keeps comments, layout and every table it does not manage.
[project]
name = "team"
version = "1.4.0"
requires-python = ">=3.9"
dependencies = [
    "numpy>=1.26",  # arrays
    "torch>=2.0",
]

[tool.uv]
constraint-dependencies = ["numpy<2"]

[tool.ruff]
line-length = 100
"""
CONFLICT_PYPROJECT = """\
[project]
name = "conflict"
version = "0.1.0"
dependencies = ["torch"]

[tool.uv.sources]
torch = { index = "pytorch-cpu" }

[[tool.uv.index]]
name = "pytorch-cpu"
url = "https://download.pytorch.org/whl/cpu"
explicit = true
"""


def _projects(generated: Path) -> None:
    """Fresh project directories for the `project` examples (they edit files in place)."""
    for name, text in (("trainer", None), ("team", TEAM_PYPROJECT), ("conflict", CONFLICT_PYPROJECT)):
        directory = generated / name
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir()
        if text is not None:
            (directory / "pyproject.toml").write_text(text)


def _run(command: str) -> str:
    env = {**os.environ, "COLUMNS": "110", "CUDNN_RESOLVE_CACHE_DIR": str(DOCS / "generated" / ".cache")}
    result = subprocess.run([sys.executable, "-m", "cudnn_resolve", *shlex.split(command)], capture_output=True,
                            text=True, cwd=ROOT, env=env, timeout=600, check=False)
    out = (result.stdout + result.stderr).rstrip()
    return f"$ cudnn-resolve {command}\n{out}\n# exit code {result.returncode}\n"


def _category_page(category: str, cases: list[dict[str, Any]], explanation: str, fixes: list[str]) -> str:
    lines = [f"# {category}", "", explanation[0].upper() + explanation[1:] + ".", "", "## Fixes", ""]
    lines += [f"- `{fix}`" if fix.startswith(("cudnn-resolve", "pip", "export", "unset", "nvidia-smi", "docker",
                                              "echo")) else f"- {fix}" for fix in fixes] or ["- nothing to fix"]
    lines += ["", "## Real messages in this category", ""]
    for case in cases[:4]:
        text = case["text"].strip().splitlines()
        lines += [f"From {case['source']}:", "", "```text", *text[:6], "```", ""]
        command = _run_text(case["text"])
        lines += ["`cudnn-resolve explain` says:", "", "```text", *command.splitlines()[:14], "```", ""]
    return "\n".join(lines) + "\n"


def _run_text(text: str) -> str:
    log = DOCS / "generated" / "case.log"
    log.write_text(text)
    return _run("explain docs/generated/case.log")


def on_pre_build(config: Any) -> None:
    generated = DOCS / "generated"
    generated.mkdir(exist_ok=True)
    (generated / "example.log").write_text(EXAMPLE_LOG)
    _projects(generated)
    for name, command in EXAMPLES.items():
        (generated / f"{name}.txt").write_text(_run(command))
    # The Dockerfile the tests compare byte for byte (tests/golden/dockerfile/); writing one for real
    # needs the package index for its lock.
    golden = ROOT / "tests" / "golden" / "dockerfile" / "tf-2.15-slim.Dockerfile"
    (generated / "dockerfile-tf-2.15.Dockerfile").write_text(golden.read_text())
    sys.path.insert(0, str(ROOT / "src"))
    from cudnn_resolve.data import load_knowledge_base
    from cudnn_resolve.explain import Category
    from cudnn_resolve.explain.fixes import explanation_and_fixes

    corpus = tomllib.loads((ROOT / "tests" / "data" / "explain" / "corpus.toml").read_text())["case"]
    kb = load_knowledge_base()
    pages = DOCS / "troubleshooting"
    pages.mkdir(exist_ok=True)
    for category in Category:
        cases = [c for c in corpus if c["category"] == str(category)]
        explanation, fixes = explanation_and_fixes(category, {}, None, kb)
        (pages / f"{category}.md").write_text(_category_page(str(category), cases, explanation, fixes))
    rows = ["# Troubleshooting", "", "`cudnn-resolve explain LOG` names the category of each cause in a log. "
            "One page per category, each with real messages from public issue threads and what `explain` "
            "says about them:", ""]
    rows += [f"- [{c}]({c}.md)" for c in Category]
    (pages / "index.md").write_text("\n".join(rows) + "\n")
