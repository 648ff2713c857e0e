"""The conda recipe built for real: py-rattler-build (PyPI) builds conda-recipe/ and runs the recipe's own
tests, the real conda installs the package from that output into an environment, and `conda cudnn-env`
runs there through the conda package's entry point.

conda-forge is unreachable, so the build, test and install environments solve against a local channel of
the dependencies' real wheels made into conda packages (tests/conda_wheels.py): the project's run
dependencies, hatchling and pip for the build, and conda 26.7.1 (shared/conda's wheel) with its own, plus
a python that runs (tests/conda_channel.working_python). Every solve, link and test is real.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename

from .conda_channel import build_channel, working_python
from .conda_wheels import PYTHON, download_wheels, wheel_package
from .real_conda import ROOT, RealConda, require_setup_script, tool_venv

pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="py-rattler 0.28 needs Python 3.10+")

# Wheels the conda packages are made of, besides what the real conda's venv has installed: the build
# backend (and what it requires) and tomli (a run dependency for Pythons below 3.11).
BUILD_ONLY = ("hatchling>=1.24", "tomli>=1.1")
FROM_SHARED = ("conda", "menuinst")  # not on the package index in these versions: shared/conda's wheels


def _installed(conda: RealConda) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json; "
        "print(json.dumps({d.name: d.version for d in m.distributions()}))"
    )
    result = subprocess.run([str(conda.python), "-c", code], capture_output=True, text=True, check=True)
    return {str(canonicalize_name(k)): v for k, v in json.loads(result.stdout).items()}


def _name(wheel: Path) -> str:
    return str(parse_wheel_filename(wheel.name)[0])


@pytest.fixture(scope="module")
def dependency_channel(real_conda: RealConda, tmp_path_factory: pytest.TempPathFactory) -> str:
    installed = _installed(real_conda)
    skip = {"cudnn-resolve", *FROM_SHARED}
    wanted = [f"{name}=={version}" for name, version in sorted(installed.items()) if name not in skip]
    build_only = [w for w in download_wheels(BUILD_ONLY, with_deps=True) if _name(w) not in installed]
    wheels = [*download_wheels(wanted), *build_only]
    shared = require_setup_script().parent
    wheels += [next(shared.glob(f"{name}-*.whl")) for name in FROM_SHARED]
    python = working_python(Path(sys.executable), ".".join(map(str, sys.version_info[:3])))
    return build_channel(tmp_path_factory.mktemp("deps"), [python, *(wheel_package(w) for w in wheels)])


# Build (rattler-build's own tests skipped there), then run the recipe's tests on the package and print
# their results as JSON on the last line.
BUILD_AND_TEST = """
import json, sys
from pathlib import Path
from rattler_build import Package, build_recipes
recipe, channel, variants, output = sys.argv[1:]
build_recipes([recipe], channel=[channel], variant_config=[variants], output_dir=output, test="skip",
              no_build_id=True)
package = Package.from_file(next(Path(output, "noarch").glob("*.conda")))
results = package.run_tests(channel=[Path(output).as_uri(), channel])
print(json.dumps([{"success": r.success, "output": r.output} for r in results]))
"""


def test_recipe_builds_installs_and_runs_conda_cudnn_env(
    real_conda: RealConda, dependency_channel: str, tmp_path: Path
) -> None:
    rattler_build = tool_venv("py-rattler-build", "py-rattler-build>=0.73,<0.74")
    variants = tmp_path / "variants.yaml"
    variants.write_text(f"python_min:\n  - '{PYTHON}'\n")  # conda-forge's global pinning provides it
    output = tmp_path / "output"
    build = subprocess.run(
        [
            str(rattler_build / "bin" / "python"),
            "-W",
            "ignore::DeprecationWarning",
            "-c",
            BUILD_AND_TEST,
            str(ROOT / "conda-recipe" / "recipe.yaml"),
            dependency_channel,
            str(variants),
            str(output),
        ],
        capture_output=True,
        text=True,
        env={**real_conda.env, "RATTLER_CACHE_DIR": str(tmp_path / "rattler-cache")},
        check=False,
        timeout=1800,
    )
    assert build.returncode == 0, (build.stdout + build.stderr)[-6000:]
    (package,) = output.glob("noarch/cudnn-resolve-*.conda")
    results = json.loads(build.stdout.splitlines()[-1])
    assert len(results) == 2  # the recipe's python test and its script test
    assert all(r["success"] for r in results), results
    log = "\n".join(line for r in results for line in r["output"])
    assert "usage: conda cudnn-env" in log  # `conda cudnn-env --help`, through the conda package's conda

    env = tmp_path / "env"
    create = real_conda.run(
        "create",
        "--yes",
        "-p",
        str(env),
        "--override-channels",
        "-c",
        output.as_uri(),
        "-c",
        dependency_channel,
        "cudnn-resolve",
        "conda",
        f"python {PYTHON}.*",
    )
    assert create.returncode == 0, create.stdout + create.stderr
    installed = json.loads(real_conda.run("list", "-p", str(env), "--json").stdout)
    (ours,) = [p for p in installed if p["name"] == "cudnn-resolve"]
    assert package.name == f"cudnn-resolve-{ours['version']}-{ours['build_string']}.conda"  # the one built
    help_ = subprocess.run(
        [str(env / "bin" / "conda"), "cudnn-env", "--help"],
        capture_output=True,
        text=True,
        env=real_conda.env,
        check=False,
    )
    assert help_.returncode == 0, help_.stderr
    assert help_.stdout.startswith("usage: conda cudnn-env")
    pins = subprocess.run(
        [str(env / "bin" / "cudnn-resolve"), "pins", "tf=2.10", "--no-detect", "--json"],
        capture_output=True,
        text=True,
        env=real_conda.env,
        check=False,
    )
    assert pins.returncode == 0, pins.stderr
    assert json.loads(pins.stdout)["cudnn_version"] == "8.5.0.96"
    where = subprocess.run(
        [str(env / "bin" / "python"), "-c", "import cudnn_resolve; print(cudnn_resolve.__file__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert where.stdout.startswith(str(env / "lib")), where.stdout + where.stderr
    assert real_conda.run("env", "remove", "--yes", "-p", str(env)).returncode == 0
