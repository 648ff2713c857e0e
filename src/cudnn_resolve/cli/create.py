"""Create an isolated environment that loads exactly the pinned CUDA libraries, and prove it.

Resolves the request (or reads --lock FILE), builds the environment in a temporary directory beside the
target with the chosen backend (uv for pip-delivered frameworks; a conda-format environment through conda,
mamba, micromamba or the embedded py-rattler where CUDA comes from conda-forge), makes it load its own
CUDA libraries with no activation and no LD_LIBRARY_PATH, runs the smoke test (`check`) with the new
interpreter, and only then moves it to PREFIX. On an error, Ctrl-C or a kill, nothing is left at PREFIX.
The environment records what it was created from in PREFIX/cudnn-resolve.json.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

from packaging.specifiers import SpecifierSet

from ..data import load_knowledge_base
from ..env_layout import backend_python
from ..envs import BACKENDS, CheckFailedError, Created, Plan, build, choose_backend, named_prefix
from ..envs.create import errors_of
from ..envs.progress import Progress
from ..envs.python_finder import find_python
from ..envs.staging import preflight
from ..errors import ConflictingOptionsError, CudnnResolveError, RequestSyntaxError
from ..lock.check import read_lock
from ..lock.merge import python_range
from ..request import Target
from ..resolver import resolve
from ..versions import version
from .conda_context import add_channel_arguments, channels_of, conda_context
from .options import add_json_argument, add_request_arguments, build_request, require_pip_packages

HELP = __doc__ or ""
DOCS = "create.md"
EXAMPLES = (
    (
        "{prog} create torch==2.14.1 -p ./env",
        "a venv whose torch loads its own cuDNN, proven before it is moved into place",
    ),
    (
        "{prog} create tf=2.10 -n tf210 --python 3.10",
        "TensorFlow 2.10 needs Python <= 3.10: found on PATH, in pyenv, conda or uv",
    ),
    (
        "{prog} create --lock pylock.toml -p ./env --dry-run",
        "what installing a lock would do; touches nothing",
    ),
)
CONDA_FORMAT = ("conda", "rattler")  # backends that make a conda prefix from conda channels


class EnvironmentCheckError(CudnnResolveError):
    exit_code = 1

    def __init__(self, prefix: Path, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(
            f"the new environment failed its smoke test, so nothing was created at {prefix}: "
            + "; ".join(errors)
            + ". Create it anyway with --no-check, then investigate with cudnn-resolve check"
        )


def configure_parser(parser: argparse.ArgumentParser) -> None:
    add_request_arguments(parser, optional_request=True)
    where = parser.add_argument_group("environment")
    target = where.add_mutually_exclusive_group()
    target.add_argument("-p", "--prefix", type=Path, metavar="PREFIX", help="create the environment here")
    target.add_argument(
        "-n", "--name", help="create it under the per-user directory (see: cudnn-resolve envs)"
    )
    where.add_argument("--backend", choices=BACKENDS, default="auto", help="how to build it (default: auto)")
    where.add_argument(
        "--lock", type=Path, metavar="FILE", help="install exactly this lockfile (from cudnn-resolve lock)"
    )
    add_channel_arguments(where, "for the conda and rattler backends")
    where.add_argument(
        "--dry-run", action="store_true", help="print what would be installed and where; touch nothing"
    )
    where.add_argument("--no-check", action="store_true", help="skip the smoke test")
    where.add_argument("--force", action="store_true", help="replace an existing environment at the prefix")
    add_json_argument(parser)


def _prefix(args: argparse.Namespace) -> Path:
    if args.prefix is not None:
        return Path(args.prefix)
    context = conda_context(args)
    if args.name and context is not None:  # inside conda, -n names a conda environment
        return context.prefix_of(args.name)
    if args.name:
        return named_prefix(args.name)
    raise ConflictingOptionsError("no place for the environment was given", "Pass -p PREFIX or -n NAME")


def make_plan(args: argparse.Namespace) -> Plan:
    prefix = _prefix(args)
    preflight(prefix, args.force)  # what the build checks first, so a dry run refuses what it refuses
    context = conda_context(args)
    running_conda = context.command if context is not None else ()
    argv = tuple(args.argv)
    channels = channels_of(args)
    if args.lock is not None:
        if args.request or args.host:
            raise ConflictingOptionsError(
                "a request or --host and --lock were both given",
                "Give one: the lock pins everything (give --host when making the lock)",
            )
        locked = read_lock(args.lock)
        if locked.kind.startswith("conda"):
            raise ConflictingOptionsError(
                f"{args.lock} is a conda lock",
                f"create conda environments from it with: conda create --prefix {prefix} --file {args.lock}",
            )
        if locked.kind == "uv-lock":
            raise ConflictingOptionsError(
                f"{args.lock} is a uv project's lock",
                "Install it with uv itself ('uv sync' in the project directory), then verify the "
                "environment with 'cudnn-resolve check -p .venv'",
            )
        backend = "pip" if args.backend == "pip" else "uv"
        # The newest interpreter among the Pythons the lock holds wheels for (--python picks one of them).
        locked_range = SpecifierSet(python_range(locked.pythons)) if locked.pythons else SpecifierSet()
        python = find_python(locked_range, args.python)
        return Plan(
            prefix, backend, "installing a pip lock", str(python.path), None, args.lock, channels, argv
        )
    if not args.request:
        raise RequestSyntaxError("", "no framework was named (or give --lock FILE)")
    built = build_request(args, argv)
    request = built.request
    resolution = resolve(request, built.kb, built.host, built.notes)
    backend, why, conda = choose_backend(args.backend, resolution, running_conda)
    if backend in ("conda", "rattler"):
        if request.target is None:  # a conda environment takes CUDA from conda where the framework has none
            resolution = resolve(replace(request, target=Target.CONDA), built.kb, built.host, built.notes)
        from_channels = f"{resolution.python_version} from {', '.join(channels)}"
        return Plan(prefix, backend, why, from_channels, resolution, None, channels, argv, conda)
    require_pip_packages(resolution, f"the {backend} backend")
    found = find_python(SpecifierSet(resolution.python), args.python, str(resolution.python_version))
    minor = f"{found.version.major}.{found.version.minor}"
    if str(resolution.python_version) != minor:  # resolve again for the interpreter we really have
        resolution = resolve(replace(request, python=version(minor)), built.kb, built.host, built.notes)
    return Plan(prefix, backend, why, str(found.path), resolution, None, channels, argv, conda)


def _plan_json(plan: Plan) -> dict[str, object]:
    return {
        "prefix": str(plan.prefix.absolute()),
        "backend": plan.backend,
        "backend_reason": plan.backend_reason,
        "python": plan.python,
        "packages": list(plan.packages),
        "lock": str(plan.lock) if plan.lock else None,
        "channels": list(plan.channels) if plan.backend in CONDA_FORMAT else [],
        "resolution": plan.resolution.to_json() if plan.resolution else None,
    }


def execute(args: argparse.Namespace) -> int:
    progress = Progress.for_terminal(args.json)
    plan = make_plan(args)
    progress.say(f"backend: {plan.backend} ({plan.backend_reason}); python: {plan.python}")
    if args.dry_run:
        return _print_dry_run(plan, args.json)
    try:
        created = build(plan, load_knowledge_base(), progress, check=not args.no_check, force=args.force)
    except CheckFailedError as failed:
        raise EnvironmentCheckError(plan.prefix.absolute(), errors_of(failed.verdict)) from None
    context = conda_context(args)
    if context is not None and plan.backend in CONDA_FORMAT:
        context.register(created.prefix)  # `conda env list` and `conda doctor` know it from now on
    print(json.dumps(_created_json(plan, created), indent=2) if args.json else _created_text(plan, created))
    return 0


def _channels_line(plan: Plan) -> list[str]:
    return [f"channels: {', '.join(plan.channels)}"] if plan.backend in CONDA_FORMAT else []


def _print_dry_run(plan: Plan, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"schema": 1, "dry_run": True, "plan": _plan_json(plan)}, indent=2))
        return 0
    lines = [f"would create {plan.prefix.absolute()} with {plan.backend} ({plan.backend_reason})"]
    lines += [f"python: {plan.python}", *_channels_line(plan), *(f"  {package}" for package in plan.packages)]
    print("\n".join(lines))
    return 0


def _created_json(plan: Plan, created: Created) -> dict[str, object]:
    verdict = created.verdict
    return {
        "schema": 1,
        "created": str(plan.prefix.absolute()),
        "plan": _plan_json(plan),
        "preloaded_libraries": list(created.preloaded),
        "check": None
        if verdict is None
        else {
            "passed": verdict.passed,
            "loaded_cudnn": verdict.loaded_cudnn,
            "findings": [f.to_json() for f in verdict.findings],
        },
    }


def _created_text(plan: Plan, created: Created) -> str:
    lines = [f"created {plan.prefix.absolute()} ({plan.backend})", *_channels_line(plan)]
    if created.verdict is not None:
        lines.append(f"smoke test: PASS, loaded cuDNN {created.verdict.loaded_cudnn}")
        lines += [f"  {message}" for message in created.messages()]
    else:
        lines.append("smoke test: skipped (--no-check)")
    python = backend_python(plan.prefix.absolute(), plan.backend)
    lines.append(f"run it with: {python}  (no activation needed)")
    return "\n".join(lines)
