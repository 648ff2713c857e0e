"""The Dockerfile writer (pure: golden files, byte for byte) and the `dockerfile` verb.

Regenerate the golden files after an intended change with CUDNN_RESOLVE_UPDATE_GOLDEN=1 and review the
diff. The builds themselves are in tests/test_containers.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.version import Version

from cudnn_resolve.cli.dockerfile import plan_for
from cudnn_resolve.data import KnowledgeBase
from cudnn_resolve.images import choose_base
from cudnn_resolve.request import Request, parse_frameworks
from cudnn_resolve.resolver import Resolution, resolve
from cudnn_resolve.writers.dockerfile import (
    DockerfilePlan,
    check_command,
    dockerfile_text,
    entrypoint_text,
    lock_resolution,
)

from .conftest import Run

GOLDEN = Path(__file__).parent / "golden" / "dockerfile"
UPDATE = os.environ.get("CUDNN_RESOLVE_UPDATE_GOLDEN") == "1"
# case -> (request, python, --tool)
CASES = {
    "tf-2.15-slim": ("tf==2.15.1", "3.11", "cudnn-resolve==0.1.0"),
    "torch-2.14-slim-tool-wheel": ("torch==2.14.1", "3.11", "cudnn_resolve-0.1.0-py3-none-any.whl"),
    "tf-2.13-nvidia-cuda": ("tf=2.13", None, "cudnn-resolve==0.1.0"),
    "tf-2.10-nvidia-cuda": ("tf=2.10", None, "cudnn-resolve==0.1.0"),
}


def _answer(kb: KnowledgeBase, request: str, python: str | None) -> Resolution:
    return resolve(Request(parse_frameworks([request]), python=Version(python) if python else None), kb)


def _plan(kb: KnowledgeBase, case: str) -> tuple[Resolution, DockerfilePlan, tuple[str, ...]]:
    request, python, tool = CASES[case]
    resolution = _answer(kb, request, python)
    choice = choose_base(resolution, kb)
    if choice.python != resolution.python_version:  # as the verb does: the answer for the base's Python
        resolution = _answer(kb, request, str(choice.python))
    plan = plan_for(choice, tool, tool.endswith(".whl"))
    argv = ("cudnn-resolve", "dockerfile", request, "-o", "Dockerfile")
    return resolution, plan, argv


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(kb: KnowledgeBase, case: str) -> None:
    resolution, plan, argv = _plan(kb, case)
    for suffix, text in (
        ("Dockerfile", dockerfile_text(resolution, plan, argv)),
        ("entrypoint.sh", entrypoint_text(resolution, plan, argv)),
    ):
        golden = GOLDEN / f"{case}.{suffix}"
        if UPDATE:
            golden.write_text(text)
        assert text == golden.read_text(), f"{golden.name} differs; see the module docstring"


def test_every_golden_file_has_a_case() -> None:
    names = {p.name.removesuffix(".Dockerfile").removesuffix(".entrypoint.sh") for p in GOLDEN.iterdir()}
    assert names == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_no_library_path_is_set_and_the_check_runs_at_build(kb: KnowledgeBase, case: str) -> None:
    resolution, plan, argv = _plan(kb, case)
    text = dockerfile_text(resolution, plan, argv)
    assert "LD_LIBRARY_PATH" not in text.replace("No LD_LIBRARY_PATH is set", "")
    assert "LD_PRELOAD" not in text
    check = [line for line in text.splitlines() if line.startswith("RUN ") and " check " in line]
    assert check == ["RUN " + " ".join(check_command(plan))]
    assert text.splitlines()[1] == "#   cudnn-resolve dockerfile " + CASES[case][0] + " -o Dockerfile"
    assert text.index("RUN /opt/cudnn-resolve/venv/bin/cudnn-resolve check") > text.index("--require-hashes")


def test_slim_base_when_the_wheels_bring_cuda(kb: KnowledgeBase) -> None:
    _, plan, _ = _plan(kb, "tf-2.15-slim")
    assert (plan.base, plan.system_cuda, plan.expect_cudnn) == ("python:3.11-slim", False, "8.9.4.25")


def test_nvidia_cuda_base_when_they_do_not(kb: KnowledgeBase) -> None:
    resolution, plan, _ = _plan(kb, "tf-2.13-nvidia-cuda")
    # TensorFlow 2.13 was built with CUDA 11.8 and cuDNN 8.6 and ships no CUDA libraries.
    assert plan.base == "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04"
    assert plan.install_python
    assert plan.system_cuda
    assert plan.python == "3.10" == str(resolution.python_version)  # Ubuntu 22.04's python3
    assert plan.expect_cudnn == "8"  # the tag says cudnn8; the check applies TensorFlow's minor rule
    assert "--system-cuda" in check_command(plan)
    locked = lock_resolution(resolution, plan)
    assert locked.pip.requirements == ("tensorflow==2.13.1",)
    assert not [c for c in locked.pip.constraints if c.startswith("nvidia-")]
    assert any(c.startswith("nvidia-cudnn") for c in resolution.pip.constraints)


def test_wheels_stay_in_the_lock_on_a_slim_base(kb: KnowledgeBase) -> None:
    resolution, plan, _ = _plan(kb, "tf-2.15-slim")
    assert lock_resolution(resolution, plan) is resolution


def test_label_values_are_quoted(kb: KnowledgeBase) -> None:
    resolution, plan, argv = _plan(kb, "tf-2.15-slim")
    request = replace(resolution.request, frameworks=parse_frameworks(["tensorflow>=2.15,<2.16"]))
    text = dockerfile_text(replace(resolution, request=request), plan, argv)
    assert 'cudnn-resolve.request="tensorflow>=2.15,<2.16"' in text


# --- the verb ----------------------------------------------------------------------------------------------


def test_containers_are_linux(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("dockerfile", "tf==2.15.1", "--platform", "win-64", "-o", str(tmp_path / "Dockerfile"))
    assert run.code == 2
    assert "container images are Linux" in run.err
    assert not list(tmp_path.iterdir())


def test_tool_wheel_must_be_beside_the_dockerfile(cli: Callable[..., Run], tmp_path: Path) -> None:
    out = tmp_path / "ctx" / "Dockerfile"
    out.parent.mkdir()
    run = cli("dockerfile", "tf==2.15.1", "--no-detect", "-o", str(out), "--tool", "missing.whl")
    assert run.code == 2
    assert "not a file in the Dockerfile's directory" in run.err
    assert not list(out.parent.iterdir())


def test_base_that_conflicts_is_refused_with_the_fix(cli: Callable[..., Run], tmp_path: Path) -> None:
    # The classic: TensorFlow 2.15 pip-installed on tensorflow/tensorflow:2.9.0-gpu (Python 3.8).
    out = tmp_path / "Dockerfile"
    run = cli(
        "dockerfile", "tf==2.15.1", "--no-detect", "-o", str(out), "--base", "tensorflow/tensorflow:2.9.0-gpu"
    )
    assert run.code == 1
    assert "runs Python 3.8" in run.err
    assert "fix: use an image with Python >=3.9,<3.12, or --base auto" in run.err
    assert not out.exists()


def test_base_without_system_cuda_for_tensorflow_2_13(cli: Callable[..., Run], tmp_path: Path) -> None:
    base = "pytorch-training:2.4.0-gpu-py311-cu124-ubuntu22.04-ec2"
    run = cli("dockerfile", "tf=2.13", "--no-detect", "-o", str(tmp_path / "Dockerfile"), "--base", base)
    assert run.code == 1
    assert "brings no CUDA libraries and was built with CUDA 11.8" in run.err
    assert "carries CUDA 12.4.1" in run.err


def test_no_recorded_base_for_cuda_10(cli: Callable[..., Run], tmp_path: Path) -> None:
    run = cli("dockerfile", "tf=2.3", "--no-detect", "-o", str(tmp_path / "Dockerfile"))
    assert run.code == 1
    assert "no recorded nvidia/cuda image carries CUDA 10.1" in run.err
    assert "--base IMAGE" in run.err


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("CUDNN_RESOLVE_OFFLINE") == "1", reason="CUDNN_RESOLVE_OFFLINE=1")
def test_writes_dockerfile_lock_and_entrypoint(cli: Callable[..., Run], tmp_path: Path) -> None:
    out = tmp_path / "Dockerfile"
    run = cli("dockerfile", "tf=2.13", "--no-detect", "-o", str(out), "--json")
    assert run.code == 0, run.err
    body = run.json()
    assert body["base"] == "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04"
    assert body["system_cuda"] is True
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "Dockerfile",
        "cudnn-resolve-entrypoint.sh",
        "requirements.lock.txt",
    ]
    lock = (tmp_path / "requirements.lock.txt").read_text()
    assert lock.startswith("# Generated by cudnn-resolve")
    assert "tensorflow==2.13.1 \\\n    --hash=sha256:" in lock
    assert "--hash=sha256:" in lock.split("numpy==", 1)[1].split("\n", 2)[1]
    assert "nvidia-" not in lock  # the image's CUDA, not wheels, on an nvidia/cuda base
    assert '"pythons": ["3.10"]' in lock  # resolved for the base's Python (Ubuntu 22.04: 3.10)
