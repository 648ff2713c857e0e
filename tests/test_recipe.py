"""The conda recipe agrees with pyproject.toml: name, version, run dependencies, entry points."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from cudnn_resolve import __version__

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
RECIPE = yaml.safe_load((ROOT / "conda-recipe" / "recipe.yaml").read_text())
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# PyPI names that differ on conda-forge.
CONDA_NAMES = {"py-rattler": "py-rattler", "nvidia-ml-py": "nvidia-ml-py", "pyyaml": "pyyaml"}


def _conda_deps() -> dict[str, SpecifierSet]:
    deps = {}
    for line in RECIPE["requirements"]["run"]:
        name, _, spec = line.partition(" ")
        deps[name] = SpecifierSet(spec.replace(" ", "")) if spec and "${{" not in spec else SpecifierSet()
    return deps


def test_name_and_version() -> None:
    assert RECIPE["context"]["name"] == PYPROJECT["project"]["name"]
    assert RECIPE["context"]["version"] == __version__


def test_run_dependencies_match_pyproject() -> None:
    conda = _conda_deps()
    for line in PYPROJECT["project"]["dependencies"]:
        req = Requirement(line)
        name = CONDA_NAMES.get(req.name, req.name)
        assert name in conda, f"{req.name} missing from the recipe's run requirements"
        if req.name != "tomli":  # tomli is only needed below 3.11; noarch recipes cannot condition on that
            assert conda[name] == req.specifier, (name, conda[name], req.specifier)
    assert set(conda) - {"python"} == {
        CONDA_NAMES.get(Requirement(r).name, Requirement(r).name)
        for r in PYPROJECT["project"]["dependencies"]
    }


def test_entry_points_match() -> None:
    scripts = PYPROJECT["project"]["scripts"]
    entry = RECIPE["build"]["python"]["entry_points"]
    assert entry == [f"{name} = {target}" for name, target in scripts.items()]
    assert PYPROJECT["project"]["entry-points"]["conda"] == {"cudnn-resolve": "cudnn_resolve.conda_plugin"}


def test_tests_run_both_commands() -> None:
    scripts = [s for t in RECIPE["tests"] if "script" in t for s in t["script"]]
    assert "conda cudnn-env --help" in scripts
    assert "cudnn-resolve --help" in scripts
    assert RECIPE["build"]["noarch"] == "python"
    assert re.match(r"^conda >=\d+\.\d+$", RECIPE["requirements"]["run_constraints"][0])
