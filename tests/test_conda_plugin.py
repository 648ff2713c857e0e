"""The conda plugin's hook contract, collected with pluggy as conda does: fast unit tests.

The plugin imports a stand-in for the conda names it uses (tests/conda_stub/) where conda is not
importable; the plugin inside the real conda is tested in tests/test_conda_real.py.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
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

    @hookspec
    def conda_error_hints(self, error: BaseException) -> Iterator[Any]:  # type: ignore[empty-body]
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


def test_subcommand_parses_its_own_arguments(plugin: ModuleType) -> None:
    # Without configure_parser conda hands the action the arguments after `cudnn-env` and parses none of
    # them (conda reads `prefix`, `name`, `channel` and `json` from a namespace it parsed).
    assert _subcommand(plugin).configure_parser is None


def test_help(plugin: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        _subcommand(plugin).action(("--help",))
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: conda cudnn-env")
    for verb in ("pins", "create", "check", "doctor", "explain", "lock", "project"):
        assert verb in out
    assert "conda cudnn-env pins tf=2.10" in out  # the examples name the command as run inside conda


def test_pins_json_through_the_action(plugin: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    code = _subcommand(plugin).action(("pins", "torch=2.4", "--no-detect", "--json"))
    assert code == 0
    assert json.loads(capsys.readouterr().out)["cudnn_version"] == "9.1.0.70"


def test_expected_failure_is_a_conda_error(plugin: ModuleType) -> None:
    from conda import CondaError

    with pytest.raises(CondaError) as info:
        _subcommand(plugin).action(("pins", "tf=2.11", "--platform", "win-64", "--no-detect"))
    assert "no native Windows GPU build" in str(info.value)
    assert getattr(info.value, "return_code", None) == 1


def test_health_check(plugin: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    (generated,) = _manager(plugin).hook.conda_health_checks()
    (check,) = list(generated)
    check.action(sys.prefix, False)
    assert "cuDNN consistency (cudnn-resolve)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("error", "codes"),
    [
        ("PackagesNotFoundInChannelsError: not available from current channels: - __cuda", ["driver"]),
        ("UnsatisfiableError: cudnn 9.3.* conflicts with cuda-version 11.8", ["packages"]),
        ("PackagesNotFoundError: - numpy 9", []),
        ("CondaHTTPError: HTTP 000 CONNECTION FAILED", []),
    ],
)
def test_error_hints(plugin: ModuleType, error: str, codes: list[str]) -> None:
    name, _, message = error.partition(": ")
    exception = type(name, (Exception,), {})(message)
    (generated,) = _manager(plugin).hook.conda_error_hints(error=exception)
    hints = list(generated)
    assert [h.hint_code for h in hints] == [f"cudnn_resolve_cuda_{c}" for c in codes]
    assert all("conda cudnn-env" in h.text for h in hints)


def test_advice_names_the_conda_commands() -> None:
    from cudnn_resolve.cli.conda_context import conda_advice

    text = "run: cudnn-resolve check; Regenerate it with 'cudnn-resolve lock'; made by cudnn-resolve 0.1.0"
    assert conda_advice(text) == (
        "run: conda cudnn-env check; Regenerate it with 'conda cudnn-env lock'; made by cudnn-resolve 0.1.0"
    )
    assert conda_advice("/opt/cudnn-resolve check") == "/opt/cudnn-resolve check"  # a path, not a command


def test_conda_cause_is_the_error_not_the_progress() -> None:
    from cudnn_resolve.envs.backends import conda_cause

    output = (
        "Collecting package metadata (repodata.json): ...working... done\n"
        "Solving environment: ...working... failed\n\n"
        "PackagesNotFoundError: The following packages are not available from current channels:\n\n"
        "  - cudnn 7.*\n\n"
    )
    assert conda_cause(output) == (
        "PackagesNotFoundError: The following packages are not available from current channels: - cudnn 7.*"
    )
    assert conda_cause("Solving environment: ...working... done\n") is None
