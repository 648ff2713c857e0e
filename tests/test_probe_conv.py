"""The probe's conv2d comparison and failure isolation, with array stand-ins (the frameworks' own conv
runs in the e2e tests and, on a GPU, in benchmarks/gpu_validation.sh)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cudnn_resolve.data import load_knowledge_base
from cudnn_resolve.probe import script
from cudnn_resolve.probe.report import parse_report
from cudnn_resolve.verify import Expectations, evaluate

# The probe is untyped on purpose (it runs under Python 3.7 in other environments): typed views of it.
gpu_conv_result: Callable[..., dict[str, Any]] = script._gpu_conv_result
run_conv: Callable[..., dict[str, Any]] = script.run_conv


class Values:
    """Just enough of an array for the probe's comparison: a - b, abs(), .max()."""

    def __init__(self, *items: float) -> None:
        self.items = items

    def __sub__(self, other: Values) -> Values:
        return Values(*(a - b for a, b in zip(self.items, other.items)))

    def __abs__(self) -> Values:
        return Values(*(abs(a) for a in self.items))

    def max(self) -> float:
        return max(self.items)


@pytest.fixture(autouse=True)
def _clean_errors() -> Iterator[None]:
    script.ERRORS.clear()
    yield
    script.ERRORS.clear()


def _result(cpu: list[Values], gpu: list[Values]) -> dict[str, object]:
    calls = []

    def run(device: str) -> list[Values]:
        calls.append(device)
        return gpu

    result = gpu_conv_result(run, "gpu0", "Test GPU", cpu, script._numpy_difference)
    assert calls == ["gpu0", "gpu0"]  # a cold run, then a warm one
    return result


def test_gpu_result_within_tolerance_relative_to_the_values() -> None:
    # A weight gradient of magnitude ~40 may differ by 0.02 between algorithms: 5e-4 relative.
    result = _result([Values(40.0, -3.0)], [Values(40.02, -3.0)])
    assert result["ok"] is True
    assert result["max_abs_diff"] == pytest.approx(0.02)
    assert result["max_abs_value"] == 40.0
    assert isinstance(result["gpu_ms"], float)
    assert isinstance(result["gpu_ms_warm"], float)


def test_gpu_result_beyond_tolerance_is_not_ok() -> None:
    assert _result([Values(1.0, 2.0)], [Values(1.0, 2.5)])["ok"] is False
    # small values are held to the absolute bound, not a bound relative to tiny numbers
    assert _result([Values(1e-6)], [Values(2e-3)])["ok"] is False


def test_a_failing_conv_is_a_result_with_its_error() -> None:
    def torch_conv(torch: object, gpu: bool) -> dict[str, object]:
        raise AttributeError("'NoneType' object has no attribute 'cpu'")

    result = run_conv(torch_conv, None, True)
    assert result == {
        "device": None,
        "gpu": None,
        "ok": False,
        "error": "AttributeError: 'NoneType' object has no attribute 'cpu'",
    }


def test_check_reports_a_failed_conv_as_such_not_as_a_failed_import() -> None:
    raw = {
        "conv_requested": True,
        "python": {"version": "3.12.3", "executable": "/env/bin/python", "prefix": "/env"},
        "frameworks": {
            "torch": {
                "version": "2.11.0+cu130",
                "cuda_compiled": "13.0",
                "cudnn_compiled": "9.19.0",
                "cudnn_runtime": "9.19.0",
                "gpu_available": True,
                "conv": {"device": None, "gpu": None, "ok": False, "error": "AttributeError: boom"},
            }
        },
        "errors": [{"section": "torch_conv", "error": "AttributeError: boom", "trace": ""}],
    }
    verdict = evaluate(load_knowledge_base(), parse_report(raw), Expectations())
    codes = {f.code: f for f in verdict.findings}
    assert "framework-import-failed" not in codes
    assert "probe-error" not in codes  # reported once, as the conv's failure
    assert codes["conv-failed"].message == "the PyTorch conv2d did not run (AttributeError: boom)"
    assert not verdict.passed
