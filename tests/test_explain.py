"""`explain` against a corpus of real error messages (tests/data/explain/, each with its source).

Every case must be recognised with its expected category as the most likely cause; versions a message
states must be extracted; benign noise mixed into real logs never masks the real cause.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from cudnn_resolve.data import load_knowledge_base
from cudnn_resolve.explain import Category, find_causes, normalise_version
from cudnn_resolve.explain.wheels import cuda_major_hint

from .conftest import Run

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

DATA = Path(__file__).parent / "data" / "explain"
CASES: list[dict[str, Any]] = tomllib.loads((DATA / "corpus.toml").read_text())["case"]
LOGS = sorted((DATA / "logs").glob("*.log"))
KB = load_knowledge_base()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_corpus_case(case: dict[str, Any]) -> None:
    causes = find_causes(case["text"], KB)
    assert causes, f"nothing recognised in {case['id']}"
    assert str(causes[0].category) == case["category"], [str(c.category) for c in causes]
    for key in ("loaded", "compiled"):
        if key in case:
            assert causes[0].versions.get(key) == normalise_version(case[key]), causes[0].versions


@pytest.mark.parametrize("log", LOGS, ids=[p.stem for p in LOGS])
def test_real_logs_root_cause_is_not_noise(log: Path) -> None:
    expect = tomllib.loads(log.with_name(log.stem + ".expect.toml").read_text())
    causes = find_causes(log.read_text(errors="replace"), KB)
    assert str(causes[0].category) == expect["category"], [(str(c.category), c.evidence[:80]) for c in causes]


def test_benign_alone_is_not_a_cause() -> None:
    text = "\n".join(c["text"] for c in CASES if c["category"] == "benign")
    causes = find_causes(text, KB)
    assert [c.category for c in causes] == [Category.BENIGN]


def test_every_category_has_cases() -> None:
    assert {c["category"] for c in CASES} == {str(c) for c in Category}


def test_cudnn_mismatch_fix_names_exact_pins() -> None:
    text = (
        "E tensorflow/stream_executor/cuda/cuda_dnn.cc:361] Loaded runtime CuDNN library: 8.0.5 "
        "but source was "
        "compiled with: 8.1.0."
    )
    (cause,) = find_causes(text, KB)
    assert cause.versions == {"loaded": "8.0.5", "compiled": "8.1.0"}
    assert any(f.startswith("pip install nvidia-cudnn-cu11==8.") for f in cause.fixes)
    assert any("tensorflow==2.1" in f for f in cause.fixes)


def test_explain_cli_json(cli: Callable[..., Run], tmp_path: Path) -> None:
    log = tmp_path / "run.log"
    log.write_text(next(c["text"] for c in CASES if c["category"] == "cudnn-mismatch"))
    run = cli("explain", str(log), "--json")
    assert run.code == 0
    assert run.json()["causes"][0]["category"] == "cudnn-mismatch"
    (tmp_path / "noise.log").write_text("oneDNN custom operations are on.\n")
    assert cli("explain", str(tmp_path / "noise.log")).code == 1
    missing = cli("explain", str(tmp_path / "nope.log"))
    assert missing.code == 2


_PIP = re.compile(r"^pip install '?([a-z0-9-]+)(?:==([\d.]+)|>=(\d+),<(\d+))?'?(?:\s+#.*)?$")
_CONSTRAINTS = re.compile(r"^cudnn-resolve constraints (tensorflow|torch|jax)==([\d.]+)")


def _known_wheels() -> dict[str, set[Version]]:
    wheels: dict[str, set[Version]] = {}
    for pip_set in KB.pip_sets.values():
        for name, text in pip_set.wheels:
            wheels.setdefault(name, set()).add(Version(text))
    for build in KB.cudnn:
        if build.pip is not None:
            wheels.setdefault(build.pip_name, set()).add(build.pip)
    return wheels


WHEELS = _known_wheels()


def check_fix_against_knowledge_base(fix: str, log: str) -> None:
    """A fix names only wheels and versions the knowledge base records, for the CUDA major the log shows."""
    command = fix.split("  #", maxsplit=1)[0].strip()
    if command.startswith("pip install") and "nvidia-" in command:
        match = _PIP.match(command)
        assert match, fix
        name, exact, low, high = match.groups()
        assert name in WHEELS, f"{fix}: no such wheel in the knowledge base"
        versions = WHEELS[name]
        if exact:
            assert Version(exact) in versions, f"{fix}: {name} {exact} is not a known build"
        if low:
            inside = [v for v in versions if int(low) <= v.major < int(high)]
            assert inside, f"{fix}: no known {name} in [{low}, {high})"
        hint = cuda_major_hint(log)
        suffix = int(name.rsplit("-cu", 1)[1])
        if hint is not None and any(n.endswith(f"-cu{hint}") for n in WHEELS if n.startswith(name[:-4])):
            assert suffix == hint, f"{fix}: the log shows CUDA {hint}"
    match = _CONSTRAINTS.match(command)
    if match:
        assert Version(match.group(2)) in KB.framework_versions(match.group(1)), fix


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_every_corpus_fix_is_in_the_knowledge_base(case: dict[str, Any]) -> None:
    for cause in find_causes(case["text"], KB):
        for fix in cause.fixes:
            check_fix_against_knowledge_base(fix, case["text"])


@pytest.mark.parametrize("log", LOGS, ids=[p.stem for p in LOGS])
def test_every_real_log_fix_is_in_the_knowledge_base(log: Path) -> None:
    text = log.read_text(errors="replace")
    for cause in find_causes(text, KB):
        for fix in cause.fixes:
            check_fix_against_knowledge_base(fix, text)


@pytest.mark.parametrize(
    ("text", "wanted", "refused"),
    [
        # no nvidia-curand-cu10 wheel exists: libcurand.so.10 ships in the cu11 and cu12 wheels
        ("libcurand.so.10: cannot open shared object file", ["nvidia-curand-cu11>=10,<11"], ["-cu10"]),
        # libcufft.so.11 is cuFFT 11 (CUDA 12); cuFFT 10.9 is the CUDA 11 wheel
        ("Could not load dynamic library 'libcufft.so.11'", ["nvidia-cufft-cu12>=11,<12"], ["cufft-cu11"]),
        # a CUDA 11 log: the cuDNN 9 wheel of CUDA 11, not only CUDA 12's
        (
            "Could not load dynamic library 'libcudart.so.11.0'\n"
            "libcudnn.so.9: cannot open shared object file",
            ["nvidia-cudnn-cu11>=9,<10"],
            ["cudnn-cu12", "cudnn-cu13"],
        ),
        # TensorFlow built with cuDNN 8.1 is a CUDA 11 build
        (
            "Loaded runtime CuDNN library: 8.0.4 but source was compiled with: 8.1.0.",
            ["nvidia-cudnn-cu11==8.5.0.96"],
            ["cudnn-cu12"],
        ),
        # PyTorch compiled against cuDNN 9.1.0 pins 9.1.0.70 (CUDA 11 and 12 builds), never a CUDA 13 wheel
        (
            "cuDNN version incompatibility: PyTorch was compiled  against (9, 1, 0) but found runtime "
            "version (8, 9, 2)",
            ["nvidia-cudnn-cu12==9.1.0.70"],
            ["cudnn-cu13"],
        ),
    ],
)
def test_fixes_are_the_right_wheels(text: str, wanted: list[str], refused: list[str]) -> None:
    fixes = [f for c in find_causes(text, KB) for f in c.fixes]
    for item in wanted:
        assert any(item in f for f in fixes), fixes
    for item in refused:
        assert not any(item in f for f in fixes), fixes
    for fix in fixes:
        check_fix_against_knowledge_base(fix, text)
