"""The image knowledge (constraints/images.toml): the recorded facts, the schema, image references, whether
an answer fits an image, the base an answer calls for, and recognising an image from inside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.version import Version

from cudnn_resolve.data import KnowledgeBase, load_knowledge_base
from cudnn_resolve.errors import DataError
from cudnn_resolve.images import (
    CudnnCopy,
    NoBaseImageError,
    choose_base,
    find_record,
    fit,
    from_record,
    recognise,
)
from cudnn_resolve.request import Request, parse_frameworks
from cudnn_resolve.resolver import Resolution, resolve

from .conftest import Run

# The facts each record states, as its source gives them (None: the source does not state it).
# image -> (python, cuda, cudnn, frameworks)
PINNED = {
    "tensorflow/tensorflow:2.9.0-gpu": ("3.8", "11.2", "8.1.0.77", ["tensorflow==2.9.0"]),
    "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04": ("none", "11.8.0", "8", []),
    "pytorch/pytorch:2.4.0-cuda12.4-cudnn9-runtime": (None, "12.4", "9", ["torch==2.4.0"]),
    "pytorch-training:2.1.0-gpu-py310-cu121-ubuntu20.04-ec2": ("3.10", "12.1", "8.9.2.26", ["torch==2.1.0"]),
    "pytorch-training:2.4.0-gpu-py311-cu124-ubuntu22.04-ec2": (
        "3.11",
        "12.4.1",
        "9.1.0.70",
        ["torch==2.4.0"],
    ),
    "tensorflow-training:2.14.1-gpu-py310-cu118-ubuntu20.04-ec2": (
        "3.10",
        "11.8",
        "8.9.3.28",
        ["tensorflow==2.14.*"],
    ),
    "vertex-ai/training/tf-gpu.2-14.py310:latest": ("3.10", "11", None, ["tensorflow==2.14.*"]),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_recorded_facts(kb: KnowledgeBase, name: str) -> None:
    record = find_record(kb, name)
    assert record is not None
    python, cuda, cudnn, frameworks = PINNED[name]
    assert (
        "none" if record.has_python is False else (str(record.python) if record.python else None)
    ) == python
    assert str(record.cuda) == cuda
    assert (str(record.cudnn) if record.cudnn else None) == cudnn
    assert [str(f) for f in record.frameworks] == frameworks


def test_every_record_cites_a_source(kb: KnowledgeBase) -> None:
    assert len(kb.images.images) >= 12
    assert {r.provider for r in kb.images.images} >= {"nvidia", "tensorflow", "pytorch", "aws", "gcp"}
    for record in kb.images.images:
        assert record.source.strip(), record
    for marker in kb.images.markers:
        assert marker.source.strip(), marker
    assert kb.images.os_python == {"ubuntu20.04": Version("3.8"), "ubuntu22.04": Version("3.10")}


@pytest.mark.parametrize(
    ("reference", "name"),
    [
        ("docker.io/tensorflow/tensorflow:2.9.0-gpu", "tensorflow/tensorflow:2.9.0-gpu"),
        (
            "nvcr.io/nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04",
            "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04",
        ),
        (
            "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:2.4.0-gpu-py311-cu124-ubuntu22.04-ec2",
            "pytorch-training:2.4.0-gpu-py311-cu124-ubuntu22.04-ec2",
        ),
        (
            "europe-docker.pkg.dev/vertex-ai/training/tf-gpu.2-14.py310",
            "vertex-ai/training/tf-gpu.2-14.py310:latest",
        ),
    ],
)
def test_references_from_any_registry(kb: KnowledgeBase, reference: str, name: str) -> None:
    record = find_record(kb, reference)
    assert record is not None
    assert record.name == name


def test_unknown_reference(kb: KnowledgeBase) -> None:
    assert find_record(kb, "tensorflow/tensorflow:2.9.0") is None  # the CPU tag is not recorded
    assert find_record(kb, "example.com/team/trainer:1") is None


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('provider = "gcp"', 'provider = "azure"', "provider 'azure' is not one of"),
        ('os = "ubuntu20.04"', 'os = "ubuntu18.04"', "os 'ubuntu18.04' has no [[os]] record"),
        ('name = "tensorflow/tensorflow:2.9.0-gpu"', 'name = "tensorflow/tensorflow"', "has no tag"),
        ('kind = "env"', 'kind = "label"', "kind 'label' is not env or file"),
        ('cuda = "11.2.2"', 'cuda = "eleven"', "is not a version"),
        ('frameworks = ["tensorflow==2.9.0"]', 'frameworks = ["tensorflow==2.99.0"]', "matches no release"),
        ('cudnn = "8.1.0.77"', 'cudnn = "8.1.0.77"\ncudnn_version = "8"', "unknown field(s) cudnn_version"),
    ],
)
def test_malformed_image_record_is_named(data_copy: Path, old: str, new: str, problem: str) -> None:
    path = data_copy / "images.toml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(DataError) as caught:
        load_knowledge_base(data_copy)
    assert problem in str(caught.value)
    assert "images.toml" in str(caught.value)


# --- fit and base choice ------------------------------------------------------------------------------------


def _answer(kb: KnowledgeBase, request: str) -> Resolution:
    return resolve(Request(parse_frameworks([request])), kb)


def test_tensorflow_2_15_on_the_tensorflow_2_9_image(kb: KnowledgeBase) -> None:
    image = "tensorflow/tensorflow:2.9.0-gpu"
    result = fit(_answer(kb, "tf==2.15.1"), from_record(kb, image, find_record(kb, image)))
    assert not result.fits
    (problem,) = result.problems
    assert "runs Python 3.8" in problem.message
    assert "already has TensorFlow 2.9.0" in result.notes[0]


def test_tensorflow_2_13_needs_the_images_cuda_11(kb: KnowledgeBase) -> None:
    answer = _answer(kb, "tf=2.13")
    aws = "pytorch-training:2.4.0-gpu-py311-cu124-ubuntu22.04-ec2"
    problems = fit(answer, from_record(kb, aws, find_record(kb, aws))).problems
    assert [p.message.rsplit("; ", 1)[1] for p in problems] == [
        f"{aws} carries CUDA 12.4.1",
        f"{aws} carries cuDNN 9.1.0.70 (the major must match and the minor be at least the build's)",
    ]
    tf_dlc = "tensorflow-training:2.14.1-gpu-py310-cu118-ubuntu20.04-ec2"
    assert fit(answer, from_record(kb, tf_dlc, find_record(kb, tf_dlc))).fits  # CUDA 11.8, cuDNN 8.9.3.28
    old = "tensorflow/tensorflow:2.9.0-gpu"  # cuDNN 8.1 < 8.6
    assert "cuDNN 8.1.0.77" in fit(answer, from_record(kb, old, find_record(kb, old))).problems[0].message


def test_a_cudnn_on_ld_library_path_shadows_tensorflow_not_torch(kb: KnowledgeBase) -> None:
    base = from_record(kb, "python:3.11-slim", None)
    shadowed = replace(
        base,
        python=Version("3.11"),
        shadowing=(CudnnCopy("/opt/old/libcudnn.so.8", "8.9.2", "LD_LIBRARY_PATH"),),
    )
    tf = fit(_answer(kb, "tf==2.15.1"), shadowed)
    assert not tf.fits
    assert "loads by RUNPATH, which LD_LIBRARY_PATH overrides" in tf.problems[0].message
    torch = fit(resolve(Request(parse_frameworks(["torch==2.14.1"]), python=Version("3.11")), kb), shadowed)
    assert torch.fits
    assert "PyTorch loads its own wheels' copies" in torch.notes[0]
    same = replace(shadowed, shadowing=(CudnnCopy("/opt/same/libcudnn.so.8", "8.9.4", "LD_LIBRARY_PATH"),))
    assert fit(_answer(kb, "tf==2.15.1"), same).fits  # the pinned version itself shadows nothing


def test_ld_preload_of_cuda_libraries_conflicts(kb: KnowledgeBase) -> None:
    facts = replace(
        from_record(kb, "x:1", None), python=Version("3.11"), ld_preload=("/usr/lib/libcudnn.so.8",)
    )
    assert "LD_PRELOAD" in fit(_answer(kb, "tf==2.15.1"), facts).problems[0].message


def test_unknown_image_is_not_a_conflict_but_says_so(kb: KnowledgeBase) -> None:
    result = fit(_answer(kb, "tf==2.15.1"), from_record(kb, "example.com/team/base:1", None))
    assert result.fits
    assert any("nothing is recorded" in n for n in result.notes)


def test_base_for_each_kind_of_answer(kb: KnowledgeBase) -> None:
    slim = choose_base(resolve(Request(parse_frameworks(["tf==2.15.1"]), python=Version("3.11")), kb), kb)
    assert (slim.image, slim.system_cuda) == ("python:3.11-slim", False)
    cuda11 = choose_base(_answer(kb, "tf=2.10"), kb)  # CUDA 11.2, cuDNN 8.1, Python <3.11
    assert (cuda11.image, str(cuda11.python)) == ("nvidia/cuda:11.2.2-cudnn8-runtime-ubuntu20.04", "3.8")
    with pytest.raises(NoBaseImageError, match=r"CUDA 10\.1 with cuDNN 7"):
        choose_base(_answer(kb, "tf=2.3"), kb)


# --- from inside -------------------------------------------------------------------------------------------


def test_recognise_markers(kb: KnowledgeBase, tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / ".containerenv").write_text("engine=podman\n")
    env = {"CUDA_VERSION": "11.8.0", "NV_CUDNN_VERSION": "8.9.6.50", "PATH": "/usr/bin"}
    inside = recognise(kb, env, root=str(tmp_path))
    assert inside.container == "podman"
    assert [h.marker.name for h in inside.hits] == ["NV_CUDNN_VERSION", "CUDA_VERSION"]
    assert [r.name for r in inside.records] == ["nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04"]
    plain = recognise(kb, {"PATH": "/usr/bin"}, root=str(tmp_path / "empty"))
    assert not plain.in_image


def test_aws_markers(kb: KnowledgeBase, tmp_path: Path) -> None:
    inside = recognise(
        kb, {"DLC_CONTAINER_TYPE": "training", "SAGEMAKER_TRAINING_MODULE": "x"}, str(tmp_path)
    )
    assert {h.marker.provider for h in inside.hits} == {"aws"}
    assert inside.container is None


# --- the image verb -----------------------------------------------------------------------------------------


def test_image_lists_the_records(cli: Callable[..., Run]) -> None:
    run = cli("image")
    assert run.code == 0
    assert "pytorch-training:2.4.0-gpu-py311-cu124-ubuntu22.04-ec2" in run.out
    assert "vertex-ai/training/tf-gpu.2-14.py310:latest" in run.out


def test_image_with_a_request_that_does_not_fit(cli: Callable[..., Run]) -> None:
    run = cli("image", "tensorflow/tensorflow:2.9.0-gpu", "tf==2.15.1", "--no-detect", "--no-probe", "--json")
    assert run.code == 1
    body = run.json()
    assert body["fits"] is False
    assert body["image"]["cudnn"] == "8.1.0.77"
    assert body["image"]["known_from"] == ["images.toml"]
    assert "Python 3.8" in body["problems"][0]["message"]


def test_image_with_a_request_that_fits(cli: Callable[..., Run]) -> None:
    run = cli(
        "image", "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04", "tf=2.13", "--no-detect", "--no-probe"
    )
    assert run.code == 0, run.out
    assert "tf=2.13 fits" in run.out
    assert "cuDNN 8.x (the exact build is not recorded)" in run.out


def test_doctor_reports_the_image_it_runs_in(
    cli: Callable[..., Run], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUDA_VERSION", "12.2.2")
    monkeypatch.setenv("NV_CUDNN_VERSION", "8.9.6.50")
    run = cli("doctor", "--no-conv", "--json")
    image = run.json()["image"]
    assert image["records"] == ["nvidia/cuda:12.2.2-cudnn8-runtime-ubuntu22.04"]
    assert {m["name"] for m in image["markers"]} == {"CUDA_VERSION", "NV_CUDNN_VERSION"}
    human = cli("doctor", "--no-conv")
    assert "image:      NV_CUDNN_VERSION=8.9.6.50: built from an nvidia/cuda image with cuDNN" in human.out


# --- the probe's view of LD_LIBRARY_PATH, and the probe piped to a Python on stdin -------------------------


def test_probe_lists_the_cudnn_on_ld_library_path(tmp_path: Path) -> None:
    from cudnn_resolve.probe import run_probe

    from .native.fakes import fake_cudnn

    fake_cudnn(tmp_path / "old", "8.9.2", cudart="12.1")
    env = {**os.environ, "LD_LIBRARY_PATH": f"{tmp_path / 'old'}:{tmp_path / 'missing'}"}
    report = run_probe(sys.executable, conv=False, env=env)
    assert report.library_path_dirs is not None
    (listed,) = report.library_path_dirs
    assert listed.directory == str(tmp_path / "old")
    assert listed.cudnn == ((str(tmp_path / "old" / "libcudnn.so.8"), "8.9.2"),)


def test_the_checker_reads_the_listing_not_its_own_disk(kb: KnowledgeBase) -> None:
    from cudnn_resolve.probe.report import PathDir, parse_report
    from cudnn_resolve.verify import Expectations, evaluate

    raw = {"python": {"prefix": "/opt/venv"}, "env": {"LD_LIBRARY_PATH": "/only/in/the/image"}}
    report = replace(
        parse_report(raw),
        library_path_dirs=(PathDir("/only/in/the/image", ("libcudnn.so.8",), ()),),
    )
    findings = [
        f for f in evaluate(kb, report, Expectations()).findings if f.code == "shadow-ld-library-path"
    ]
    assert len(findings) == 1
    assert "/only/in/the/image holds libcudnn.so.8" in findings[0].message


def test_the_piped_probe_reports_on_stdout_despite_prints(tmp_path: Path) -> None:
    """What ``check --image`` pipes to the image's Python, run here with this one: the report is the only
    thing on stdout, whatever the environment prints at import time."""
    from cudnn_resolve.probe.container import bootstrap, report_text

    noisy = tmp_path / "site"
    noisy.mkdir()
    (noisy / "sitecustomize.py").write_text("print('noise on stdout at start')\n")
    env = {**os.environ, "PYTHONPATH": str(noisy)}
    result = subprocess.run(
        [sys.executable, "-"],
        input=bootstrap(conv=False),
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    assert result.stdout.startswith("noise on stdout at start\n")
    report = json.loads(report_text(result.stdout))
    assert report["python"]["executable"] == sys.executable
    assert report["env"]["PYTHONPATH"] == str(noisy)
    assert not [e for e in report["errors"] if e["section"] in ("loader_cache_copies", "library_path_dirs")]
