from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cudnn_resolve.cli import main
from cudnn_resolve.data import KnowledgeBase, load_knowledge_base, shipped_data_dir
from cudnn_resolve.host import NO_DETECT_VARIABLE

from .e2e_envs import Workspace
from .real_conda import RealConda


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the parsed-data cache of the test run out of the user's cache directory, and give uv one
    download/metadata cache that every test run on this machine reuses (CI cleans it)."""
    os.environ["CUDNN_RESOLVE_CACHE_DIR"] = str(tmp_path_factory.mktemp("kb-cache"))
    os.environ.setdefault("UV_CACHE_DIR", str(Path.home() / ".cache" / "cudnn-resolve-tests" / "uv"))


@pytest.fixture(autouse=True)
def _host_facts(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests control the host facts: this machine's driver is not looked for (as on a machine without
    one), so the answers are the same on a GPU machine. Tests of detection itself delete the variable
    and accept either machine; e2e tests run real environments on the real machine and keep it."""
    if "e2e" not in request.keywords:
        monkeypatch.setenv(NO_DETECT_VARIABLE, "1")


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of the shipped data files, for tests that corrupt them."""
    target = tmp_path / "data"
    target.mkdir()
    for path in shipped_data_dir().glob("*.toml"):
        (target / path.name).write_bytes(path.read_bytes())
    return target


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        value = json.loads(self.out)
        assert isinstance(value, dict)
        return value


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Run ``cudnn-resolve ARGS`` in process; returns exit code and captured output."""

    def run(*args: str) -> Run:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture(scope="session")
def real_conda(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealConda]:
    """The real conda from shared/conda with this checkout installed (tests/real_conda.py); one per run."""
    from .real_conda import make_real_conda, remove

    conda = make_real_conda(tmp_path_factory.mktemp("real-conda"))
    yield conda
    remove(conda)


@pytest.fixture(scope="module")
def workspace() -> Iterator[Workspace]:
    """A directory for one test module's real environments (e2e), deleted after the module."""
    space = Workspace()
    yield space
    space.close()
