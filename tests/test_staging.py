"""`create --force` replaces an environment without a moment where a crash loses the old one."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cudnn_resolve.envs.staging import PrefixExistsError, staged

# A child that replaces PREFIX with --force and is killed (SIGKILL: no cleanup runs) right after the
# first of the two renames, the old environment moved aside and the new one not yet in place.
KILLED_BETWEEN_RENAMES = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from cudnn_resolve.envs import staging

    real_rename = os.rename
    def rename(src, dst):
        real_rename(src, dst)
        if Path(src) == Path(sys.argv[1]):
            os.kill(os.getpid(), signal.SIGKILL)
    staging.os.rename = rename
    with staging.staged(Path(sys.argv[1]), force=True) as build:
        (build / "marker").write_text("new")
    """
)


def _old_env(tmp_path: Path) -> Path:
    prefix = tmp_path / "env"
    prefix.mkdir()
    (prefix / "marker").write_text("old")
    return prefix


def _kill_between_renames(prefix: Path) -> None:
    done = subprocess.run([sys.executable, "-c", KILLED_BETWEEN_RENAMES, str(prefix)], check=False)
    assert done.returncode == -signal.SIGKILL
    assert not prefix.exists()  # the window: no environment at PREFIX


def test_a_crash_between_the_renames_keeps_the_old_environment(tmp_path: Path) -> None:
    prefix = _old_env(tmp_path)
    _kill_between_renames(prefix)
    with pytest.raises(PrefixExistsError), staged(prefix, force=False):
        pass  # the next run puts the old environment back first, then refuses to replace it
    assert (prefix / "marker").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env.cudnn-resolve.lock", "env"]


def test_the_next_forced_run_replaces_it_and_only_then_deletes_the_old_one(tmp_path: Path) -> None:
    prefix = _old_env(tmp_path)
    _kill_between_renames(prefix)
    with staged(prefix, force=True) as build:
        (build / "marker").write_text("newer")
    assert (prefix / "marker").read_text() == "newer"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env.cudnn-resolve.lock", "env"]


def test_a_failed_forced_run_leaves_the_old_environment_in_place(tmp_path: Path) -> None:
    prefix = _old_env(tmp_path)

    def failing_install() -> None:
        with staged(prefix, force=True) as build:
            (build / "marker").write_text("new")
            raise RuntimeError("install failed")

    with pytest.raises(RuntimeError):
        failing_install()
    assert (prefix / "marker").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".env.cudnn-resolve.lock", "env"]
