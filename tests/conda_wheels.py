"""conda packages made from Python wheels, for a local channel that can build and install the conda recipe
offline (a helper module, not a test file).

Only the channel is unreachable here, not the packages: each dependency's real wheel (from the package
index through pip, or shared/conda's conda and menuinst wheels) becomes a linux-64 conda package for this
Python, the way conda-forge's python packages are laid out: the wheel's files under
lib/pythonX.Y/site-packages (its .data/scripts under bin/), a `python X.Y.*` dependency plus one per
Requires-Dist that applies here (names canonicalised, versions left to the one package of each name the
channel holds), and each console script as a bin/ script whose shebang conda points at the environment's
python. conda's own package runs `conda.cli.main` (what conda's recipe installs with `conda init
--install`, conda/core/initialize.py) instead of the PyPI script, which refuses to run uninitialised.
"""

from __future__ import annotations

import configparser
import email.parser
import hashlib
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from .conda_channel import PLACEHOLDER, FakePackage

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
SITE = f"lib/python{PYTHON}/site-packages"
WHEELS = Path.home() / ".cache" / "cudnn-resolve-tests" / "wheels"
_SCRIPT_TARGETS = {("conda", "conda"): "conda.cli.main:main"}


def download_wheels(requirements: Sequence[str], with_deps: bool = False) -> list[Path]:
    """Wheels of ``requirements`` (and, ``with_deps``, of what they require) for this Python and platform,
    through pip; pip builds the few that publish no wheel (pycosat 0.6.6) from their sdist, as it did
    installing them. Kept under ~/.cache/cudnn-resolve-tests/wheels, one directory per request, which
    later runs read offline."""
    key = hashlib.sha256("\n".join([str(with_deps), *sorted(requirements)]).encode()).hexdigest()[:16]
    into = WHEELS / key
    if (into / "complete").exists():
        return sorted(into.glob("*.whl"))
    into.mkdir(parents=True, exist_ok=True)
    deps = [] if with_deps else ["--no-deps"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--disable-pip-version-check",
            *deps,
            "--wheel-dir",
            str(into),
            *requirements,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stderr.splitlines() if not line.startswith("WARNING: Location")]
    assert result.returncode == 0, "\n".join(lines[-30:])
    (into / "complete").write_text("\n".join(requirements) + "\n")
    return sorted(into.glob("*.whl"))


def wheel_package(wheel: Path) -> FakePackage:
    """The conda package of one wheel (see the module docstring)."""
    name, version, _, _ = parse_wheel_filename(wheel.name)
    files: dict[str, bytes] = {}
    executable: list[str] = []
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            parts = info.filename.split("/")
            if parts[0].endswith(".data") and len(parts) > 2:
                kind, rest = parts[1], "/".join(parts[2:])
                path = (
                    f"bin/{rest}"
                    if kind == "scripts"
                    else f"{SITE}/{rest}"
                    if kind in ("purelib", "platlib")
                    else rest
                )
            else:
                path = f"{SITE}/{info.filename}"
            files[path] = archive.read(info)
            if path.startswith("bin/") or (info.external_attr >> 16) & 0o111:
                executable.append(path)
        dist_info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
        metadata = email.parser.Parser().parsestr(archive.read(f"{dist_info}/METADATA").decode())
        points = (
            archive.read(f"{dist_info}/entry_points.txt").decode()
            if f"{dist_info}/entry_points.txt" in archive.namelist()
            else ""
        )
    scripts = _console_scripts(str(name), points)
    files.update(scripts)
    return FakePackage(
        str(name),
        str(version),
        f"py{PYTHON.replace('.', '')}_wheel_0",
        depends=(f"python {PYTHON}.*", *_depends(metadata.get_all("Requires-Dist") or [])),
        files=files,
        executable=(*executable, *scripts),
        prefixed=tuple(scripts),
    )


def _depends(requirements: Iterable[str]) -> list[str]:
    names = []
    for line in requirements:
        requirement = Requirement(line)
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
            continue
        names.append(str(canonicalize_name(requirement.name)))
    return sorted(set(names))


def _console_scripts(name: str, entry_points: str) -> dict[str, bytes]:
    parser = configparser.ConfigParser(delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the scripts' case
    parser.read_string(entry_points)
    if not parser.has_section("console_scripts"):
        return {}
    scripts = {}
    for script, target in parser.items("console_scripts"):
        module, _, function = _SCRIPT_TARGETS.get((name, script), target.strip()).partition(":")
        scripts[f"bin/{script}"] = (
            f"#!{PLACEHOLDER}/bin/python\n"
            "import sys\n"
            f"from {module} import {function.split('.')[0]}\n"
            "if __name__ == '__main__':\n"
            f"    sys.exit({function}())\n"
        ).encode()
    return scripts
