"""Options shared by every verb that resolves: the request and the facts that constrain it."""

from __future__ import annotations

import argparse
import copy
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..data import KnowledgeBase, load_knowledge_base
from ..errors import ConflictingOptionsError, InvalidOptionError
from ..host import HostInfo, facts_for, host_platform
from ..hostfile import HostFacts, load_host_files
from ..request import Request, Target, conda_to_pep440, parse_frameworks
from ..resolver import Resolution, host_platforms, request_for_hosts, resolve
from ..resolver.hosts import host_notes
from ..versions import (
    ComputeCapability,
    DriverVersion,
    Platform,
    parse_specifier_option,
    parse_version_option,
)
from .helptext import JSON_HELP

host_platform_name = host_platform  # this machine's platform (the default --platform)

REQUEST_HELP = (
    "what to resolve: a framework (tensorflow/tf, torch/pytorch, jax) with an optional version, "
    "e.g. tf=2.10, 'tensorflow==2.15.*', 'torch>=2.4,<2.6', torch==2.4.1+cu118, jax=0.4.30. "
    "conda-style '=2.10' means 2.10.*. Several frameworks must share one CUDA and cuDNN."
)


def add_request_arguments(
    parser: argparse.ArgumentParser,
    multi_platform: bool = False,
    optional_request: bool = False,
    several_pythons: bool = False,
) -> None:
    parser.add_argument(
        "request", nargs="*" if optional_request else "+", metavar="REQUEST", help=REQUEST_HELP
    )
    group = parser.add_argument_group("resolution options")
    group.add_argument(
        "--python",
        metavar="VERSION|PATH",
        action="append" if several_pythons else "store",
        help="the Python the environment will run: a version (3.11) or an interpreter's path (default: "
        "the newest the frameworks allow)" + ("; repeat to lock several" if several_pythons else ""),
    )
    group.add_argument(
        "--platform",
        metavar="PLATFORM",
        action="append" if multi_platform else "store",
        help="linux-64, linux-aarch64 or win-64 (osx-64/osx-arm64 give a CPU-only answer); "
        "default: this machine's" + ("; repeat for several platforms" if multi_platform else ""),
    )
    group.add_argument(
        "--driver",
        metavar="VERSION",
        help="resolve for this NVIDIA driver (e.g. 535.104.05); overrides detection",
    )
    group.add_argument(
        "--gpu-arch",
        metavar="X.Y",
        action="append",
        default=[],
        help="GPU compute capability to support (e.g. 8.6); repeat for several GPUs; overrides detection",
    )
    group.add_argument(
        "--host",
        metavar="FILE",
        action="append",
        default=[],
        help="resolve one answer for every host in FILE (from 'doctor --json', 'fleet doctor' or by hand; "
        "docs/teams.md): the lowest driver, every GPU architecture; repeatable; replaces detection",
    )
    group.add_argument("--cuda", metavar="VERSION", help="require this CUDA (e.g. 12.4, or 12 for any 12.x)")
    group.add_argument(
        "--cudnn", metavar="VERSION", help="require this cuDNN (e.g. 9.1, or 8.9.7.29 exactly)"
    )
    group.add_argument(
        "--target",
        choices=[t.value for t in Target],
        help="where CUDA/cuDNN come from when the framework does not bring them: NVIDIA's pip wheels or "
        "conda-forge (default: pip where wheels exist, else conda)",
    )
    group.add_argument(
        "--framework-from",
        choices=["pip", "conda"],
        default="pip",
        help="take the frameworks from the package index (default) or use conda-forge's own CUDA builds",
    )
    group.add_argument(
        "--no-detect",
        action="store_true",
        help="do not look for a driver and GPUs on this machine (resolve for the package index's default)",
    )
    group.add_argument(
        "--data-dir", metavar="DIR", type=existing_directory, help="read the knowledge base from DIR"
    )


def existing_directory(text: str) -> Path:
    """An argparse type: a directory that exists (else the usage error names the option and the path)."""
    if not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"{text} is not a directory")
    return Path(text)


def add_json_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help=JSON_HELP)


def python_minor(value: str) -> Version:
    """--python as the X.Y to resolve for: a version (3.11, 3.11.4) or an interpreter's path (its
    version, found by running it), the same two forms in every verb."""
    from ..envs.python_finder import NotAnInterpreterError, ask, looks_like_path  # noqa: PLC0415

    if looks_like_path(value):
        found = ask(value, "--python")
        if found is None:
            raise NotAnInterpreterError(value)
        full = found.version
    else:
        full = parse_version_option("--python", value, "a Python version such as 3.11, or an interpreter")
    if full.major != 3 or len(full.release) < 2:
        raise InvalidOptionError("--python", value, "a Python 3 version such as 3.11, or an interpreter")
    return parse_version_option("--python", f"{full.major}.{full.minor}", "")


def _loose_spec(option: str, text: str) -> SpecifierSet:
    """'12.4' means 12.4.*, '12' means any 12.x, and a PEP 440 range is taken as written."""
    return parse_specifier_option(option, conda_to_pep440(text.strip()), "a version such as 12.4 or a range")


@dataclass(frozen=True)
class Resolved:
    """A request built from arguments, with what host detection found and notes about it."""

    request: Request
    host: HostInfo
    notes: tuple[str, ...]
    kb: KnowledgeBase


def build_request(args: argparse.Namespace, argv: tuple[str, ...] = ()) -> Resolved:
    """Turn parsed arguments into a Request, running host detection unless told not to (or --host)."""
    hosts = load_host_files(args.host) if getattr(args, "host", None) else ()
    platform = Platform.parse(args.platform) if args.platform else _hosts_platform(hosts)
    python = python_minor(args.python) if args.python else None
    driver = DriverVersion.parse(args.driver) if args.driver else None
    gpus = tuple(
        sorted({ComputeCapability.parse(g) for a in args.gpu_arch for g in a.split(",") if g.strip()})
    )
    if hosts:
        if driver is not None or gpus:
            raise ConflictingOptionsError(
                "--host and --driver/--gpu-arch were both given",
                "Give the host facts one way: in host files, or as flags",
            )
        host = HostInfo(None, (), "host-files", tuple(f"--host {p}" for p in args.host))
        notes: list[str] = []
    else:
        facts = facts_for(platform, driver, gpus, detect=not args.no_detect)
        driver, gpus, host, notes = facts.driver, facts.gpus, facts.host, list(facts.notes)
    kb = load_knowledge_base(args.data_dir.resolve() if args.data_dir else None)
    request = Request(
        frameworks=parse_frameworks(args.request),
        platform=platform,
        python=python,
        driver=driver,
        gpus=gpus,
        cuda=_loose_spec("--cuda", args.cuda) if args.cuda else None,
        cudnn=_loose_spec("--cudnn", args.cudnn) if args.cudnn else None,
        target=Target(args.target)
        if args.target
        else (Target.CONDA if args.framework_from == "conda" else None),
        framework_source=args.framework_from,
        argv=argv,
    )
    if hosts:
        request = request_for_hosts(request, hosts)
        notes += host_notes(request, hosts)
    return Resolved(request, host, tuple(notes), kb)


def _hosts_platform(hosts: tuple[HostFacts, ...]) -> Platform:
    """The platform of the --host files (all on one), else this machine's."""
    platforms = host_platforms(hosts)
    if len(platforms) > 1:
        where = "; ".join(f"{p}: {', '.join(h.label for h in hosts if h.platform is p)}" for p in platforms)
        raise ConflictingOptionsError(
            f"the hosts are on several platforms ({where}) and this command writes one",
            "Choose one with --platform P (its hosts are resolved for), or lock them all at once: "
            "cudnn-resolve lock REQUEST --host FILE... (one lock per platform)",
        )
    return platforms[0] if platforms else host_platform_name()


def resolve_from_args(args: argparse.Namespace, target: Target | None = None) -> Resolution:
    """Build the request from ``args`` (``target`` is the verb's default when --target is absent) and
    resolve it; the command line that asked is kept for file headers."""
    built = build_request(args, tuple(args.argv))
    request = built.request
    if request.target is None and target is not None:
        request = replace(request, target=target)
    return resolve(request, built.kb, built.host, built.notes)


def platforms_of(args: argparse.Namespace) -> list[Platform]:
    """The platforms a verb taking --platform several times was asked for (default: every platform of
    the --host files, else this machine's)."""
    given = [Platform.parse(p) for p in (args.platform or [])]
    hosts = host_platforms(load_host_files(args.host)) if getattr(args, "host", None) and not given else ()
    return list(dict.fromkeys(given or hosts or [host_platform_name()]))


def resolve_for(args: argparse.Namespace, platform: Platform, target: Target | None = None) -> Resolution:
    """``resolve_from_args`` for one of several platforms."""
    one = copy.copy(args)
    one.platform = str(platform)
    return resolve_from_args(one, target=target)


def require_pip_packages(resolution: Resolution, output: str) -> None:
    """Refuse to write an empty pip file (or build an empty venv): with --framework-from conda, every
    package comes from conda-forge and pip has nothing to install."""
    if not resolution.pip.requirements:
        raise ConflictingOptionsError(
            f"{output} installs pip packages, and with --framework-from conda every package comes from "
            "conda-forge",
            "Write a conda environment instead: cudnn-resolve env-file ... (or lock --format conda-lock, "
            "create --backend rattler)",
        )
