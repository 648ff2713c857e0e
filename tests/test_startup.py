"""Start-up: a command imports the verb it runs and what that verb needs, nothing more."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Run a command in a fresh interpreter and list the project's modules it imported.
SCRIPT = """
import contextlib, io, sys
from cudnn_resolve.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
print("\\n".join(sorted(m for m in sys.modules if m.startswith("cudnn_resolve"))))
"""


def _imported(*argv: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", SCRIPT, *argv], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_version_imports_no_verb_and_no_data() -> None:
    loaded = _imported("--version")
    assert not loaded & {"argparse", "typing", "cudnn_resolve.cli.parser"}
    assert not {m for m in loaded if m.startswith(("cudnn_resolve.cli.", "cudnn_resolve.data"))} - {
        "cudnn_resolve.cli.helptext",
        "cudnn_resolve.cli.streams",
    }
    assert "cudnn_resolve.resolver" not in loaded


@pytest.mark.parametrize(
    ("argv", "verb"),
    [(("pins", "tf=2.10", "--no-detect"), "pins"), (("matrix", "cudnn"), "matrix")],
)
def test_a_verb_imports_its_own_module_only(argv: tuple[str, ...], verb: str) -> None:
    loaded = _imported(*argv)
    verbs = {m.rsplit(".", 1)[1] for m in loaded if m.startswith("cudnn_resolve.cli.")}
    assert verb in verbs
    assert not verbs & {"create", "check", "doctor", "explain", "lock", "project", "envs", "data"}
    assert not {m for m in loaded if m.startswith(("cudnn_resolve.envs", "cudnn_resolve.probe"))}
    assert not {m for m in loaded if m.startswith(("cudnn_resolve.explain", "cudnn_resolve.lock"))}


def test_top_level_help_lists_every_verb() -> None:
    from cudnn_resolve.cli import VERBS

    done = subprocess.run(
        [sys.executable, "-m", "cudnn_resolve", "--help"], capture_output=True, text=True, check=True
    )
    for verb in VERBS:
        assert f"\n    {verb} " in done.stdout or f"\n    {verb}\n" in done.stdout
