"""Find a Python interpreter whose version a resolution allows (venv backends)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from ..errors import CudnnResolveError, UsageError
from ..uvtool import find_uv
from ..versions import format_specifier


class NoMatchingPythonError(CudnnResolveError):
    """No interpreter on this machine satisfies the frameworks' Python range. Exit 1."""

    exit_code = 1

    def __init__(self, wanted: str, tried: list[str]) -> None:
        self.wanted = wanted
        self.tried = tried
        seen = "; ".join(tried) or "none"
        lowest = re.sub(r"^[<>=!~ ]+", "", wanted.split(",", maxsplit=1)[0])
        super().__init__(
            f"the environment needs Python {wanted}, and no such interpreter was found (tried: {seen}). "
            f"Install one (e.g. 'uv python install {lowest}' or your system's package manager) and pass it "
            "with --python PATH, or create a conda-format environment (--backend rattler), which installs "
            "its own Python"
        )


def interpreter_version(path: str) -> Version | None:
    try:
        out = subprocess.run(
            [path, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ).stdout.strip()
        return Version(out)
    except (OSError, subprocess.TimeoutExpired, InvalidVersion):
        return None


def find_python(spec: SpecifierSet, explicit: str | None = None) -> tuple[Path, Version]:
    """An interpreter satisfying ``spec``: ``explicit`` (a path or a version such as 3.11), else this
    Python, else what ``uv python find`` locates (installed interpreters, PATH, pyenv). Newest first."""
    tried: list[str] = []
    candidates: list[str] = []
    if explicit and ("/" in explicit or "\\" in explicit or Path(explicit).exists()):
        version = interpreter_version(explicit)
        if version is None:
            raise UsageError(f"--python {explicit}: this is not a working Python interpreter. Give its path")
        if not spec.contains(version):
            raise NoMatchingPythonError(format_specifier(spec), [f"{explicit} is {version}"])
        return Path(explicit), version
    requests = [explicit] if explicit else [str(spec) or "3"]
    candidates.append(sys.executable)
    for request in requests:
        try:
            found = subprocess.run(
                [find_uv(), "python", "find", "--no-project", request],
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            found = ""
        if found:
            candidates.append(found)
    for candidate in dict.fromkeys(candidates):
        version = interpreter_version(candidate)
        if version is None:
            continue
        wanted = spec if not explicit else spec & SpecifierSet(f"=={explicit}.*")
        if wanted.contains(version):
            return Path(candidate), version
        tried.append(f"{candidate} is {version}")
    raise NoMatchingPythonError(format_specifier(spec) + (f" (asked: {explicit})" if explicit else ""), tried)
