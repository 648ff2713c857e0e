"""The plugin inside the real conda (26.7.1, tests/real_conda.py): `python -m conda cudnn-env ...` loads it
through its entry point, conda solves and links from a local file:// channel this module builds, and
conda-lock (4.x, PyPI) reads and installs the conda-lock files.

The channel's packages are small stand-ins with conda-forge's shapes (tests/conda_channel.py) and a
python that runs (it borrows this machine's interpreter); the channel, solves, links, environments.txt
and `conda doctor` are conda's own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conda_channel import FakePackage, _cuda_version, build_channel, cuda_packages, working_python
from .real_conda import RealConda, tool_venv

pytestmark = pytest.mark.skipif(sys.version_info < (3, 10), reason="py-rattler 0.28 needs Python 3.10+")

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
NO_DETECT = ("--no-detect", "--platform", "linux-64")
TF_FROM_CONDA = ("tf=2.17", "--framework-from", "conda", "--python", PYTHON, "--cudnn", "9.3", *NO_DETECT)


def _tensorflow_packages() -> list[FakePackage]:
    """conda-forge's TensorFlow 2.17 CUDA 12.0 build and the CUDA 12.0 runtime it needs (stand-ins)."""
    runtime = [
        FakePackage(name, "12.0.0", "h0", depends=("cuda-version >=12.0,<12.1",))
        for name in ("cuda-cudart", "libcufft", "libcurand", "libcusolver", "libcusparse", "libnvjitlink")
    ]
    return [
        _cuda_version("12.0"),
        *runtime,
        FakePackage(
            "tensorflow",
            "2.17.0",
            f"cuda120py{PYTHON.replace('.', '')}h0_200",
            depends=(f"python {PYTHON}.*", "cuda-version >=12.0,<13", "cudnn >=9,<10"),
        ),
        FakePackage("cuda-nvrtc", "12.0.76", "h0", depends=("cuda-version >=12.0,<12.1",)),
        FakePackage("libcublas", "12.0.1.189", "h0", depends=("cuda-version >=12.0,<12.1",)),
        # conda-forge's CUDA builds of PyTorch depend on the driver's virtual package directly.
        FakePackage("pytorch", "2.4.0", "cuda120_h0", depends=("__cuda", "cuda-version >=12.0,<13")),
    ]


@pytest.fixture(scope="session")
def conda_lock_tool() -> Path:
    return tool_venv("conda-lock-4", "conda-lock>=4,<5")


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> str:
    # The stand-in pythons of this minor give way to one that runs.
    packages = [p for p in cuda_packages() if p.name != "python" or not p.version.startswith(PYTHON + ".")]
    python = working_python(Path(sys.executable), ".".join(map(str, sys.version_info[:3])))
    return build_channel(tmp_path_factory.mktemp("channel"), [*packages, python, *_tensorflow_packages()])


def _cudnn_env(
    conda: RealConda, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return conda.run("cudnn-env", *args, env=env)


def _json(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    value = json.loads(result.stdout)
    assert isinstance(value, dict)
    return value


def _no_crash_report(result: subprocess.CompletedProcess[str]) -> None:
    assert "ERROR REPORT" not in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_conda_lists_and_runs_the_subcommand(real_conda: RealConda) -> None:
    assert "cudnn-env" in real_conda.run("--help").stdout
    result = _cudnn_env(real_conda, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: conda cudnn-env")
    assert "conda cudnn-env create torch==2.14.1 -p ./env" in result.stdout  # examples, as run in conda
    pins = _cudnn_env(real_conda, "pins", "torch=2.4", *NO_DETECT, "--json")
    assert pins.returncode == 0, pins.stderr
    assert _json(pins)["cudnn_version"] == "9.1.0.70"


def test_conda_imports_almost_nothing_of_ours(real_conda: RealConda) -> None:
    """conda imports every plugin on every command: `conda env list` must load only the plugin module (the
    overhead is measured by benchmarks/bench_conda_plugin.py)."""
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print(*sorted(m for m in sys.modules if m.startswith('cudnn_resolve'))))\n"
        "from conda.cli.main import main\n"
        "main('env', 'list')\n"
    )
    result = subprocess.run(
        [str(real_conda.python), "-c", code], capture_output=True, text=True, env=real_conda.env, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded = result.stdout.splitlines()[-1].split()
    assert loaded == ["cudnn_resolve", "cudnn_resolve._version", "cudnn_resolve.conda_plugin"]


def test_prefix_and_name_options_do_not_crash_conda(real_conda: RealConda, tmp_path: Path) -> None:
    """Issue: conda read args.prefix (a Path) itself and crashed with its full report."""
    missing = _cudnn_env(real_conda, "check", "-p", str(tmp_path / "none"))
    assert missing.returncode == 2
    _no_crash_report(missing)
    assert f"CudnnEnvError: no Python interpreter at {tmp_path / 'none'}" in missing.stderr
    plan = _cudnn_env(
        real_conda, "create", *TF_FROM_CONDA, "-p", str(tmp_path / "env"), "--dry-run", "--json"
    )
    assert plan.returncode == 0, plan.stderr
    assert _json(plan)["plan"]["prefix"] == str(tmp_path / "env")
    named = _cudnn_env(real_conda, "create", *TF_FROM_CONDA, "-n", "planned", "--dry-run", "--json")
    assert _json(named)["plan"]["prefix"] == str(real_conda.envs_dir / "planned")  # conda's envs_dirs
    assert not (tmp_path / "env").exists()
    assert not (real_conda.envs_dir / "planned").exists()


def test_json_errors_use_the_documented_format(real_conda: RealConda, tmp_path: Path) -> None:
    result = _cudnn_env(real_conda, "check", "-p", str(tmp_path / "none"), "--json")
    assert result.returncode == 2
    error = _json(result)["error"]  # docs/json.md's error object, not conda's
    assert error["type"] == "NoInterpreterError"
    assert error["exit_code"] == 2
    assert str(tmp_path / "none") in error["message"]
    assert result.stderr.startswith("conda cudnn-env: error: no Python interpreter")


def test_the_recorded_command_is_the_one_typed(real_conda: RealConda) -> None:
    result = real_conda.run("-v", "cudnn-env", "env-file", "tf=2.10", *NO_DETECT)
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.splitlines()[1]
        == "#   conda cudnn-env env-file tf=2.10 --no-detect --platform linux-64"
    )


def test_advice_names_the_conda_commands(real_conda: RealConda, tmp_path: Path) -> None:
    lock = _cudnn_env(real_conda, "lock", "tf=2.10", *NO_DETECT, "--check", str(tmp_path / "none.lock"))
    assert lock.returncode == 2
    assert "Regenerate it with 'conda cudnn-env lock'" in lock.stderr
    assert "cudnn-resolve lock" not in lock.stderr
    log = tmp_path / "error.log"
    log.write_text("Could not load dynamic library 'libcudnn.so.8'; dlerror: libcudnn.so.8: cannot open\n")
    explain = _cudnn_env(real_conda, "explain", str(log))
    assert "conda cudnn-env " in explain.stdout
    assert "cudnn-resolve check" not in explain.stdout
    create_help = _cudnn_env(real_conda, "create", "--help")
    assert "see: conda cudnn-env envs" in " ".join(create_help.stdout.split())


def test_channels_follow_conda_and_are_named(real_conda: RealConda, channel: str) -> None:
    def planned(*extra: str) -> list[str]:
        result = _cudnn_env(real_conda, "create", *TF_FROM_CONDA, "-n", "x", "--dry-run", "--json", *extra)
        assert result.returncode == 0, result.stderr
        channels = _json(result)["plan"]["channels"]
        assert isinstance(channels, list)
        return channels

    # conda's rules: -c goes before the configured channels (the condarc has conda-forge) ...
    assert planned("-c", channel) == [channel, "conda-forge"]
    # ... and --override-channels keeps only -c.
    assert planned("-c", channel, "--override-channels") == [channel]
    human = _cudnn_env(real_conda, "create", *TF_FROM_CONDA, "-n", "x", "--dry-run", "-c", channel)
    assert f"channels: {channel}, conda-forge" in human.stdout
    alone = _cudnn_env(real_conda, "create", *TF_FROM_CONDA, "-n", "x", "--dry-run", "--override-channels")
    assert alone.returncode == 2
    assert "--override-channels" in alone.stderr  # conda's own ArgumentError
    _no_crash_report(alone)


def test_framework_from_conda_end_to_end(real_conda: RealConda, channel: str) -> None:
    """create: the running conda solves and links from the local channel; the environment is registered
    in environments.txt (and nothing else is), `conda doctor` finds it healthy and `envs` lists it."""
    name = "tf217"
    result = _cudnn_env(
        real_conda,
        "create",
        *TF_FROM_CONDA,
        "-n",
        name,
        "-c",
        channel,
        "--override-channels",
        "--no-check",  # the stand-in tensorflow is no importable framework
    )
    assert result.returncode == 0, result.stderr
    prefix = real_conda.envs_dir / name
    assert f"created {prefix} (conda)" in result.stdout
    assert f"channels: {channel}" in result.stdout
    listed = real_conda.run("list", "-n", name, "--json")
    versions = {p["name"]: p["version"] for p in json.loads(listed.stdout)}
    assert versions["tensorflow"] == "2.17.0"
    assert versions["cudnn"] == "9.3.0.75"
    assert versions["cuda-version"] == "12.0"
    assert str(prefix) in real_conda.registered()
    assert not [p for p in real_conda.registered() if ".cudnn-resolve-build-" in p]  # nor its build directory
    doctor = real_conda.run("doctor", "-n", name)
    assert "\u2705 The environment is listed in the environments.txt file." in doctor.stdout
    assert "\u2705 There are no packages with altered files." in doctor.stdout  # relocation kept checksums
    assert "cuDNN consistency (cudnn-resolve)" in doctor.stdout
    envs = _json(_cudnn_env(real_conda, "envs", "--json"))
    entry = next(e for e in envs["environments"] if e["prefix"] == str(prefix))
    assert entry["frameworks"] == "tensorflow 2.17.0"
    assert entry["cudnn"] == "9.3.0.75"
    assert str(prefix) in real_conda.run("env", "list").stdout
    check = _cudnn_env(real_conda, "check", "-n", name, "--no-conv", "--json")
    assert check.returncode == 1  # the stand-in framework does not import; the check says so
    assert _json(check)["python"]["prefix"] == str(prefix)
    assert real_conda.run("env", "remove", "--yes", "-n", name).returncode == 0


@pytest.mark.e2e
def test_create_with_the_conda_backend_and_a_real_framework(real_conda: RealConda, channel: str) -> None:
    """torch 2.14.1 from pip into a conda environment the running conda made: the smoke test runs the real
    framework in it and finds its cuDNN; conda registers it and finds it healthy."""
    name = "torch-conda"
    result = _cudnn_env(
        real_conda,
        "create",
        "torch==2.14.1",
        "--python",
        PYTHON,
        *NO_DETECT,
        "-n",
        name,
        "--backend",
        "conda",
        "-c",
        channel,
        "--override-channels",
    )
    assert result.returncode == 0, result.stderr
    assert "smoke test: PASS, loaded cuDNN 9." in result.stdout
    prefix = real_conda.envs_dir / name
    assert str(prefix) in real_conda.registered()
    doctor = real_conda.run("doctor", "-n", name)
    assert "\u2705 There are no packages with altered files." in doctor.stdout
    assert "\u2705 cuDNN consistency (cudnn-resolve): loaded cuDNN 9." in doctor.stdout
    check = _cudnn_env(real_conda, "check", "-n", name, "--no-conv")
    assert check.returncode == 0, check.stdout
    assert real_conda.run("env", "remove", "--yes", "-n", name).returncode == 0


def test_a_failed_conda_create_names_the_cause(real_conda: RealConda, tmp_path: Path) -> None:
    # Everything but the framework build.
    packages = [p for p in _tensorflow_packages() if p.name != "tensorflow"]
    python = working_python(Path(sys.executable), ".".join(map(str, sys.version_info[:3])))
    partial = build_channel(tmp_path / "partial", [*cuda_packages(), python, *packages])
    result = _cudnn_env(
        real_conda, "create", *TF_FROM_CONDA, "-n", "broken", "-c", partial, "--override-channels"
    )
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "conda failed: PackagesNotFoundError" in message or "PackagesNotFoundInChannelsError" in message
    assert "tensorflow==2.17.0[build=cuda120py*]" in message, message
    assert "Solving environment" not in message
    assert "working..." not in message
    assert not (real_conda.envs_dir / "broken").exists()
    assert not list(real_conda.envs_dir.glob(".broken.cudnn-resolve-build-*"))
    assert not any("broken" in p for p in real_conda.registered())


def test_conda_errors_get_a_hint_naming_our_command(
    real_conda: RealConda, channel: str, tmp_path: Path
) -> None:
    # No driver here: without CONDA_OVERRIDE_CUDA conda has no __cuda, and a CUDA build cannot install.
    result = real_conda.run(
        "create",
        "--dry-run",
        "-p",
        str(tmp_path / "x"),
        "--override-channels",
        "-c",
        channel,
        "pytorch",
        env={"CONDA_OVERRIDE_CUDA": ""},
    )
    assert result.returncode == 1
    assert "__cuda" in result.stderr
    assert "(cudnn_resolve_cuda_driver)" in result.stderr
    assert "conda cudnn-env doctor" in result.stderr


def test_conda_lock_files_parse_install_and_check(
    real_conda: RealConda, channel: str, tmp_path: Path, conda_lock_tool: Path
) -> None:
    """conda-lock's own parser accepts the file, `conda-lock install` creates it with the real conda, and
    `lock --check` finds a fresh lock up to date (MatchSpecs, not string prefixes: cuda-version 12.0)."""
    lock = tmp_path / "conda-lock.yml"
    common = (*TF_FROM_CONDA, "-c", channel, "--override-channels")
    made = _cudnn_env(real_conda, "lock", *common, "--format", "conda-lock", "-o", str(lock))
    assert made.returncode == 0, made.stderr
    assert f"channels: {channel}" in made.stdout
    parse = subprocess.run(
        [
            str(conda_lock_tool / "bin" / "python"),
            "-c",
            "import pathlib, sys; from conda_lock.lockfile import parse_conda_lock_file; "
            "lock = parse_conda_lock_file(pathlib.Path(sys.argv[1])); "
            "print(sorted(p.name for p in lock.package)); print(lock.metadata.custom_metadata)",
            str(lock),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert parse.returncode == 0, parse.stderr
    assert "'cudnn'" in parse.stdout
    assert "'tensorflow'" in parse.stdout
    assert "conda cudnn-env lock tf=2.17" in parse.stdout  # the command, in custom_metadata
    wrapper = (
        tmp_path / "bin" / "conda"
    )  # conda-lock runs a conda executable; this conda is `python -m conda`
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec "{real_conda.python}" -m conda "$@"\n')
    wrapper.chmod(0o755)
    target = tmp_path / "from-lock"
    install = subprocess.run(
        [
            str(conda_lock_tool / "bin" / "python"),
            "-m",
            "conda_lock",
            "install",
            "--conda",
            str(wrapper),
            "-p",
            str(target),
            str(lock),
        ],
        capture_output=True,
        text=True,
        env={**real_conda.env, "PATH": f"{wrapper.parent}{os.pathsep}{real_conda.env['PATH']}"},
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    installed = json.loads(real_conda.run("list", "-p", str(target), "--json").stdout)
    assert {p["name"]: p["version"] for p in installed}["cudnn"] == "9.3.0.75"
    for lockfile, fmt in ((lock, "conda-lock"), (tmp_path / "explicit.lock", "conda-explicit")):
        if fmt == "conda-explicit":
            assert (
                _cudnn_env(real_conda, "lock", *common, "--format", fmt, "-o", str(lockfile)).returncode == 0
            )
        check = _cudnn_env(real_conda, "lock", *common, "--check", str(lockfile))
        assert check.returncode == 0, check.stdout + check.stderr
        assert f"{lockfile} (linux-64): ok" in check.stdout


def test_conda_lock_never_dies_after_finishing(real_conda: RealConda, channel: str, tmp_path: Path) -> None:
    """Issue: a finished conda-format lock sometimes died at interpreter shutdown (exit 134/139), from
    py-rattler's threads; see rattler_adapter._run. 20 runs in a row, every one exits 0."""
    codes = []
    for run in range(20):
        result = _cudnn_env(
            real_conda,
            "lock",
            "tf=2.10",
            *NO_DETECT,
            "-c",
            channel,
            "--override-channels",
            "--format",
            "conda-lock",
            "-o",
            str(tmp_path / f"lock{run}.yml"),
        )
        codes.append(result.returncode)
    assert codes == [0] * 20, codes


def test_a_solve_then_exit_never_dies(tmp_path: Path) -> None:
    """The same with nothing after the solve (the widest window: before the fix, 12 of 100 such runs of
    this script died with 134 or 139): 30 runs, every one exits 0."""
    script = tmp_path / "solve.py"
    script.write_text(
        "import sys\n"
        "from cudnn_resolve.conda_packages import solve\n"
        "print(len(solve(['cudnn 8.1.*', 'python 3.10.*'], [sys.argv[1]], 'linux-64',"
        " {'__glibc': '2.28', '__cuda': '12.4'})))\n"
    )
    old = build_channel(tmp_path / "old", cuda_packages())
    codes = [
        subprocess.run([sys.executable, str(script), old], capture_output=True, check=False).returncode
        for _ in range(30)
    ]
    assert codes == [0] * 30, codes


DOCS = Path(__file__).resolve().parent.parent / "docs" / "commands" / "conda"
UPDATE_DOCS = "CUDNN_RESOLVE_UPDATE_DOCS"


@pytest.mark.skipif(PYTHON != "3.11", reason="docs/commands/conda/ was captured with Python 3.11")
def test_the_docs_show_what_the_real_conda_prints(
    real_conda: RealConda, channel: str, tmp_path: Path
) -> None:
    """docs/commands/conda/*.txt are this conda's output for the commands they show; with
    CUDNN_RESOLVE_UPDATE_DOCS=1 this test writes them instead. The temporary paths are shown as a
    user's: the envs directory as ~/miniforge3/envs, the test channel as file:///srv/conda-channel."""
    name = "tf217"
    shown_channel = "file:///srv/conda-channel"
    from_channel = ("-c", channel, "--override-channels")
    examples = {
        "create": ("cudnn-env", "create", *TF_FROM_CONDA, "-n", name, *from_channel, "--no-check"),
        "list": ("list", "-n", name),
        "envs": ("cudnn-env", "envs", "--json"),
        "check-missing": ("cudnn-env", "check", "-p", "./missing"),
        "check-missing-json": ("cudnn-env", "check", "-p", "./missing", "--json"),
        "lock": (
            "cudnn-env",
            "lock",
            *TF_FROM_CONDA,
            *from_channel,
            "--format",
            "conda-lock",
            "-o",
            "conda-lock.yml",
        ),
        "lock-check": ("cudnn-env", "lock", *TF_FROM_CONDA, *from_channel, "--check", "conda-lock.yml"),
        "hint": ("create", "--dry-run", "-n", "gpu", "--override-channels", "-c", channel, "pytorch"),
    }
    outputs = {}
    for example, args in examples.items():
        env = {"CONDA_OVERRIDE_CUDA": ""} if example == "hint" else None
        result = real_conda.run(*args, env=env, cwd=tmp_path)
        text = (
            f"$ conda {' '.join(args)}\n{result.stdout}{result.stderr}".rstrip()
            + f"\n# exit code {result.returncode}\n"
        )
        if example == "envs":  # the creation time changes with every run
            text = re.sub(r'"created": "[^"]+"', '"created": "2026-11-30T12:00:00+00:00"', text)
        outputs[example] = (
            text.replace(str(real_conda.envs_dir), "~/miniforge3/envs")
            .replace(str(real_conda.prefix), "~/miniforge3")
            .replace(channel.removeprefix("file://"), shown_channel.removeprefix("file://"))
        )
    assert real_conda.run("env", "remove", "--yes", "-n", name).returncode == 0
    if os.environ.get(UPDATE_DOCS):
        DOCS.mkdir(exist_ok=True)
        for example, text in outputs.items():
            (DOCS / f"{example}.txt").write_text(text)
    for example, text in outputs.items():
        assert (DOCS / f"{example}.txt").read_text() == text, (
            f"rerun with {UPDATE_DOCS}=1 and review the diff"
        )
