"""The data overlay and `data update`: refreshed wheel-metadata facts go to the overlay, never the shipped
files; `--check` exits 1 when the data is behind the index."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from cudnn_resolve.data import load_knowledge_base
from cudnn_resolve.errors import DataError
from cudnn_resolve.tomlwrite import dumps
from cudnn_resolve.versions import Platform

from .conftest import Run
from .uvtools import network

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def test_toml_writer_round_trips() -> None:
    document: dict[str, Any] = {
        "release": [
            {
                "series": "2.16",
                "versions": ["2.16.0"],
                "python": ">=3.10,<3.15",
                "n": 3,
                "variant": [{"name": "cu132", "platforms": ["linux-64"]}],
            }
        ],
        "pypi": [{"version": "2.16.0", "requires": ["a==1", 'b"x'], "table": {"k": "v"}}],
    }
    assert tomllib.loads(dumps(document, ["a header"])) == document


def test_overlay_replaces_and_adds_records(data_copy: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "torch.toml").write_text(
        dumps(
            {
                "pypi": [
                    {
                        "version": "2.15.0",
                        "platform": "linux-64",
                        "variant": "cu132",
                        "requires": ["nvidia-cudnn-cu13==9.24.0.43"],
                        "source": "test overlay",
                    }
                ]
            }
        )
    )
    kb = load_knowledge_base(data_copy, overlay=overlay)
    record = kb.torch_pypi[(Version("2.15.0"), Platform.LINUX_64)]
    assert [str(r) for r in record.requires] == ["nvidia-cudnn-cu13==9.24.0.43"]
    assert record.source == "test overlay"
    assert (Version("2.15.0"), Platform.LINUX_AARCH64) in kb.torch_pypi  # untouched records stay
    assert "data overlay" in kb.files[3]


def test_unreadable_overlay_names_the_fix(data_copy: Path, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "jax.toml").write_text("[[release]\n")
    with pytest.raises(DataError) as info:
        load_knowledge_base(data_copy, overlay=overlay)
    assert "jax.toml" in str(info.value)
    assert "cudnn-resolve data reset" in str(info.value)


def test_data_reset_and_show(
    cli: Callable[..., Run], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "torch.toml").write_text("# empty\n")
    monkeypatch.setenv("CUDNN_RESOLVE_DATA_OVERLAY", str(overlay))
    shown = cli("data", "show", "--json").json()
    assert shown["overlay_files"] == ["torch.toml"]
    assert shown["torch"].startswith("1.12")
    assert cli("data", "reset").code == 0
    assert not overlay.exists()


@network[0]
@network[1]
def test_update_check_finds_a_stale_pin_and_update_fixes_it(
    cli: Callable[..., Run], data_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch = data_copy / "torch.toml"
    text = torch.read_text()
    assert text.count("nvidia-cudnn-cu13==9.26.0.51") >= 1
    stale = text.replace("nvidia-cudnn-cu13==9.26.0.51", "nvidia-cudnn-cu13==9.24.0.43")
    torch.write_text(stale)
    overlay = tmp_path / "overlay"
    monkeypatch.setenv("CUDNN_RESOLVE_DATA_OVERLAY", str(overlay))
    run = cli("data", "update", "--check", "--series", "1", "--data-dir", str(data_copy), "--json")
    assert run.code == 1, run.out
    changes = {c["version"]: c for c in run.json()["changes"] if c["framework"] == "torch"}
    assert changes["2.15.0"]["kind"] == "changed-pins"
    assert "nvidia-cudnn-cu13: recorded 9.24.0.43, index 9.26.0.51" in changes["2.15.0"]["detail"]
    assert not overlay.exists()  # --check writes nothing
    run = cli("data", "update", "--series", "1", "--data-dir", str(data_copy))
    assert run.code == 0
    assert torch.read_text() == stale  # the data files themselves are never modified
    kb = load_knowledge_base(data_copy, overlay=overlay)
    pins = [str(r) for r in kb.torch_pypi[(Version("2.15.0"), Platform.LINUX_64)].requires]
    assert "nvidia-cudnn-cu13==9.26.0.51" in pins
