"""The command line as a user meets it: exit codes, --json shape, help, errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from cudnn_resolve import __version__
from cudnn_resolve.host import NO_DETECT_VARIABLE
from cudnn_resolve.versions import DriverVersion

from .conftest import Run

PINS_KEYS = {
    "frameworks",
    "platform",
    "python",
    "cuda",
    "cudnn",
    "cudnn_version",
    "driver_min",
    "host",
    "pip",
    "conda",
    "notes",
    "sources",
}


def test_pins_json_has_the_documented_keys(cli: Callable[..., Run]) -> None:
    run = cli("pins", "tf=2.10", "--no-detect", "--platform", "linux-64", "--json")
    assert run.code == 0, run.err
    answer = run.json()
    assert set(answer) >= PINS_KEYS
    assert answer["frameworks"] == [
        {
            "name": "tensorflow",
            "version": "2.10.1",
            "variant": "cuda11.2-pip",
            "gpu_arch": None,
            "brings_cuda": False,
        }
    ]
    assert set(answer["pip"]) == {"requirements", "constraints", "index_urls"}
    assert set(answer["conda"]) >= {"channels", "dependencies"}
    assert answer["host"]["detected"] is False
    assert all(isinstance(s, str) and s for s in answer["sources"])
    assert run.err == ""


def test_pins_is_deterministic(cli: Callable[..., Run]) -> None:
    first = cli("pins", "torch=2.4", "jax", "--no-detect", "--json")
    second = cli("pins", "torch=2.4", "jax", "--no-detect", "--json")
    assert first.out == second.out


def test_pins_human_output(cli: Callable[..., Run]) -> None:
    run = cli("pins", "tf=2.10", "--no-detect", "--platform", "linux-64")
    assert run.code == 0
    for text in ("TensorFlow 2.10.1", "CUDA", "11.2", "cuDNN", "8.1", "driver", ">= 450.80.02", "sources:"):
        assert text in run.out


def test_host_detection_on_this_machine(cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch) -> None:
    # Real detection (the suite turns it off elsewhere): a driver found by one method, or a normal
    # "none" answer with every method's reason, on whichever machine runs the tests.
    monkeypatch.delenv(NO_DETECT_VARIABLE)
    run = cli("pins", "torch=2.4", "--json")
    assert run.code == 0, run.err
    host = run.json()["host"]
    if host["detected"]:
        assert host["method"] in ("nvml", "proc", "nvidia-smi")
        assert DriverVersion.parse(host["driver"])
    else:
        assert host["method"] == "none"
        assert [a.split(":")[0] for a in host["attempts"]] == ["nvml", "proc", "nvidia-smi"]
        assert any("no NVIDIA driver found" in n for n in run.json()["notes"])


def test_host_detection_switched_off_for_the_tests(cli: Callable[..., Run]) -> None:
    run = cli("pins", "torch=2.4", "--json")
    host = run.json()["host"]
    assert (host["detected"], host["method"]) == (False, "disabled")
    assert host["attempts"] == [f"detection disabled ({NO_DETECT_VARIABLE} is set)"]
    assert f"host      not detected ({NO_DETECT_VARIABLE} is set)" in cli("pins", "torch=2.4").out


def test_explicit_flags_override_detection(cli: Callable[..., Run]) -> None:
    run = cli("pins", "torch=2.4", "--driver", "470.82.01", "--gpu-arch", "8.6", "--json")
    answer = run.json()
    assert answer["frameworks"][0]["variant"] == "cu118"


def test_impossible_request_exits_1_with_json_error(cli: Callable[..., Run]) -> None:
    run = cli("pins", "tf=2.11", "--platform", "win-64", "--no-detect", "--json")
    assert run.code == 1
    error = run.json()["error"]
    assert error["type"] == "ResolutionImpossibleError"
    assert error["reasons"]
    assert error["fixes"]
    assert run.err.startswith("cudnn-resolve: no answer:")


@pytest.mark.parametrize(
    "args",
    [
        ["pins", "tf=2.10", "--platform", "amiga"],
        ["pins", "tf=2.10", "--gpu-arch", "ampere"],
        ["pins", "tf=2.10", "--python", "two"],
        ["pins", "tf=2.10", "--cuda", "twelve"],
        ["pins", "tf=2.10", "--driver", "5xx"],
        ["pins", "tf=2.99"],
        ["pins", "caffe"],
        ["pins", "tf=="],
        ["pins", "tf=2.10", "--platform", "osx-arm64", "--gpu-arch", "8.6"],
        ["matrix", "mxnet"],
    ],
)
def test_bad_input_exits_2_with_one_paragraph(cli: Callable[..., Run], args: list[str]) -> None:
    run = cli(*args, "--no-detect") if args[0] == "pins" else cli(*args)
    assert run.code == 2
    assert "Traceback" not in run.err
    assert run.err.count("\n") == 1, run.err  # one paragraph
    assert run.out == ""


@pytest.mark.parametrize("args", [["pins"], ["frobnicate"], ["pins", "tf=2.10", "--target", "apt"], []])
def test_argument_errors_exit_2(cli: Callable[..., Run], args: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli(*args)
    assert info.value.code == 2


def _subprocess(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "cudnn_resolve", *args], capture_output=True, text=True, env=env, check=False
    )


def test_usage_errors_from_argparse_exit_2_without_traceback() -> None:
    result = _subprocess("pins", "tf=2.10", "--target", "apt")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "--target" in result.stderr
    assert "--help" in result.stderr
    result = _subprocess()
    assert result.returncode == 2


def test_module_entry_point_and_version() -> None:
    result = _subprocess("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"cudnn-resolve {__version__}"


def test_help_teaches(cli: Callable[..., Run]) -> None:
    with pytest.raises(SystemExit) as info:
        cli("pins", "--help")
    assert info.value.code == 0


def test_pins_help_text() -> None:
    result = _subprocess("pins", "--help")
    assert result.returncode == 0
    for text in ("tf=2.10", "--driver", "--gpu-arch", "--no-detect", "--target", "--json", "conda-style"):
        assert text in result.stdout


@pytest.mark.parametrize("table", ["tensorflow", "tf", "torch", "jax", "cuda", "cudnn"])
def test_matrix_tables(cli: Callable[..., Run], table: str) -> None:
    run = cli("matrix", table)
    assert run.code == 0
    assert len(run.out.splitlines()) > 5
    markdown = cli("matrix", table, "--format", "markdown")
    assert markdown.out.splitlines()[2].startswith("|")
    data = cli("matrix", table, "--json").json()
    rows = next(v for k, v in data.items() if k != "schema")
    assert isinstance(rows, list)
    assert rows


def test_matrix_tensorflow_shows_published_facts(cli: Callable[..., Run]) -> None:
    data = cli("matrix", "tensorflow", "--json").json()
    rows = {r["series"]: r for r in data["tensorflow"]}
    assert rows["2.10"]["cuda"] == "11.2"
    assert rows["2.10"]["cudnn"] == "8.1"
    assert rows["2.11"]["windows gpu"] == "-"


def test_matrix_never_prints_a_missing_fact_as_none(cli: Callable[..., Run]) -> None:
    run = cli("matrix")
    assert "None" not in run.out
    rows = {(r["cudnn"], r["cuda"]): r for r in cli("matrix", "cudnn", "--json").json()["cudnn"]}
    assert rows[("9.28.0", "12 (any 12.x)")]["min gpu arch"] == "7.5 (inferred)"
    assert rows[("9.10.2", "12 (>= 12.0)")]["min gpu arch"] == "5.0"


def test_matrix_everything(cli: Callable[..., Run]) -> None:
    run = cli("matrix")
    for name in ("tensorflow:", "torch:", "jax:", "cuda:", "cudnn:"):
        assert name in run.out


def test_data_dir_option(cli: Callable[..., Run], data_copy: Path) -> None:
    run = cli("pins", "tf=2.10", "--no-detect", "--json", "--data-dir", str(data_copy))
    assert run.code == 0
    (data_copy / "tensorflow.toml").write_text("garbage = [")
    run = cli("pins", "tf=2.10", "--no-detect", "--data-dir", str(data_copy))
    assert run.code == 2
    assert "tensorflow.toml" in run.err
    assert "not valid TOML" in run.err


def test_json_error_object_is_valid_json(cli: Callable[..., Run]) -> None:
    run = cli("pins", "tf=2.99", "--no-detect", "--json")
    assert run.code == 2
    assert json.loads(run.out)["error"]["type"] == "UnknownVersionError"


def test_pins_json_host_reports_what_was_given_and_detected(cli: Callable[..., Run]) -> None:
    both = cli(
        "pins", "torch", "--platform", "linux-64", "--driver", "535.104.05", "--gpu-arch", "8.6", "--json"
    )
    host = both.json()["host"]
    assert host["method"] == "skipped"
    assert host["attempts"] == ["detection skipped: --driver and --gpu-arch given"]
    assert host["given"] == {"driver": "535.104.05", "gpu_arch": ["8.6"]}
    off = cli("pins", "torch", "--platform", "linux-64", "--driver", "535.104.05", "--no-detect", "--json")
    assert off.json()["host"]["method"] == "disabled"
    assert off.json()["host"]["given"] == {"driver": "535.104.05", "gpu_arch": []}
    nothing = cli("pins", "torch", "--platform", "linux-64", "--no-detect", "--json").json()["host"]
    assert nothing["given"] == {"driver": None, "gpu_arch": []}


def test_env_file_says_when_it_delivers_otherwise_than_pins(cli: Callable[..., Run], tmp_path: Path) -> None:
    args = ("tf=2.10", "--platform", "linux-64", "--no-detect")
    env = cli("env-file", *args, "--json").json()
    pins = cli("pins", *args, "--json").json()
    conda = cli("pins", *args, "--target", "conda", "--json").json()
    # One answer per target: the environment file is the conda-target answer, and says how pins differs.
    assert env["resolution"]["cudnn_version"] == conda["cudnn_version"] != pins["cudnn_version"]
    assert pins["cudnn_version"] in env["environment"]
    assert "`pins --target conda` also answers" in env["environment"]
    assert any("export LD_LIBRARY_PATH=$CONDA_PREFIX/lib" in n for n in env["resolution"]["notes"])
    written = cli("env-file", *args, "-o", str(tmp_path / "environment.yml"))
    assert "note: `cudnn-resolve pins` answers this request with pip delivery" in written.out
    # PyTorch brings its own CUDA: no delivery note.
    torch = cli("env-file", "torch=2.4", "--platform", "linux-64", "--no-detect")
    assert "# Note:" not in torch.out
