"""`create` without the real index: planning, refusals, the rattler backend against a local channel,
and safety (interrupts, kills, concurrent creates) with uv pointed at a local index that never answers."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cudnn_resolve.data import load_knowledge_base
from cudnn_resolve.envs import Plan, build
from cudnn_resolve.envs.progress import Progress
from cudnn_resolve.envs.staging import BUILD_MARK
from cudnn_resolve.request import Request, Target, parse_frameworks
from cudnn_resolve.resolver import resolve
from cudnn_resolve.versions import Platform, version

from .conftest import Run


def test_dry_run_touches_nothing(cli: Callable[..., Run], tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    run = cli("create", "torch==2.14.1", "-p", str(prefix), "--no-detect", "--dry-run", "--json")
    assert run.code == 0, run.err
    plan = run.json()["plan"]
    assert plan["backend"] == "uv"
    assert "torch==2.14.1" in plan["packages"]
    assert "constraint: nvidia-cudnn-cu13==9.24.0.43" in plan["packages"]
    assert list(tmp_path.iterdir()) == []


def test_existing_prefix_is_refused(cli: Callable[..., Run], tmp_path: Path) -> None:
    prefix = tmp_path / "env"
    prefix.mkdir()
    (prefix / "keep").write_text("mine")
    run = cli("create", "torch==2.14.1", "-p", str(prefix), "--no-detect")
    assert run.code == 2
    assert "already exists" in run.err
    assert "--force" in run.err
    assert (prefix / "keep").read_text() == "mine"


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_unwritable_parent(cli: Callable[..., Run], dry_run: list[str]) -> None:
    # A dry run checks what the real run checks first, and refuses what it refuses.
    run = cli("create", "torch==2.14.1", "-p", "/proc/cudnn-resolve-test/env", "--no-detect", *dry_run)
    assert run.code == 2
    assert "cannot create the environment in" in run.err


def test_dry_run_refuses_an_existing_prefix(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("create", "torch==2.14.1", "-p", str(tmp_path), "--no-detect", "--dry-run")
    assert run.code == 2
    assert "already exists" in run.err
    assert (
        cli("create", "torch==2.14.1", "-p", str(tmp_path), "--no-detect", "--dry-run", "--force").code == 0
    )
    assert list(tmp_path.iterdir()) == []


def test_no_target_is_bad_input(cli: Callable[..., Run]) -> None:
    run = cli("create", "torch==2.14.1", "--no-detect")
    assert run.code == 2
    assert "-p PREFIX or -n NAME" in run.err


def test_rattler_backend_offline(tmp_path: Path) -> None:
    """A conda-format environment from a local channel: solve, install, preload, manifest, relocation."""
    pytest.importorskip("rattler")
    from .conda_channel import FakePackage, cuda_channel

    marker = FakePackage(
        "prefix-marker",
        "1.0",
        "h0",
        files={"etc/marker.conf": b"root=/opt/anaconda1anaconda2anaconda3\n"},
        prefixed=("etc/marker.conf",),
    )
    channel = cuda_channel(tmp_path / "channel", extra=[marker])
    kb = load_knowledge_base()
    request = Request(
        parse_frameworks(["tf=2.10"]), platform=Platform.LINUX_64, python=version("3.10"), target=Target.CONDA
    )
    resolution = resolve(request, kb)
    # Only the conda side: the pip section (TensorFlow itself) would need the package index.
    conda = dataclasses.replace(
        resolution.conda, dependencies=(*resolution.conda.dependencies, "prefix-marker"), pip=()
    )
    resolution = dataclasses.replace(resolution, conda=conda)
    prefix = tmp_path / "envs" / "tf210"
    plan = Plan(
        prefix,
        "rattler",
        "test",
        "3.10 from the test channel",
        resolution,
        None,
        (channel,),
        ("cudnn-resolve", "create"),
    )
    created = build(plan, kb, Progress(False), check=False, force=False)
    assert created.prefix == prefix.absolute()
    assert (prefix / "conda-meta").is_dir()
    assert (prefix / "lib" / "libcudnn.so.8").is_file()
    manifest = json.loads((prefix / "cudnn-resolve.json").read_text())
    assert manifest["backend"] == "rattler"
    assert manifest["resolution"]["cudnn_version"] == "8.1.0.77"
    assert "lib/libcudnn.so.8" in manifest["preloaded_libraries"]
    site = next(prefix.glob("lib/python3*/site-packages"))
    assert "lib/libcudnn.so.8" in (site / "_cudnn_resolve_preload.py").read_text()
    assert (site / "cudnn-resolve-preload.pth").read_text() == "import _cudnn_resolve_preload\n"
    # Installed with the build directory as its prefix, then relocated before the move.
    assert (prefix / "etc" / "marker.conf").read_text() == f"root={prefix.absolute()}\n"
    assert not list((tmp_path / "envs").glob(f".*{BUILD_MARK}*"))


# --- safety: a local index that accepts connections and never answers keeps uv busy "mid-install" ---------


@pytest.fixture
def stalled_index() -> Iterator[str]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/simple"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def _create(prefix: Path, index: str) -> subprocess.Popen[str]:
    # UV_NO_CACHE makes uv download from the stalled index; its temporary cache is not removed when uv is
    # interrupted, so it goes to a TMPDIR under the test's own directory, removed with it.
    tmp = prefix.parent / "tmp"
    tmp.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "UV_INDEX_URL": index,
        "UV_HTTP_TIMEOUT": "600",
        "UV_NO_CACHE": "1",
        "TMPDIR": str(tmp),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "cudnn_resolve", "create", "torch==2.14.1", "-p", str(prefix), "--no-detect"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def _wait_for_build(parent: Path, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        builds = list(parent.glob(f".*{BUILD_MARK}*"))
        if builds and (builds[0] / "pyvenv.cfg").exists():
            time.sleep(1)  # uv is now installing (blocked on the index)
            return builds[0]
        time.sleep(0.2)
    raise AssertionError("the create never started installing")


def test_ctrl_c_mid_install_leaves_nothing(tmp_path: Path, stalled_index: str) -> None:
    prefix = tmp_path / "env"
    proc = _create(prefix, stalled_index)
    _wait_for_build(tmp_path)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert not prefix.exists()
    assert not list(tmp_path.glob(f".*{BUILD_MARK}*"))


def test_sigterm_mid_install_leaves_nothing(tmp_path: Path, stalled_index: str) -> None:
    prefix = tmp_path / "env"
    proc = _create(prefix, stalled_index)
    _wait_for_build(tmp_path)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert not prefix.exists()
    assert not list(tmp_path.glob(f".*{BUILD_MARK}*"))


def test_kill_mid_install_leaves_nothing_at_prefix(tmp_path: Path, stalled_index: str) -> None:
    prefix = tmp_path / "env"
    proc = _create(prefix, stalled_index)
    stale = _wait_for_build(tmp_path)
    os.killpg(proc.pid, signal.SIGKILL)  # the create and its uv child, as a kill -9 of the session
    proc.communicate(timeout=60)
    assert not prefix.exists()
    assert stale.exists()  # a killed process cannot clean up; the next create does
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    again = _create(prefix, f"http://127.0.0.1:{port}/simple")  # nothing listens: uv fails fast
    _, err = again.communicate(timeout=300)
    assert again.returncode == 1, err
    assert "uv pip install failed" in err
    assert "run the same command again" in err
    assert not stale.exists()
    assert not prefix.exists()


def test_concurrent_create_of_one_prefix_fails_at_once(tmp_path: Path, stalled_index: str) -> None:
    prefix = tmp_path / "env"
    first = _create(prefix, stalled_index)
    try:
        _wait_for_build(tmp_path)
        started = time.monotonic()
        second = _create(prefix, stalled_index)
        _, err = second.communicate(timeout=120)
        assert second.returncode == 1
        assert "another cudnn-resolve create is building" in err
        assert time.monotonic() - started < 60
    finally:
        os.killpg(first.pid, signal.SIGINT)
        first.communicate(timeout=60)
    assert not prefix.exists()
