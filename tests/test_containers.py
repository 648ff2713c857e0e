"""Real container builds with podman: the generated Dockerfile for TensorFlow 2.15.1 (whose [and-cuda]
wheels bring cuDNN 8.9.4.25) builds, passes its own check step and `check --image`; an image that puts an
older cuDNN on LD_LIBRARY_PATH is refused as a base and fails the build of the same Dockerfile.

Needs rootful podman and the local python:3.11-slim base that the shared containers setup.sh provides.
.ci/run runs it and sets CUDNN_RESOLVE_REQUIRE_CONTAINERS=1: there (and wherever CI or that variable is
set) a missing podman fails these tests; elsewhere they are skipped with the command that sets it up.
Downloads (GBs of wheels) go to the build's cache mounts, kept by podman across
builds in one place; every image and container the tests make is removed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.network]

ROOT = Path(__file__).resolve().parent.parent
REQUEST = ["tf==2.15.1", "--python", "3.11", "--no-detect"]
OLD_CUDNN = "nvidia-cudnn-cu12==8.9.2.26"  # older than the 8.9.4.25 TensorFlow 2.15.1 pins
SHADOW_DOCKERFILE = f"""\
FROM python:3.11-slim
RUN --mount=type=cache,target=/root/.cache/pip \\
    python3 -m pip download --disable-pip-version-check --no-deps --only-binary :all: \\
       -d /root/.cache/pip/cudnn-resolve-tests {OLD_CUDNN} \\
    && python3 -m pip install --disable-pip-version-check --no-deps --no-index \\
       --find-links /root/.cache/pip/cudnn-resolve-tests --target /opt/old-cudnn {OLD_CUDNN}
ENV LD_LIBRARY_PATH=/opt/old-cudnn/nvidia/cudnn/lib
"""


def _tag(name: str) -> str:
    return f"localhost/cudnn-resolve-test/{name}:{os.getpid()}"


@pytest.fixture(scope="module")
def podman() -> str:
    path = shutil.which("podman")
    if path is None:
        why = "podman is not installed: run the shared containers setup.sh (as .ci/run does)"
        if os.environ.get("CI") or os.environ.get("CUDNN_RESOLVE_REQUIRE_CONTAINERS") == "1":
            pytest.fail(why)
        pytest.skip(why)
    return path


def _run(
    *args: str, timeout: float = 1800, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, check=False, env=env)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return _run(sys.executable, "-m", "cudnn_resolve", *args)


def _build(podman: str, context: Path, tag: str) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.monotonic()
    result = _run(
        podman, "build", "--format", "docker", "--layers=false", "--force-rm", "-t", tag, str(context)
    )
    return result, time.monotonic() - start


def _remove(podman: str, tag: str) -> None:
    _run(podman, "rmi", "--force", tag, timeout=300)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """cudnn-resolve as a wheel built from this checkout (it is not on the package index yet)."""
    from uv import find_uv_bin

    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [find_uv_bin(), "build", "--wheel", "-q", "-o", str(out), str(ROOT)], check=True, timeout=600
    )
    (built,) = out.glob("cudnn_resolve-*.whl")
    return built


def _context(
    tmp_path_factory: pytest.TempPathFactory, wheel: Path, *extra: str
) -> tuple[Path, subprocess.CompletedProcess[str]]:
    context = tmp_path_factory.mktemp("context")
    shutil.copy(wheel, context)
    result = _cli("dockerfile", *REQUEST, "-o", str(context / "Dockerfile"), "--tool", wheel.name, *extra)
    return context, result


@pytest.fixture(scope="module")
def tf_image(podman: str, wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    context, written = _context(tmp_path_factory, wheel)
    assert written.returncode == 0, written.stderr
    tag = _tag("tf215")
    try:
        result, seconds = _build(podman, context, tag)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        print(f"\nbuild of {tag}: {seconds:.0f} s")
        yield tag, result.stdout + result.stderr
    finally:
        _remove(podman, tag)


@pytest.fixture(scope="module")
def shadow_base(podman: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """python:3.11-slim with an older cuDNN wheel's library directory on LD_LIBRARY_PATH."""
    context = tmp_path_factory.mktemp("shadow")
    (context / "Dockerfile").write_text(SHADOW_DOCKERFILE)
    tag = _tag("old-cudnn-on-ld-library-path")
    try:
        result, _ = _build(podman, context, tag)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
        yield tag
    finally:
        _remove(podman, tag)


def test_the_generated_dockerfile_builds_and_its_check_passes(tf_image: tuple[str, str]) -> None:
    _, log = tf_image
    assert "cudnn-resolve check --python /opt/venv/bin/python --expect-cudnn 8.9.4.25" in log
    assert "verdict: PASS (loaded cuDNN 8.9.4; 0 error(s))" in log
    assert "/nvidia/cudnn/lib/libcudnn.so.8 (TensorFlow would load it (DT_RUNPATH))" in log


def test_the_image_carries_its_expectations(podman: str, tf_image: tuple[str, str]) -> None:
    tag, _ = tf_image
    inspected = json.loads(_run(podman, "image", "inspect", tag).stdout)[0]["Config"]
    assert inspected["Labels"]["cudnn-resolve.expect-cudnn"] == "8.9.4.25"
    assert not [e for e in inspected["Env"] if e.startswith(("LD_LIBRARY_PATH=", "LD_PRELOAD="))]


def test_check_image(tf_image: tuple[str, str]) -> None:
    tag, _ = tf_image
    result = _cli("check", "--image", tag, "--json")
    assert result.returncode == 0, result.stderr + result.stdout
    body = json.loads(result.stdout)
    assert body["passed"] is True
    assert body["image"] == tag
    assert body["loaded_cudnn"] == "8.9.4"
    assert body["expectations"]["source"] == f"the label cudnn-resolve.expect-cudnn of {tag}"
    assert body["python"]["executable"] == "/opt/venv/bin/python"
    assert body["frameworks"]["tensorflow"]["version"] == "2.15.1"


def test_check_image_fails_on_a_mismatch(tf_image: tuple[str, str]) -> None:
    tag, _ = tf_image
    result = _cli("check", "--image", tag, "--expect-cudnn", "9.3", "--no-conv")
    assert result.returncode == 1
    assert "loaded cuDNN 8.9.4" in result.stdout
    assert "is not the pinned 9.3" in result.stdout


def test_the_entrypoint_checks_at_start_on_request(podman: str, tf_image: tuple[str, str]) -> None:
    tag, _ = tf_image
    workload = ["python", "-c", "print('workload ran')"]
    plain = _run(podman, "run", "--rm", tag, *workload, timeout=600)
    assert plain.stdout == "workload ran\n"
    assert "verdict" not in plain.stderr
    checked = _run(podman, "run", "--rm", "-e", "CUDNN_RESOLVE_CHECK_AT_START=1", tag, *workload, timeout=600)
    assert checked.returncode == 0, checked.stderr
    assert "verdict: PASS" in checked.stderr
    assert checked.stdout == "workload ran\n"
    preload = "/opt/venv/lib/python3.11/site-packages/nvidia/cudnn/lib/libcudnn.so.8"
    broken = _run(
        podman,
        "run",
        "--rm",
        "-e",
        "CUDNN_RESOLVE_CHECK_AT_START=1",
        "-e",
        f"LD_PRELOAD={preload}",
        tag,
        *workload,
        timeout=600,
    )
    assert broken.returncode == 1
    assert "shadow" in broken.stderr or "LD_PRELOAD forces" in broken.stderr
    assert "workload ran" not in broken.stdout


def test_doctor_inside_the_image(podman: str, tf_image: tuple[str, str]) -> None:
    tag, _ = tf_image
    result = _run(
        podman,
        "run",
        "--rm",
        tag,
        "/opt/cudnn-resolve/venv/bin/cudnn-resolve",
        "doctor",
        "--no-conv",
        "--json",
    )
    image = json.loads(result.stdout)["image"]
    assert image["container"] == "podman"  # /run/.containerenv, which podman creates
    assert {"name": "CUDNN_RESOLVE_IMAGE", "value": "tf==2.15.1"}.items() <= image["markers"][0].items()


def test_image_verb_probes_a_local_image(tf_image: tuple[str, str]) -> None:
    tag, _ = tf_image
    body = json.loads(_cli("image", tag, "--json").stdout)["image"]
    assert body["known_from"] == ["image configuration", "probe"]
    assert body["python"] == "3.11"
    assert body["frameworks"] == ["tensorflow 2.15.1"]


def test_a_base_with_an_old_cudnn_on_ld_library_path_is_refused(
    shadow_base: str, wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    context, result = _context(tmp_path_factory, wheel, "--base", shadow_base)
    assert result.returncode == 1, result.stdout
    assert (
        "puts cuDNN 8.9.2 on LD_LIBRARY_PATH (/opt/old-cudnn/nvidia/cudnn/lib/libcudnn.so.8)" in result.stderr
    )
    assert "loads by RUNPATH, which LD_LIBRARY_PATH overrides" in result.stderr
    assert "fix: use a base that keeps cuDNN off LD_LIBRARY_PATH" in result.stderr
    assert sorted(p.name for p in context.iterdir()) == [wheel.name]  # nothing written


def test_the_same_dockerfile_fails_to_build_on_that_base(
    podman: str, shadow_base: str, wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    context, written = _context(tmp_path_factory, wheel)
    assert written.returncode == 0, written.stderr
    dockerfile = context / "Dockerfile"
    dockerfile.write_text(dockerfile.read_text().replace("FROM python:3.11-slim", f"FROM {shadow_base}"))
    tag = _tag("tf215-shadowed")
    try:
        result, seconds = _build(podman, context, tag)
        log = result.stdout + result.stderr
        print(f"\nfailed build of {tag}: {seconds:.0f} s")
        assert result.returncode != 0
        assert "verdict: FAIL" in log
        assert "cuDNN:       8.9.2 from /opt/old-cudnn/nvidia/cudnn/lib/libcudnn.so.8" in log
        assert "is not the pinned 8.9.4.25" in log
        assert 'building at STEP "RUN /opt/cudnn-resolve/venv/bin/cudnn-resolve check' in log
        assert _run(podman, "image", "exists", tag).returncode != 0
    finally:
        _remove(podman, tag)


def test_check_image_that_is_not_local(podman: str) -> None:
    result = _cli("check", "--image", _tag("absent"))
    assert result.returncode == 2
    assert "is not in podman's local storage" in result.stderr
