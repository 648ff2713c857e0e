"""The probe and `check`, offline: real subprocesses, real ctypes calls into native stand-in libraries."""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path

import pytest

from cudnn_resolve.data import load_knowledge_base
from cudnn_resolve.host import NO_DETECT_VARIABLE, detect_host
from cudnn_resolve.probe import run_probe
from cudnn_resolve.probe.script import decode_cudnn
from cudnn_resolve.verify import Expectations, Severity, evaluate

from .native.fakes import fake_cudnn, fake_cudnn_sublibrary

PROBE_DIR = Path(__file__).resolve().parent.parent / "src" / "cudnn_resolve" / "probe"


@pytest.mark.parametrize("name", ["script.py", "elf.py"])
def test_probe_files_parse_as_python_3_7(name: str) -> None:
    # The probe runs under whatever Python an environment has; 3.7 is the oldest a covered
    # framework release (TensorFlow 1.15, 2.0-2.1) runs on.
    ast.parse((PROBE_DIR / name).read_text(), feature_version=(3, 7))


@pytest.mark.parametrize(
    ("raw", "version"),
    [(92400, "9.24.0"), (91000, "9.10.0"), (8904, "8.9.4"), (8100, "8.1.0"), (7605, "7.6.5")],
)
def test_cudnn_version_encodings(raw: int, version: str) -> None:
    assert decode_cudnn(raw) == version


def test_probe_without_frameworks_reports_none() -> None:
    report = run_probe(sys.executable, conv=False)
    assert report.frameworks == {}
    assert report.python_executable
    # The suite tells the probe not to look for this machine's driver (conftest), and it says so.
    assert report.driver is None
    assert report.driver_error == f"not looked for ({NO_DETECT_VARIABLE} is set)"
    verdict = evaluate(load_knowledge_base(), report, Expectations())
    assert verdict.passed  # a note for conda doctor; `check` asks need_framework=True
    assert [f.severity for f in verdict.findings if f.code == "no-framework"] == [Severity.INFO]
    assert "not looked for" in next(f.message for f in verdict.findings if f.code == "no-gpu")
    failed = evaluate(load_knowledge_base(), report, Expectations(), need_framework=True)
    assert not failed.passed


def test_probe_and_host_detection_agree_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both read the real machine: the same driver, or none, on a GPU machine as here.
    monkeypatch.delenv(NO_DETECT_VARIABLE)
    report = run_probe(sys.executable, conv=False)
    host = detect_host()
    assert report.driver == (str(host.driver) if host.found else None)
    if host.found:
        assert report.cuda_driver
    else:
        assert report.driver_error


def test_probe_runs_under_another_interpreter() -> None:
    other = Path("/usr/bin/python3")
    if not other.exists() or other.resolve() == Path(sys.executable).resolve():
        pytest.skip("no second Python on this machine")
    report = run_probe(other, conv=False)
    assert Path(report.python_executable).resolve() == other.resolve()
    assert report.prefix != sys.prefix


def _preloaded(*paths: Path) -> dict[str, str]:
    return {**os.environ, "LD_PRELOAD": " ".join(str(p) for p in paths)}


def test_mapped_cudnn_is_read_through_its_api(tmp_path: Path) -> None:
    lib = fake_cudnn(tmp_path / "v9", "9.24.0", cudart="12.4")
    report = run_probe(sys.executable, conv=False, env=_preloaded(lib))
    (mapped,) = [x for x in report.libraries if x.is_cudnn_main]
    assert mapped.path == str(lib)
    assert mapped.version == "9.24.0"
    assert mapped.cudart == "12.4"
    assert mapped.source == "mapped"


def test_cudnn_8_encoding_through_the_api(tmp_path: Path) -> None:
    lib = fake_cudnn(tmp_path / "v8", "8.9.4", cudart="12.2")
    report = run_probe(sys.executable, conv=False, env=_preloaded(lib))
    assert [x.version for x in report.libraries if x.is_cudnn_main] == ["8.9.4"]


def test_preloaded_cudnn_fails_the_check(tmp_path: Path) -> None:
    lib = fake_cudnn(tmp_path / "other", "9.20.0")
    report = run_probe(sys.executable, conv=False, env=_preloaded(lib))
    verdict = evaluate(load_knowledge_base(), report, Expectations(cudnn="9.24.0.43", source="test"))
    codes = {f.code for f in verdict.findings if f.severity is Severity.ERROR}
    assert {"cudnn-mismatch", "shadow-ld-preload", "loaded-outside-environment"} <= codes
    assert not verdict.passed


def test_cudnn_files_from_two_directories(tmp_path: Path) -> None:
    main = fake_cudnn(tmp_path / "a", "9.24.0")
    graph = fake_cudnn_sublibrary(tmp_path / "b", "libcudnn_graph.so.9")
    report = run_probe(sys.executable, conv=False, env=_preloaded(main, graph))
    verdict = evaluate(load_knowledge_base(), report, Expectations(cudnn="9.24", source="test"))
    multiple = [f for f in verdict.findings if f.code == "cudnn-multiple-dirs"]
    assert multiple
    assert multiple[0].severity is Severity.ERROR
    assert str(tmp_path / "a") in multiple[0].message
    assert str(tmp_path / "b") in multiple[0].message
