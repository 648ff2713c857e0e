"""The real uv reads what `project` writes: `uv lock` lands on exactly the pinned cuDNN, and
`lock --check uv.lock` reads the result back.

Network (the package index, through uv; `uv lock` reads wheel metadata, about a second a case with a
warm cache). The PyTorch index is unreachable here: for a PyTorch-index build, `uv lock --offline` proves
uv accepts the configuration (it fails only on the packages it would fetch from that index, for exactly
the platforms asked), and a local stand-in index at the same name proves the routing.
"""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import tomlkit
from uv import find_uv_bin

from .conftest import Run
from .uvtools import network

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib


def online(test: Callable[..., None]) -> Callable[..., None]:
    for mark in network:
        test = mark(test)
    return test


def uv(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Real uv in ``directory``, with the interpreter running the tests (uv downloads none here)."""
    return subprocess.run(
        [find_uv_bin(), *args, "--python", sys.executable, "--directory", str(directory)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def locked_versions(directory: Path, name: str) -> set[str]:
    packages = tomllib.loads((directory / "uv.lock").read_text())["package"]
    return {p["version"] for p in packages if p["name"] == name}


@online
@pytest.mark.parametrize(
    ("request_text", "framework", "cudnn"),
    [
        ("tf=2.15", ("tensorflow", "2.15.1"), ("nvidia-cudnn-cu12", "8.9.4.25")),
        ("tf=2.18", ("tensorflow", "2.18.1"), ("nvidia-cudnn-cu12", "9.3.0.75")),
        ("jax=0.6", ("jax", "0.6.2"), ("nvidia-cudnn-cu12", "9.28.0.42")),
        ("torch==2.14.1", ("torch", "2.14.1"), ("nvidia-cudnn-cu13", "9.24.0.43")),
    ],
)
def test_uv_lock_lands_on_the_pinned_cudnn(
    cli: Callable[..., Run],
    tmp_path: Path,
    request_text: str,
    framework: tuple[str, str],
    cudnn: tuple[str, str],
) -> None:
    args = [request_text, "--no-detect", "--platform", "linux-64"]
    assert cli("project", *args, "--path", str(tmp_path)).code == 0
    result = uv(tmp_path, "lock")
    assert result.returncode == 0, result.stderr
    assert locked_versions(tmp_path, framework[0]) == {framework[1]}
    assert locked_versions(tmp_path, cudnn[0]) == {cudnn[1]}
    run = cli("lock", *args, "--check", str(tmp_path / "uv.lock"))
    assert run.code == 0, run.out


@online
def test_two_platforms_and_a_stale_lock(cli: Callable[..., Run], tmp_path: Path) -> None:
    args = shlex.split("torch==2.14.1 --no-detect --platform linux-64 --platform linux-aarch64")
    assert cli("project", *args, "--path", str(tmp_path)).code == 0
    assert uv(tmp_path, "lock").returncode == 0
    lock = tmp_path / "uv.lock"
    run = cli("lock", *args, "--check", str(lock), "--json")
    assert run.code == 0, run.out
    assert run.json()["platforms"] == {"linux-64": [], "linux-aarch64": []}
    text = lock.read_text()
    stale = text.replace(
        'name = "nvidia-cudnn-cu13"\nversion = "9.24.0.43"',
        'name = "nvidia-cudnn-cu13"\nversion = "9.20.0.48"',
    )
    assert stale != text
    lock.write_text(stale)
    run = cli("lock", *args, "--check", str(lock))
    assert run.code == 1
    assert "nvidia-cudnn-cu13: the lock has 9.20.0.48; the resolution pins 9.24.0.43" in run.out
    assert "then run 'uv lock'" in run.out
    # a lock made for another request is out of date for this one
    assert cli("lock", "torch==2.13.0", *args[1:], "--check", str(lock)).code == 1


def test_uv_accepts_the_pytorch_index_configuration_offline(cli: Callable[..., Run], tmp_path: Path) -> None:
    """`uv lock --offline` parses and validates the whole configuration (indexes, sources, markers,
    constraints) before it resolves; with the PyTorch index out of reach it then fails on torch's
    +cu118 build alone, in the split of exactly the platforms asked. A broken configuration fails
    earlier, with another message (the control below)."""
    args = shlex.split("torch==2.4.1+cu118 --no-detect --platform linux-64 --platform win-64")
    assert cli("project", *args, "--path", str(tmp_path)).code == 0
    result = uv(tmp_path, "lock", "--offline")
    assert result.returncode != 0
    message = " ".join(result.stderr.split())  # uv wraps its messages
    asked = (
        "(markers: (platform_machine == 'x86_64' and sys_platform == 'linux') or "
        "(platform_machine == 'AMD64' and sys_platform == 'win32'))"
    )
    assert f"No solution found when resolving dependencies for split {asked}" in message
    assert "==2.4.1+cu118, we can conclude that your project's requirements are unsatisfiable" in message
    assert "Failed to parse" not in message
    assert not (tmp_path / "uv.lock").exists()
    text = (tmp_path / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(
        text.replace('index = "pytorch-cu118"', 'index = "pytorch-cu121"', 1)
    )
    broken = uv(tmp_path, "lock", "--offline")
    assert "references an undeclared index: `pytorch-cu121`" in " ".join(broken.stderr.split())


def _stand_in_index(root: Path, platforms: dict[str, str]) -> Path:
    """A PEP 503 index directory holding a metadata-only torch 2.4.1+cu118 wheel per platform tag."""
    project = root / "torch"
    project.mkdir(parents=True)
    links = []
    for tag in platforms.values():
        name = f"torch-2.4.1+cu118-cp311-cp311-{tag}.whl"
        with zipfile.ZipFile(project / name, "w") as wheel:
            info = "torch-2.4.1+cu118.dist-info"
            wheel.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: torch\nVersion: 2.4.1+cu118\n")
            wheel.writestr(
                f"{info}/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: cp311-cp311-{tag}\n"
            )
            wheel.writestr(f"{info}/RECORD", "")
        digest = hashlib.sha256((project / name).read_bytes()).hexdigest()
        links.append(f'<a href="{name.replace("+", "%2B")}#sha256={digest}">{name}</a>')
    (project / "index.html").write_text("<html><body>" + "".join(links) + "</body></html>")
    return root


@online
def test_uv_routes_torch_to_the_named_index(cli: Callable[..., Run], tmp_path: Path) -> None:
    """The written structure, with only the index URL pointed at a local stand-in of the PyTorch index:
    uv takes torch's +cu118 build from it on the platforms asked, and the index's default build on
    the others (explicit = true keeps every other package off it)."""
    project = tmp_path / "project"
    args = shlex.split("torch==2.4.1+cu118 --no-detect --python 3.11 --platform linux-64 --platform win-64")
    assert cli("project", *args, "--path", str(project)).code == 0
    index = _stand_in_index(tmp_path / "index", {"linux-64": "linux_x86_64", "win-64": "win_amd64"})
    doc = tomlkit.parse((project / "pyproject.toml").read_text())
    doc["tool"]["uv"]["index"][0]["url"] = index.as_uri()
    doc["project"]["requires-python"] = "==3.11.*"  # the stand-in's wheels are for CPython 3.11
    (project / "pyproject.toml").write_text(tomlkit.dumps(doc))
    result = uv(project, "lock")
    assert result.returncode == 0, result.stderr
    packages = tomllib.loads((project / "uv.lock").read_text())["package"]
    torch = {p["version"]: p for p in packages if p["name"] == "torch"}
    assert set(torch) == {"2.4.1", "2.4.1+cu118"}
    assert torch["2.4.1+cu118"]["source"] == {"registry": str(index)}
    assert "registry" in torch["2.4.1"]["source"]
    assert torch["2.4.1"]["source"] != torch["2.4.1+cu118"]["source"]
    run = cli("lock", *args, "--check", str(project / "uv.lock"))
    assert run.code == 0, run.out
