"""The conda plugin's hook contract, collected with pluggy as conda does.

Without conda (here and in CI) the plugin imports a stand-in for the conda names it uses
(tests/conda_stub/); with conda installed, the real ones are used and `conda cudnn-env --help` is run.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy
import pytest

STUB = Path(__file__).parent / "conda_stub"


@pytest.fixture
def plugin(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    try:
        import conda  # noqa: F401  # the real conda, where installed
    except ImportError:
        monkeypatch.syspath_prepend(str(STUB))
        for name in [m for m in sys.modules if m == "conda" or m.startswith("conda.")]:
            monkeypatch.delitem(sys.modules, name)
    sys.modules.pop("cudnn_resolve.conda_plugin", None)
    module = importlib.import_module("cudnn_resolve.conda_plugin")
    yield module
    sys.modules.pop("cudnn_resolve.conda_plugin", None)


class _Specs:
    hookspec = pluggy.HookspecMarker("conda")

    @hookspec
    def conda_subcommands(self) -> Iterator[Any]:  # type: ignore[empty-body]
        ...

    @hookspec
    def conda_health_checks(self) -> Iterator[Any]:  # type: ignore[empty-body]
        ...


def _manager(plugin: ModuleType) -> pluggy.PluginManager:
    manager = pluggy.PluginManager("conda")
    manager.add_hookspecs(_Specs)
    manager.register(plugin)
    return manager


def _subcommand(plugin: ModuleType) -> Any:
    (generated,) = _manager(plugin).hook.conda_subcommands()
    (subcommand,) = list(generated)
    return subcommand


def _parse(subcommand: Any, *argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="conda cudnn-env")
    subcommand.configure_parser(parser)
    return parser.parse_args(list(argv))


def test_entry_point_is_declared() -> None:
    points = importlib.metadata.entry_points(group="conda")
    (point,) = [p for p in points if p.name == "cudnn-resolve"]
    assert point.value == "cudnn_resolve.conda_plugin"


def test_plugin_module_imports_nothing_heavy(plugin: ModuleType) -> None:
    # conda builds every plugin's parser on every invocation: importing the plugin must stay cheap.
    source = Path(plugin.__file__ or "").read_text()
    top_level = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert all("cudnn_resolve" not in line and not line.startswith("from .") for line in top_level), top_level


def test_subcommand_is_registered(plugin: ModuleType) -> None:
    subcommand = _subcommand(plugin)
    assert subcommand.name == "cudnn-env"
    assert "cudnn" in subcommand.summary.lower()


def test_help(plugin: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _parse(_subcommand(plugin), "--help")
    assert info.value.code == 0
    out = capsys.readouterr().out
    for verb in ("pins", "create", "check", "doctor", "explain", "lock", "project"):
        assert verb in out


def test_pins_json_through_the_action(plugin: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    subcommand = _subcommand(plugin)
    code = subcommand.action(_parse(subcommand, "pins", "torch=2.4", "--no-detect", "--json"))
    assert code == 0
    assert json.loads(capsys.readouterr().out)["cudnn_version"] == "9.1.0.70"


def test_expected_failure_is_a_conda_error(plugin: ModuleType) -> None:
    from conda import CondaError

    subcommand = _subcommand(plugin)
    with pytest.raises(CondaError) as info:
        subcommand.action(_parse(subcommand, "pins", "tf=2.11", "--platform", "win-64", "--no-detect"))
    assert "no native Windows GPU build" in str(info.value)
    assert getattr(info.value, "return_code", None) == 1


def test_create_dry_run_uses_the_running_conda(
    plugin: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STUB_CONDA_ENVS_DIR", str(tmp_path / "envs"))
    subcommand = _subcommand(plugin)
    code = subcommand.action(
        _parse(
            subcommand,
            "create",
            "tf=2.10",
            "-n",
            "tf210",
            "--no-detect",
            "--dry-run",
            "--json",
            "--platform",
            "linux-64",
        )
    )
    assert code == 0
    plan = json.loads(capsys.readouterr().out)["plan"]
    assert plan["backend"] == "conda"
    assert plan["backend_reason"] == "running inside conda"
    assert plan["prefix"] == str(tmp_path / "envs" / "tf210")
    assert "cudatoolkit 11.2.*" in plan["packages"]
    assert not (tmp_path / "envs").exists()


def test_check_through_the_action(
    plugin: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    subcommand = _subcommand(plugin)
    code = subcommand.action(_parse(subcommand, "check", "--python", sys.executable, "--no-conv", "--json"))
    assert code == 0
    assert json.loads(capsys.readouterr().out)["passed"] is True


def test_health_check(plugin: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    (generated,) = _manager(plugin).hook.conda_health_checks()
    (check,) = list(generated)
    check.action(sys.prefix, False)
    assert "cuDNN consistency (cudnn-resolve)" in capsys.readouterr().out


@pytest.mark.skipif(shutil.which("conda") is None, reason="conda is not installed here")
def test_real_conda_runs_the_subcommand() -> None:
    result = subprocess.run(["conda", "cudnn-env", "--help"], capture_output=True, text=True, check=False)
    assert result.returncode == 0
    assert "pins" in result.stdout
