"""The facts recorded from wheel metadata still match the package index (through uv, resolve-only).

Marked ``network``: they need the package index (reached through uv's own configuration). Set
CUDNN_RESOLVE_OFFLINE=1 to skip them on a machine without it.
"""

from __future__ import annotations

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from cudnn_resolve.data import KnowledgeBase
from cudnn_resolve.versions import Platform

from .terminal import on_terminal
from .uvtools import network
from .uvtools import uv_compile as uv_compile_args

pytestmark = network


def uv_compile(requirement: str, python: str) -> dict[str, str]:
    return uv_compile_args(["-"], stdin=requirement, python=python)


def _python_for(spec: SpecifierSet) -> str:
    return next(p for p in ("3.11", "3.10", "3.12") if Version(p) in spec)


@pytest.mark.parametrize("torch", ["2.4.1", "2.8.0", "2.14.1"])
def test_torch_default_wheel_pins(kb: KnowledgeBase, torch: str) -> None:
    record = kb.torch_pypi[(Version(torch), Platform.LINUX_64)]
    release = next(r for r in kb.torch if Version(torch) in r.versions)
    resolved = uv_compile(f"torch=={torch}", _python_for(release.python))
    assert resolved["torch"] == torch
    pins = {r.name: r.exact_pin() for r in record.requires}
    cudnn = next(name for name in pins if name.startswith("nvidia-cudnn"))
    assert Version(resolved[cudnn]) == pins[cudnn]
    for name, pin in pins.items():
        if pin is not None and name in resolved:
            assert Version(resolved[name]) == pin, name


@pytest.mark.parametrize("tf", ["2.15.1", "2.18.1"])
def test_tensorflow_and_cuda_pins(kb: KnowledgeBase, tf: str) -> None:
    extra = kb.and_cuda[Version(tf)]
    resolved = uv_compile(f"tensorflow[and-cuda]=={tf}", "3.11")
    for req in extra.requires:
        pin = req.exact_pin()
        if pin is not None:
            assert Version(resolved[req.name]) == pin, req.name
    assert Version(resolved["nvidia-cudnn-cu12"]) == extra.tested_cudnn


def _release_python(kb: KnowledgeBase, framework: str, version: str) -> SpecifierSet:
    if framework == "tensorflow":
        return next(r.linux.python for r in kb.tensorflow if Version(version) in r.versions)
    return next(r.python for r in kb.torch if Version(version) in r.versions)


@pytest.mark.parametrize(
    ("framework", "version"),
    [
        ("tensorflow", "2.10.1"),  # built against NumPy 1.x, admits 2: the pin
        ("tensorflow", "2.14.0"),  # the same; 2.14.1 added <2.0.0
        ("tensorflow", "2.14.1"),
        ("tensorflow", "2.18.1"),  # built against NumPy 2
        ("torch", "2.2.2"),  # no numpy requirement at all
    ],
)
def test_numpy_requirements(kb: KnowledgeBase, framework: str, version: str) -> None:
    # The index resolves the newest NumPy the wheels' metadata admits: a 2.x exactly where the [[numpy]]
    # record's `requires` admits NumPy 2, none where it says the wheels declare no numpy requirement.
    record = next(r for r in kb.numpy[framework] if r.covers(Version(version), Platform.LINUX_64))
    resolved = uv_compile(f"{framework}=={version}", _python_for(_release_python(kb, framework, version)))
    if record.requires is None:
        assert "numpy" not in resolved
    else:
        assert Version(resolved["numpy"]) in record.requires
        assert (Version(resolved["numpy"]).major == 2) == record.admits(2)


def test_data_update_check_shows_progress_on_a_terminal() -> None:
    # It takes minutes (a resolution per release): each step shows, with its duration, as it ends.
    shown = on_terminal(["data", "update", "--check", "--series", "1"])
    assert shown.code in (0, 1), shown.err  # 1: the data is behind the index, a normal answer
    assert shown.err.startswith("... resolving torch\n    done in ")
    assert "... resolving jax\n    done in " in shown.err
