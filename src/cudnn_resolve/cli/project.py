"""Write the answer into a uv project's pyproject.toml, so that `uv lock` and `uv sync` land on it.

Creates or updates DIR/pyproject.toml (default: this directory) in place, keeping its formatting,
comments and other tables: the framework requirements in [project] dependencies; requires-python narrowed
to what the answer allows; the exact nvidia-* pins as [tool.uv] constraint-dependencies and the platforms
asked as required-environments; for a PyTorch CUDA build that is not the package index's default, a named
[[tool.uv.index]] (explicit = true) and [tool.uv.sources] routing torch there on those platforms; and
[tool.cudnn-resolve], the request and the answer (CUDA, cuDNN, minimum driver, what was assumed about
the machine). Running it again changes nothing; a run with another request replaces what the earlier one
wrote. A hand-written source, index or constraint that contradicts the answer is an error (exit 2) and
nothing is written. Then: uv lock && uv sync; lock --check uv.lock and check -p .venv verify the result.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError
from ..fileio import write_files
from ..writers import command_text
from .options import add_json_argument, add_request_arguments, platforms_of, resolve_for

if TYPE_CHECKING:
    from ..resolver.resolution import Resolution
    from ..writers.pyproject import ProjectEdit

HELP = __doc__ or ""
DOCS = "project.md"
EXAMPLES = (
    ("{prog} project tf=2.18 --platform linux-64", "then: uv lock && uv sync && {prog} check -p .venv"),
    (
        "{prog} project torch==2.4.1+cu118 --platform linux-64 --platform win-64 --dry-run",
        "the change a PyTorch CUDA 11.8 build needs on two platforms, as a diff; writes nothing",
    ),
    ("{prog} project jax --path ./my-project --json", "another directory's project; JSON for scripts"),
)
FILE = "pyproject.toml"
# Options that say how this run behaves, not what the project holds: left out of the recorded command.
_RUN_ONLY = {"--dry-run": 0, "--json": 0, "--path": 1}


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, multi_platform=True)
    project = parser.add_argument_group("project")
    project.add_argument(
        "--tool", choices=["uv"], default="uv", help="the project tool whose configuration to write (uv)"
    )
    project.add_argument(
        "--path",
        metavar="DIR",
        type=Path,
        default=Path(),
        help="the project directory (default: this one); its pyproject.toml is created if missing",
    )
    project.add_argument(
        "--dry-run", action="store_true", help="print the change as a unified diff and write nothing"
    )
    add_json_argument(parser)


def recorded_command(argv: Sequence[str]) -> str:
    """The command to put in the project: this one, less the options about this run."""
    kept: list[str] = []
    skip = 0
    for arg in argv:
        if skip:
            skip -= 1
            continue
        name = arg.split("=", 1)[0]
        if name in _RUN_ONLY:
            skip = _RUN_ONLY[name] if "=" not in arg else 0
            continue
        kept.append(arg)
    return command_text(kept)


def project_file(path: Path) -> Path:
    """DIR/pyproject.toml (``path`` may also name the file itself)."""
    if path.name == FILE and not path.is_dir():
        return path
    if path.is_dir() or not path.exists():
        return path / FILE
    raise UsageError(f"--path {path} is a file, not a project directory. Give the directory holding {FILE}")


def _read(file: Path) -> str | None:
    if not file.exists():
        return None
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {file}: {exc}. Check the file and its permissions") from None


def _project_name(directory: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", directory.resolve().name).strip("-._")
    return name or "project"


def execute(args: argparse.Namespace) -> int:
    # The TOML editor loads when the verb runs: every command (and conda, for its plugins) builds this
    # parser, and only this verb needs it.
    from ..writers.pyproject import edit_pyproject  # noqa: PLC0415
    from ..writers.uvproject import uv_project_config  # noqa: PLC0415

    resolutions = [resolve_for(args, p) for p in platforms_of(args)]
    file = project_file(args.path)
    before = _read(file)
    config = uv_project_config(resolutions, recorded_command(args.argv))
    edit = edit_pyproject(before, config, _project_name(file.parent), str(file))
    changed = edit.text != (before or "")
    diff = "".join(
        difflib.unified_diff(
            (before or "").splitlines(keepends=True),
            edit.text.splitlines(keepends=True),
            fromfile=str(file) if before is not None else "/dev/null",
            tofile=str(file),
        )
    )
    written = changed and not args.dry_run
    if written:
        file.parent.mkdir(parents=True, exist_ok=True)
        write_files([(file.resolve(), edit.text)])
    if args.json:
        body = {
            "schema": 1,
            "file": str(file),
            "changed": changed,
            "written": written,
            "diff": diff,
            "replaced": list(edit.replaced),
            "restored": list(edit.restored),
            "resolutions": [r.to_json() for r in resolutions],
        }
        print(json.dumps(body, indent=2))
        return 0
    print(_report(file, before, edit, diff=diff, dry_run=args.dry_run, resolutions=resolutions))
    return 0


def _report(
    file: Path,
    before: str | None,
    edit: ProjectEdit,
    *,
    diff: str,
    dry_run: bool,
    resolutions: Sequence[Resolution],
) -> str:
    changed = edit.text != (before or "")
    lines = []
    if dry_run:
        lines.append(diff.rstrip("\n") if changed else f"{file}: no change")
        lines.append("(dry run: nothing written)")
    elif changed:
        lines.append(f"{'created' if before is None else 'updated'} {file}")
    else:
        lines.append(f"{file} already holds this answer: nothing to change")
    lines += [f"replaced your dependency {text!r}" for text in edit.replaced]
    lines += [f"restored your dependency {text!r} (an earlier run had replaced it)" for text in edit.restored]
    for r in resolutions:
        frameworks = ", ".join(f.display for f in r.frameworks)
        if r.cuda_runtime is None:
            lines.append(f"{r.platform}: {frameworks}, CPU only")
        else:
            lines.append(
                f"{r.platform}: {frameworks}, CUDA {r.cuda_runtime}, cuDNN {r.cudnn_version}, "
                f"driver >= {r.driver_min}"
            )
        for f in r.frameworks:
            if not f.brings_cuda and r.delivery == "pip":
                lines.append(
                    f"note: {f.display} ships no CUDA libraries and opens them by name through the system's "
                    "library search, which does not look inside the environment: after uv sync it may not "
                    "find the pinned nvidia-* libraries (see which cuDNN it gets: 'cudnn-resolve check'); "
                    "'cudnn-resolve create' makes an environment that loads them"
                )
    where = "" if file.parent == Path() else f" --directory {file.parent}"
    lines.append(
        f"next: uv lock{where} && uv sync{where}, then: cudnn-resolve check -p {file.parent / '.venv'}"
    )
    return "\n".join(lines)
