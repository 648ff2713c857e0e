"""Find Python interpreters: where they live, which version each is, and the newest a range allows.

Looked for, in this order (the first of two copies of one version wins): this interpreter; PATH
(python3.X, python3, python); pyenv's versions, read directly (its shims answer only for the global
version, and uv does not see through them); conda environments (~/.conda/environments.txt, the active
one, conda's envs directories and the usual installation roots); every interpreter uv knows (`uv python
list --only-installed`: uv-managed ones and those it finds itself); and on Windows the py launcher (`py
--list-paths`). Each candidate is asked for its version by running it. Only CPython with the GIL counts:
the frameworks' wheels are built for it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from ..env_layout import find_env_python
from ..errors import CudnnResolveError, UsageError
from ..uvtool import find_uv
from ..versions import format_specifier

# Stdlib only and valid Python 2.7 through 3.x: it runs under whatever interpreter is found.
_ASK = (
    "import platform, sys, sysconfig; v = sys.version_info; sys.stdout.write('%s %d.%d.%d %s' % "
    "(platform.python_implementation(), v[0], v[1], v[2], sysconfig.get_config_var('Py_GIL_DISABLED') or 0))"
)
_EXECUTABLE = re.compile(r"^python(3(\.\d+)?)?(\.exe)?$", re.IGNORECASE)
_PY_LAUNCHER_PATH = re.compile(r"\s(?P<path>[A-Za-z]:\\\S.*?\.exe)\s*$", re.IGNORECASE)
# Where conda is usually installed when neither CONDA_EXE nor CONDA_PREFIX says.
_CONDA_ROOTS = ("miniconda3", "miniforge3", "mambaforge", "anaconda3", "micromamba")


@dataclass(frozen=True)
class Interpreter:
    path: Path
    version: Version
    found_by: str  # this Python, PATH, pyenv, conda, uv, py launcher, --python

    def __str__(self) -> str:
        return f"{self.version} at {self.path} ({self.found_by})"


class NoMatchingPythonError(CudnnResolveError):
    """No interpreter on this machine satisfies the frameworks' Python range. Exit 1."""

    exit_code = 1

    def __init__(self, wanted: str, found: Sequence[Interpreter], install: str) -> None:
        self.wanted = wanted
        self.found = tuple(found)
        listed = ", ".join(f"{i.version} ({i.found_by})" for i in found) or "none"
        super().__init__(
            f"no Python {wanted} interpreter was found on this machine (looked on PATH, in pyenv, conda "
            f"environments, uv's Pythons and the py launcher; found: {listed}). "
            f"{install}; it is found there on the next run, or pass it with --python PATH. Or create a "
            "conda-format environment (--backend rattler), which installs its own Python"
        )


class NotAnInterpreterError(UsageError):
    def __init__(self, path: str) -> None:
        super().__init__(
            f"--python {path}: this is not a working CPython interpreter. Give the path of a python "
            "executable, or a version such as 3.10"
        )


def looks_like_path(text: str) -> bool:
    """--python takes a version (3.10) or an interpreter's path; a path has a separator or exists."""
    return "/" in text or "\\" in text or Path(text).exists()


def ask(path: Path | str, found_by: str) -> Interpreter | None:
    """The interpreter at ``path`` with its version, or None when it does not run or is not CPython
    with the GIL (free-threaded builds need their own wheels, which the frameworks do not all publish)."""
    try:
        out = subprocess.run(
            [str(path), "-c", _ASK], capture_output=True, text=True, timeout=30, check=False
        ).stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        return None
    if len(out) != 3 or out[0] != "CPython" or out[2] not in ("0", "None"):
        return None
    try:
        return Interpreter(Path(path), Version(out[1]), found_by)
    except InvalidVersion:
        return None


def _on_path() -> Iterator[Path]:
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        folder = Path(directory)
        if not directory or folder.name == "shims" or not folder.is_dir():  # pyenv's shims: see above
            continue
        try:
            names = sorted(p.name for p in folder.iterdir() if _EXECUTABLE.match(p.name))
        except OSError:
            continue
        yield from (folder / n for n in names if os.access(folder / n, os.X_OK))


def _pyenv() -> Iterator[Path]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    for versions in (root / "versions", root / "pyenv-win" / "versions"):  # pyenv, pyenv-win
        if versions.is_dir():
            for version in sorted(versions.iterdir()):
                found = find_env_python(version)
                if found is not None:
                    yield found


def _condarc_envs_dirs() -> list[Path]:
    import yaml  # noqa: PLC0415  # only this finder reads .condarc

    dirs = []
    for rc in (Path.home() / ".condarc", Path.home() / ".config" / "conda" / ".condarc"):
        try:
            value = yaml.safe_load(rc.read_text()) or {}
        except (OSError, yaml.YAMLError):
            continue
        listed = value.get("envs_dirs", []) if isinstance(value, dict) else []
        dirs += [Path(os.path.expandvars(str(d))).expanduser() for d in listed if isinstance(d, str)]
    return dirs


def _conda() -> Iterator[Path]:
    home = Path.home()
    prefixes: list[Path] = []
    try:  # every environment conda created or activated for this user
        listed = (home / ".conda" / "environments.txt").read_text().splitlines()
        prefixes += [Path(line.strip()) for line in listed if line.strip()]
    except OSError:
        pass
    roots = [home / name for name in _CONDA_ROOTS] + [Path("/opt/conda")]
    if os.environ.get("CONDA_EXE"):
        roots.insert(0, Path(os.environ["CONDA_EXE"]).parent.parent)
    if os.environ.get("CONDA_PREFIX"):
        prefixes.append(Path(os.environ["CONDA_PREFIX"]))
    envs_dirs = [root / "envs" for root in roots] + [home / ".conda" / "envs"] + _condarc_envs_dirs()
    for variable in ("CONDA_ENVS_PATH", "CONDA_ENVS_DIRS"):
        envs_dirs += [Path(d) for d in os.environ.get(variable, "").split(os.pathsep) if d]
    prefixes += roots
    for directory in envs_dirs:
        if directory.is_dir():
            prefixes += sorted(p for p in directory.iterdir() if p.is_dir())
    for prefix in prefixes:
        found = find_env_python(prefix)
        if found is not None:
            yield found


def _uv() -> Iterator[Path]:
    try:
        result = subprocess.run(
            [find_uv(), "python", "list", "--only-installed", "--output-format", "json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        entries = json.loads(result.stdout) if result.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired, ValueError, CudnnResolveError):
        return
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("path") and Path(entry["path"]).parent.name != "shims":
            yield Path(entry["path"])


def parse_py_launcher(text: str) -> list[Path]:
    """The paths in ``py --list-paths`` (Windows): lines such as `` -V:3.11 *  C:\\Python311\\python.exe``."""
    return [Path(m["path"]) for m in (_PY_LAUNCHER_PATH.search(line) for line in text.splitlines()) if m]


def _py_launcher() -> Iterator[Path]:
    if os.name != "nt":
        return
    try:
        result = subprocess.run(
            ["py", "--list-paths"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return
    yield from parse_py_launcher(result.stdout)


Sources = list[tuple[str, Iterator[Path]]]


def nearby_sources() -> Sources:
    """Where interpreters are found by reading files: milliseconds."""
    return [
        ("this Python", iter([Path(sys.executable)])),
        ("PATH", _on_path()),
        ("pyenv", _pyenv()),
        ("conda", _conda()),
    ]


def tool_sources() -> Sources:
    """Where interpreters are found by running a tool that inspects every one it knows: most of a second
    with pyenv's shims on PATH (uv runs each of them)."""
    return [("uv", _uv()), ("py launcher", _py_launcher())]


def candidates(sources: Sources | None = None, known: Sequence[Interpreter] = ()) -> list[tuple[Path, str]]:
    """Every interpreter path worth asking, with where it was found; one entry per real file, none for
    the files of ``known`` (already asked)."""
    seen: dict[str, tuple[Path, str] | None] = {os.path.realpath(i.path): None for i in known}
    for found_by, paths in sources if sources is not None else nearby_sources() + tool_sources():
        for path in paths:
            seen.setdefault(os.path.realpath(path), (path, found_by))
    return [c for c in seen.values() if c is not None]


def installed(sources: Sources | None = None, known: Sequence[Interpreter] = ()) -> list[Interpreter]:
    """Every CPython on this machine (or in ``sources``), with ``known`` (found before the others),
    newest first (the order found breaks ties)."""
    found = candidates(sources, known)
    with ThreadPoolExecutor(max_workers=8) as pool:
        asked = list(pool.map(lambda c: ask(*c), found))
    interpreters = [*known, *(i for i in asked if i is not None)]
    return sorted(interpreters, key=lambda i: i.version, reverse=True)


def newest_allowed(spec: SpecifierSet) -> str | None:
    """The newest Python 3 minor version ``spec`` allows (for suggesting one to install)."""
    for minor in range(20, 5, -1):
        if any(spec.contains(Version(f"3.{minor}.{patch}")) for patch in (0, 99)):
            return f"3.{minor}"
    return None


def _install_hint(version: str | None, newest: bool) -> str:
    if version is None:
        return "Install a Python in that range"
    hints = []
    try:
        listed = subprocess.run(
            [find_uv(), "python", "list", "--only-downloads", version],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired, CudnnResolveError):
        listed = ""
    if re.search(rf"^cpython-{re.escape(version)}\.\d+\S*\s", listed, flags=re.MULTILINE):
        hints.append(f"'uv python install {version}' (downloads a standalone CPython build)")
    if (Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions").is_dir():
        hints.append(f"'pyenv install {version}'")
    hints.append("your system's package manager")
    return f"Install Python {version}{', the newest allowed' if newest else ''}: with " + ", or ".join(hints)


def find_python(spec: SpecifierSet, explicit: str | None = None, prefer: str | None = None) -> Interpreter:
    """The newest interpreter satisfying ``spec`` (and ``explicit``: a version such as 3.10, or the path
    of an interpreter, which must satisfy ``spec`` itself). ``prefer`` names the version to suggest
    installing when none is found (default: the newest ``spec`` allows). A version is looked for first
    where reading files finds it (the newest patch there wins); uv's and the py launcher's lists, which
    take most of a second, are asked only when none is there.

    Raises NotAnInterpreterError (a path that does not run) and NoMatchingPythonError.
    """
    if explicit and looks_like_path(explicit):
        given = ask(explicit, "--python")
        if given is None:
            raise NotAnInterpreterError(explicit)
        if not spec.contains(given.version):
            hint = _install_hint(prefer or newest_allowed(spec), True)
            raise NoMatchingPythonError(format_specifier(spec), [given], hint)
        return given
    allowed = spec & SpecifierSet(f"=={explicit}.*") if explicit else spec
    if explicit:  # a version was named: one found by reading files will do, before running uv and py
        nearby = installed(nearby_sources())
        for interpreter in nearby:
            if allowed.contains(interpreter.version):
                return interpreter
        found = installed(tool_sources(), known=nearby)
    else:
        found = installed()
    for interpreter in found:
        if allowed.contains(interpreter.version):
            return interpreter
    if explicit:
        frameworks = f" (the frameworks allow {format_specifier(spec)})" if str(spec) else ""
        raise NoMatchingPythonError(f"{explicit}{frameworks}", found, _install_hint(explicit, False))
    suggest = prefer or newest_allowed(spec)
    raise NoMatchingPythonError(format_specifier(spec), found, _install_hint(suggest, True))
