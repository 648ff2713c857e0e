"""The one module that imports py-rattler: conda MatchSpecs, solves and installs, as plain synchronous calls.

py-rattler's API is async and changes between minor versions (0.27 renamed ``Platform`` to ``Subdir``;
0.28 made ``build`` a ``BuildString`` object), so the project supports one minor series, checks it at
import and keeps every rattler name behind this module. Nothing here needs conda, and a ``file://``
channel works offline.

Every function runs its own event loop (:func:`_run`): call them from synchronous code only, never from
inside a running loop.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import importlib.metadata
import os
import re
import shutil
import time
import weakref
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar
from urllib.parse import urlparse
from urllib.request import url2pathname

from ..errors import EXIT_BAD_INPUT, EXIT_NO_ANSWER, CudnnResolveError, InvalidOptionError

# The supported py-rattler: the 0.28 series (patch releases keep a minor series' API). Tested with 0.28.0,
# the newest release on PyPI when this adapter was written and the only 0.28 release then (checked with
# `pip index versions py-rattler`). Requirement line: "py-rattler>=0.28,<0.29". Moving to another minor
# series means re-running tests/test_rattler_adapter.py and reading py-rattler's changelog for renamed
# names and new defaults.
RATTLER_SUPPORTED = (0, 28)
RATTLER_REQUIREMENT = "py-rattler>=0.28,<0.29"


class RattlerVersionError(ImportError):
    """py-rattler is missing or is not the pinned version; its API differs between minor versions."""

    def __init__(self, installed: str | None) -> None:
        self.installed = installed
        found = f"py-rattler {installed} is installed" if installed else "py-rattler is not installed"
        super().__init__(
            f"cudnn-resolve's conda support needs py-rattler 0.28.x (its API changes between minor "
            f"versions), but {found}. Install a supported version with: pip install '{RATTLER_REQUIREMENT}'"
        )


try:
    import rattler
    import rattler.exceptions
except ModuleNotFoundError as exc:
    raise RattlerVersionError(None) from exc


def _installed_rattler_version() -> str | None:
    try:
        return importlib.metadata.version("py-rattler")
    except importlib.metadata.PackageNotFoundError:
        # Installed without pip metadata (a source checkout on sys.path): trust the module itself.
        version = getattr(rattler, "__version__", None)
        return version if isinstance(version, str) else None


def supported_rattler(version: str | None) -> bool:
    """Whether ``version`` is in the supported minor series (0.28.0, 0.28.3: yes; 0.27.1, 0.29.0: no)."""
    parts = (version or "").split(".")
    return (
        len(parts) >= 2
        and parts[0].isdigit()
        and parts[1].isdigit()
        and (int(parts[0]), int(parts[1])) == RATTLER_SUPPORTED
    )


if not supported_rattler(_installed_rattler_version()):
    raise RattlerVersionError(_installed_rattler_version())


class CondaSolveError(CudnnResolveError):
    """No set of conda packages satisfies the specs on this platform with these virtual packages. Exit 1.

    ``explanation`` is rattler's conflict tree verbatim (multi-line, for a CLI to print as is); the message
    flattens it into one paragraph.
    """

    exit_code = EXIT_NO_ANSWER

    def __init__(
        self,
        specs: Sequence[str],
        channels: Sequence[str],
        platform: str,
        virtual_packages: Mapping[str, str],
        explanation: str,
    ) -> None:
        self.specs = tuple(specs)
        self.channels = tuple(channels)
        self.platform = platform
        self.virtual_packages = dict(virtual_packages)
        self.explanation = explanation
        machine = ", ".join(f"{k}={v}" for k, v in sorted(self.virtual_packages.items())) or "none"
        super().__init__(
            f"no conda environment for {platform} satisfies {', '.join(self.specs) or '(no specs)'} from "
            f"{', '.join(self.channels)} (virtual packages: {machine}): {_flatten_tree(explanation)}. "
            "Change or loosen the conflicting specs, or describe the target machine with virtual packages "
            "(__cuda is the newest CUDA its driver supports, which conda takes from CONDA_OVERRIDE_CUDA "
            "where there is no driver; __glibc is its C library)."
        )


class ChannelError(CudnnResolveError):
    """A conda channel, or a package file in it, cannot be read. Exit code 2."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, channels: Sequence[str], detail: str) -> None:
        self.channels = tuple(channels)
        self.detail = detail
        super().__init__(
            f"cannot read the conda channel {', '.join(self.channels)}: {_flatten_tree(detail)}. Check the "
            "channel name or URL. A local channel (file://...) needs a repodata.json in its noarch/ and "
            "platform subdirectories and every package file it lists (index it with 'conda index' or "
            "'rattler-index'); a named or https channel needs network access to it."
        )


class CondaInstallError(CudnnResolveError):
    """Packages were read but could not be linked into the prefix. Exit code 1."""

    exit_code = EXIT_NO_ANSWER

    def __init__(self, prefix: Path, detail: str) -> None:
        self.prefix = prefix
        self.detail = detail
        super().__init__(
            f"cannot install into {prefix}: {_flatten_tree(detail)}. The prefix was left as it was before; "
            "check that it is writable and has space, then install again."
        )


@dataclass(frozen=True)
class LockedPackage:
    """One solved conda package: everything needed to install it again without solving.

    ``md5``/``sha256`` are lowercase hex. ``channel`` is the channel's base URL (with a trailing slash, as
    rattler writes it); ``url`` the package file. ``noarch`` ("python" or "generic") decides where the
    files land, so an install from a lock needs it too.
    """

    name: str
    version: str
    build: str
    build_number: int
    subdir: str
    channel: str
    url: str
    md5: str | None
    sha256: str | None
    depends: tuple[str, ...]
    constrains: tuple[str, ...]
    size: int | None
    filename: str
    noarch: Literal["python", "generic"] | None = None

    def __str__(self) -> str:
        return f"{self.name} {self.version} {self.build}"


_NO_VIRTUAL_PACKAGES: Mapping[str, str] = MappingProxyType({})


def canonical_matchspec(text: str) -> str:
    """Parse ``text`` as a conda MatchSpec and return it in conda's space form: ``cudnn 8.1.*``.

    Parsing is lenient, as conda's own (``cudnn=8.1`` gives ``cudnn 8.1.*``; ``tf=2.10=cuda112*`` gives
    ``tf ==2.10 cuda112*``). The result parses back to itself.

    Raises:
        InvalidOptionError: ``text`` is not a MatchSpec (rattler's reason is the ``__cause__``).
    """
    return str(_parse_matchspec(text))


def version_matches(spec: str, version: str) -> bool:
    """Whether the conda package version ``version`` satisfies the MatchSpec version ``spec``, matched as
    conda does: ``12.0.*`` takes 12.0 and 12.0.1 (not 12.1), ``>=8.9,<9`` and ``8.1|8.2`` take ranges.

    Raises:
        InvalidOptionError: ``spec`` or ``version`` is not a conda version (specification).
    """
    try:
        return bool(rattler.VersionSpec(spec).matches(rattler.Version(version)))
    except (rattler.exceptions.InvalidVersionSpecError, rattler.exceptions.InvalidVersionError) as exc:
        raise InvalidOptionError("conda version", f"{spec} / {version}", "a conda version and spec") from exc


def solve(
    specs: Sequence[str],
    channels: Sequence[str],
    platform: str,
    virtual_packages: Mapping[str, str] = _NO_VIRTUAL_PACKAGES,
    *,
    cache_dir: Path | None = None,
) -> tuple[LockedPackage, ...]:
    """Solve ``specs`` against ``channels`` for the conda subdir ``platform`` (plus ``noarch``).

    ``channels`` are URLs (``file:///srv/channel``, ``https://...``) or names (``conda-forge``), in priority
    order, with strict channel priority (conda-forge's recommendation; conda's own default is flexible).
    ``virtual_packages`` maps ``__cuda``, ``__glibc``, ... to a version, or to ``version=build``
    (``__archspec``: ``1=x86_64``); they describe the *target* machine and nothing is detected from this
    one, so a package that needs ``__glibc`` fails unless it is given.
    ``cache_dir`` holds rattler's repodata and package caches (default: ``$RATTLER_CACHE_DIR``, else
    rattler's own default). pip is not added to python's dependencies (rattler's default, unlike conda).

    Returns:
        The solved packages, sorted by name.

    Raises:
        InvalidOptionError: a spec, the platform or a virtual package is malformed, or no channel is given.
        ChannelError: a channel cannot be read.
        CondaSolveError: the specs cannot be satisfied.
    """
    parsed = [_parse_matchspec(spec) for spec in specs]
    subdir = _subdir(platform)
    virtual = [_virtual_package(name, value) for name, value in sorted(virtual_packages.items())]
    if not channels:
        raise InvalidOptionError("channel", "", "at least one channel URL or name, such as 'conda-forge'")
    sources = [_channel(name) for name in channels]
    root = _cache_root(cache_dir)
    gateway = rattler.Gateway(cache_dir=root / "repodata" if root else None, show_progress=False)
    try:
        records = _run(
            rattler.solve(
                sources,
                parsed,
                gateway=gateway,
                platforms=[subdir, rattler.Subdir("noarch")],
                virtual_packages=virtual,
            )
        )
    except rattler.exceptions.SolverError as exc:
        raise CondaSolveError(specs, channels, platform, virtual_packages, str(exc)) from exc
    except (rattler.exceptions.GatewayError, rattler.exceptions.FetchRepoDataError) as exc:
        raise ChannelError(_channels_named_in(str(exc), channels, sources), str(exc)) from exc
    return tuple(sorted((_locked(record) for record in records), key=lambda p: p.name))


def install(
    packages: Sequence[LockedPackage], prefix: Path, platform: str, *, cache_dir: Path | None = None
) -> None:
    """Install solved ``packages`` into ``prefix``, a directory that does not exist yet or is empty.

    ``file://`` packages are read in place (no network) and checked against ``sha256``/``md5`` first,
    because rattler does not verify local files. Link scripts are not run (rattler's default). On failure
    the prefix is removed again (or emptied, if it existed before).

    Raises:
        InvalidOptionError: ``prefix`` is not empty, or ``platform`` is not a conda subdir.
        ChannelError: a package file cannot be read or does not match its checksum.
        CondaInstallError: linking into the prefix failed.
    """
    subdir = _subdir(platform)
    prefix = Path(prefix)
    existed = prefix.exists()
    if existed and (not prefix.is_dir() or any(prefix.iterdir())):
        raise InvalidOptionError("prefix", str(prefix), "a directory that does not exist yet or is empty")
    for package in packages:
        _check_local_file(package)
    records = [_repodata_record(package) for package in packages]
    root = _cache_root(cache_dir)
    try:
        _run(
            rattler.install(
                records,
                target_prefix=prefix,
                cache_dir=root / "pkgs" if root else None,
                platform=subdir,
                show_progress=False,
            )
        )
    except rattler.exceptions.InstallerError as exc:
        _undo(prefix, existed)
        detail = str(exc)
        if detail.startswith("failed to fetch"):
            raise ChannelError(sorted({p.channel for p in packages}), detail) from exc
        raise CondaInstallError(prefix, detail) from exc
    except BaseException:
        _undo(prefix, existed)
        raise


# --- the event loop -----------------------------------------------------------------------------------

_T = TypeVar("_T")
# How long to wait for rattler's threads to let go of the loop (they need the GIL for microseconds).
_RELEASE_TIMEOUT_S = 10.0


def _run(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """``asyncio.run``, and then wait until rattler's threads hold nothing of the loop any more.

    Why: py-rattler (0.28, through pyo3-async-runtimes) hands a result to the loop from a tokio thread with
    ``loop.call_soon_threadsafe``, whose socket write releases the GIL; the main thread can then finish the
    loop, the command and start interpreter shutdown while that thread still waits to take the GIL back to
    drop its references (the bound method, the future, the task locals). At shutdown CPython (< 3.14) ends
    a thread that asks for the GIL with ``pthread_exit``, which unwinds the Rust frames and drops those
    Python objects without the GIL: a segfault (exit 139) or ``PyGILState_Release`` abort (134) after a
    finished command, in about one run in seven of a script that exits right after a solve (gdb shows the
    tokio thread in ``method_dealloc`` under ``call_soon_threadsafe`` while the main thread is in
    ``Py_FinalizeEx``). Every such reference leads to the loop, so once the loop is freed the threads are
    done with Python; sleeping releases the GIL so they can finish.
    """
    loop = asyncio.new_event_loop()
    try:
        result = loop.run_until_complete(coroutine)
    except Exception as exc:
        # The traceback's frames hold the loop; the caller gets the error without them.
        failure: Exception | None = exc.with_traceback(None)
    else:
        failure = None
    finally:
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()
    released = weakref.ref(loop)
    del loop
    _wait_until_freed(released)
    if failure is not None:
        raise failure
    return result


def _wait_until_freed(ref: weakref.ref[asyncio.AbstractEventLoop]) -> None:
    deadline = time.monotonic() + _RELEASE_TIMEOUT_S
    collected = False
    while ref() is not None and time.monotonic() < deadline:
        time.sleep(0.001)
        if not collected and ref() is not None:
            gc.collect()  # a reference cycle (a task and its coroutine) may be all that holds the loop
            collected = True


# --- conversions --------------------------------------------------------------------------------------


def _parse_matchspec(text: str) -> rattler.MatchSpec:
    try:
        return rattler.MatchSpec(text)
    except rattler.exceptions.InvalidMatchSpecError as exc:
        raise InvalidOptionError("MatchSpec", text, "a conda MatchSpec such as 'cudnn 8.1.*'") from exc


def _subdir(platform: str) -> rattler.Subdir:
    expected = "a conda subdir such as linux-64, linux-aarch64 or win-64"
    if platform == "noarch":
        raise InvalidOptionError("platform", platform, expected + " (noarch is always included)")
    try:
        return rattler.Subdir(platform)
    except rattler.exceptions.ParseSubdirError as exc:
        raise InvalidOptionError("platform", platform, expected) from exc


def _virtual_package(name: str, value: str) -> rattler.GenericVirtualPackage:
    if not re.fullmatch(r"__[a-z0-9_\-.]+", name):
        raise InvalidOptionError("virtual package", name, "a name starting with '__', such as __cuda")
    version, _, build = value.partition("=")
    try:
        return rattler.GenericVirtualPackage(
            rattler.PackageName(name), rattler.Version(version), rattler.BuildString(build or "0")
        )
    except (rattler.exceptions.InvalidVersionError, ValueError) as exc:
        raise InvalidOptionError(
            f"virtual package {name}", value, "a version such as 12.4, optionally with =build (1=x86_64)"
        ) from exc


def _channel(name: str) -> rattler.Channel:
    try:
        return rattler.Channel(name)
    except (rattler.exceptions.InvalidChannelError, rattler.exceptions.InvalidUrlError) as exc:
        raise ChannelError([name], str(exc)) from exc


def _channels_named_in(detail: str, names: Sequence[str], sources: Sequence[rattler.Channel]) -> list[str]:
    # rattler's gateway errors carry a URL but not which of our channels it belongs to.
    named = [name for name, source in zip(names, sources) if source.base_url.rstrip("/") in detail]
    return named or list(names)


def _locked(record: rattler.RepoDataRecord) -> LockedPackage:
    noarch = record.noarch
    return LockedPackage(
        name=record.name.normalized,
        version=str(record.version),
        build=str(record.build),
        build_number=record.build_number,
        subdir=record.subdir,
        channel=record.channel,
        url=record.url,
        md5=record.md5.hex() if record.md5 is not None else None,
        sha256=record.sha256.hex() if record.sha256 is not None else None,
        depends=tuple(record.depends),
        constrains=tuple(record.constrains),
        size=record.size,
        filename=record.file_name,
        noarch="python" if noarch.python else "generic" if noarch.generic else None,
    )


def _repodata_record(package: LockedPackage) -> rattler.RepoDataRecord:
    record = rattler.PackageRecord(
        name=package.name,
        version=package.version,
        # Unchecked: legacy build strings predate CEP 26's character set and must survive a round trip.
        build=rattler.BuildString.new_unchecked(package.build),
        build_number=package.build_number,
        subdir=package.subdir,
        noarch=package.noarch,
        depends=list(package.depends),
        constrains=list(package.constrains),
        md5=bytes.fromhex(package.md5) if package.md5 else None,
        sha256=bytes.fromhex(package.sha256) if package.sha256 else None,
        size=package.size,
    )
    return rattler.RepoDataRecord(record, package.filename, package.url, package.channel)


# --- files and caches ---------------------------------------------------------------------------------


def _cache_root(cache_dir: Path | None) -> Path | None:
    # rattler's installer honours RATTLER_CACHE_DIR but its repodata gateway does not (0.28): pass one
    # root to both so a caller's or a test's cache setting covers everything.
    if cache_dir is not None:
        return Path(cache_dir)
    env = os.environ.get("RATTLER_CACHE_DIR")
    return Path(env) if env else None


def _check_local_file(package: LockedPackage) -> None:
    parsed = urlparse(package.url)
    if parsed.scheme != "file":
        return
    algorithm, expected = ("sha256", package.sha256) if package.sha256 else ("md5", package.md5)
    digest = hashlib.new(algorithm)
    try:
        with Path(url2pathname(parsed.path)).open("rb") as file:
            for chunk in iter(lambda: file.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as exc:
        raise ChannelError([package.channel], f"cannot read {package.url}: {exc.strerror}") from exc
    if expected and digest.hexdigest() != expected.lower():
        raise ChannelError(
            [package.channel],
            f"{package.url} has {algorithm} {digest.hexdigest()}, but the solve recorded {expected}; the "
            "channel changed since, so solve again",
        )


def _undo(prefix: Path, existed: bool) -> None:
    if not prefix.exists():
        return
    if not existed:
        shutil.rmtree(prefix, ignore_errors=True)
        return
    for child in prefix.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _flatten_tree(text: str) -> str:
    """Render rattler's multi-line explanation (an indented tree drawn with box characters) as one line.

    A parent ending in a verb ("would require") runs into its child; other parents get a colon, and
    siblings are separated by semicolons.
    """
    text = text.strip().removeprefix("Cannot solve the request because of:").strip()
    nodes: list[tuple[int, str]] = []
    for line in text.splitlines():
        stripped = line.lstrip("│├└─ \t")
        if stripped:
            nodes.append(((len(line) - len(stripped)) // 3, stripped.strip().rstrip(".")))
    return _render(nodes, 0, len(nodes)).replace("Caused by: ", "")


def _render(nodes: list[tuple[int, str]], start: int, end: int) -> str:
    parts: list[str] = []
    index = start
    while index < end:
        depth, text = nodes[index]
        child_end = index + 1
        while child_end < end and nodes[child_end][0] > depth:
            child_end += 1
        if child_end > index + 1:
            joiner = " " if text.endswith(("require", "requires", "constrain", "constrains")) else ": "
            text = text.rstrip(":") + joiner + _render(nodes, index + 1, child_end)
        parts.append(text)
        index = child_end
    return "; ".join(parts)
