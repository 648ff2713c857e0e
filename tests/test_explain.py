"""`explain` against a corpus of real error messages (tests/data/explain/, each with its source).

Every case must be recognised with its expected category as the most likely cause; versions a message
states must be extracted; benign noise mixed into real logs never masks the real cause.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cudnn_resolve.data import load_knowledge_base
from cudnn_resolve.explain import Category, find_causes, normalise_version

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
