"""The py-rattler adapter, offline against a local channel shaped like conda-forge's CUDA packages."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

if sys.version_info < (3, 10):
    # py-rattler 0.28 publishes wheels for Python >= 3.10 only; cudnn-resolve's conda support needs it.
    pytest.skip("py-rattler 0.28 needs Python >= 3.10", allow_module_level=True)

from cudnn_resolve.conda_packages import (
    RATTLER_REQUIREMENT,
    ChannelError,
    CondaSolveError,
    LockedPackage,
    RattlerVersionError,
    canonical_matchspec,
    install,
    rattler_adapter,
    solve,
    version_matches,
)
from cudnn_resolve.errors import InvalidOptionError

from .conda_channel import FakePackage, build_channel, cuda_channel

# A glibc 2.28 Linux x86_64 machine; each test adds the __cuda it is about.
LINUX: Mapping[str, str] = {"__glibc": "2.28", "__linux": "5.15", "__unix": "0", "__archspec": "1=x86_64"}
CUDNN_8_1 = ["python 3.10.*", "cudatoolkit 11.2.*", "cudnn 8.1.*"]
CUDNN_9 = ["cuda-version 12.4.*", "cudnn 9.*"]


@pytest.fixture(scope="module")
def channel(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One read-only CUDA channel for the module; tests that damage a channel build their own."""
    return cuda_channel(tmp_path_factory.mktemp("cuda-channel"))


@pytest.fixture(autouse=True)
def _rattler_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Extracted packages are cached by file name; a per-test cache keeps the user's cache untouched and
    # keeps tests that rebuild a package with other contents independent.
    monkeypatch.setenv("RATTLER_CACHE_DIR", str(tmp_path / "rattler-cache"))


def by_name(packages: tuple[LockedPackage, ...]) -> dict[str, str]:
    return {p.name: f"{p.version} {p.build}" for p in packages}


# --- MatchSpecs ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("cudnn 8.1.*", "cudnn 8.1.*"),
        ("cudnn=8.1", "cudnn 8.1.*"),
        ("  cudnn   8.1.* ", "cudnn 8.1.*"),
        ("python>=3.8", "python >=3.8"),
        ("cudnn >=8, <9", "cudnn >=8,<9"),
        ("cudnn==8.1.0.77=hcuda112_0", "cudnn ==8.1.0.77 hcuda112_0"),
        # conda's "name=version=build" means exactly that version (FACTS.md): 2.10.1 would not match.
        ("tensorflow=2.10=cuda112*", "tensorflow ==2.10 cuda112*"),
        ("tensorflow 2.10.* cuda112*", "tensorflow 2.10.* cuda112*"),
        ("conda-forge::cudnn >=8,<9", "conda-forge::cudnn >=8,<9"),
        ('cudnn[version=">=8"]', "cudnn >=8"),
    ],
)
def test_canonical_matchspec_normalizes_and_round_trips(text: str, canonical: str) -> None:
    assert canonical_matchspec(text) == canonical
    assert canonical_matchspec(canonical) == canonical


@pytest.mark.parametrize("text", ["", "!!!", "cudnn >=<8", "cudnn ==", "cudnn[version=", "cud*"])
def test_canonical_matchspec_rejects_garbage(text: str) -> None:
    with pytest.raises(InvalidOptionError, match="MatchSpec") as caught:
        canonical_matchspec(text)
    assert caught.value.value == text
    assert caught.value.exit_code == 2
    assert caught.value.__cause__ is not None  # rattler's reason stays reachable


# --- solving ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "version", "matches"),
    [
        ("12.0.*", "12.0", True),  # the `lock --check` case: conda's 12.0.* takes 12.0 itself
        ("12.0.*", "12.0.1", True),
        ("12.0.*", "12.1", False),
        ("8.1.0.*", "8.1.0.77", True),
        ("11.2.*", "11.8.0", False),
        (">=8.9,<9", "8.9.7.29", True),
        (">=8.9,<9", "9.0.0", False),
    ],
)
def test_version_matches_is_conda_matching(spec: str, version: str, matches: bool) -> None:
    assert version_matches(spec, version) is matches


def test_version_matches_rejects_garbage() -> None:
    with pytest.raises(InvalidOptionError):
        version_matches(">>>1", "1.0")


def test_cuda_11_stack_solves_under_a_newer_driver(channel: str) -> None:
    packages = solve(CUDNN_8_1, [channel], "linux-64", {**LINUX, "__cuda": "12.4"})
    assert by_name(packages) == {
        "cudatoolkit": "11.2.2 h0_13",
        "cudnn": "8.1.0.77 hcuda112_0",
        "python": "3.10.14 h0_cpython",
    }
    assert [p.name for p in packages] == sorted(p.name for p in packages)
    cudnn = next(p for p in packages if p.name == "cudnn")
    assert cudnn.depends == ("cudatoolkit 11.*",)
    assert cudnn.subdir == "linux-64"
    assert cudnn.filename == "cudnn-8.1.0.77-hcuda112_0.tar.bz2"
    assert cudnn.channel.rstrip("/") == channel
    assert cudnn.url == f"{channel}/linux-64/{cudnn.filename}"
    archive = (Path(channel.removeprefix("file://")) / "linux-64" / cudnn.filename).read_bytes()
    assert cudnn.sha256 == hashlib.sha256(archive).hexdigest()
    assert cudnn.md5 == hashlib.md5(archive).hexdigest()
    assert cudnn.size == len(archive)
    assert str(cudnn) == "cudnn 8.1.0.77 hcuda112_0"


def test_cudatoolkit_11_only_needs_a_cuda_11_driver(channel: str) -> None:
    # conda-forge's cudatoolkit 11.x constrains `__cuda >=11`, not >=11.2 (CUDA 11 minor-version
    # compatibility), so an 11.0 driver is accepted and only a 10.x driver conflicts.
    packages = solve(CUDNN_8_1, [channel], "linux-64", {**LINUX, "__cuda": "11.0"})
    assert by_name(packages)["cudatoolkit"] == "11.2.2 h0_13"

    with pytest.raises(CondaSolveError) as caught:
        solve(CUDNN_8_1, [channel], "linux-64", {**LINUX, "__cuda": "10.2"})
    error = caught.value
    assert error.exit_code == 1
    assert error.specs == tuple(CUDNN_8_1)
    assert error.virtual_packages["__cuda"] == "10.2"
    assert "__cuda >=11" in error.explanation
    message = str(error)
    assert "\n" not in message
    for part in (
        "cudatoolkit 11.2.2 would constrain __cuda >=11",
        "__cuda 10.2",
        "cudnn 8.1.*",
        "CONDA_OVERRIDE_CUDA",
    ):
        assert part in message


def test_cuda_12_stack_follows_cuda_version_and_the_driver(channel: str) -> None:
    packages = solve(CUDNN_9, [channel], "linux-64", {**LINUX, "__cuda": "12.6"})
    assert by_name(packages) == {
        "cuda-nvrtc": "12.4.127 h0_0",
        "cuda-version": "12.4 h0_3",
        "cudnn": "9.3.0.75 hcuda12_0",
        "libcublas": "12.4.5.8 h0_0",
    }
    cuda_version = next(p for p in packages if p.name == "cuda-version")
    assert (cuda_version.subdir, cuda_version.noarch) == ("noarch", "generic")

    with pytest.raises(CondaSolveError, match=r"cuda-version 12\.4 would constrain __cuda >=12") as caught:
        solve(CUDNN_9, [channel], "linux-64", {**LINUX, "__cuda": "11.8"})
    assert "__cuda 11.8" in str(caught.value)


def test_virtual_packages_are_not_detected(channel: str) -> None:
    # Nothing is taken from this machine: without __glibc, conda-forge's linux builds cannot install.
    with pytest.raises(CondaSolveError, match=r"__glibc >=2\.17,<3\.0\.a0, for which no candidates"):
        solve(CUDNN_9, [channel], "linux-64", {"__cuda": "12.6"})


def test_only_the_target_platform_and_noarch_are_searched(channel: str) -> None:
    windows = {"__win": "0", "__cuda": "12.4"}
    assert by_name(solve(["cuda-version 12.4.*"], [channel], "win-64", windows)) == {
        "cuda-version": "12.4 h0_3"
    }
    with pytest.raises(CondaSolveError, match=r"No candidates were found for python"):
        solve(["python 3.10.*"], [channel], "win-64", windows)


@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        ({"specs": ["cudnn >=<8"]}, "MatchSpec"),
        ({"platform": "linux"}, "platform"),
        ({"platform": "noarch"}, "platform"),
        ({"channels": []}, "channel"),
        ({"virtual_packages": {"cuda": "12.4"}}, "virtual package"),
        ({"virtual_packages": {"__cuda": "twelve..4"}}, "virtual package __cuda"),
    ],
)
def test_bad_arguments_are_usage_errors(channel: str, arguments: dict[str, object], option: str) -> None:
    call: dict[str, object] = {"specs": ["python"], "channels": [channel], "platform": "linux-64"}
    call.update(arguments)
    with pytest.raises(InvalidOptionError) as caught:
        solve(**call)  # type: ignore[arg-type]  # the table mixes argument types on purpose
    assert caught.value.option == option


def test_unreadable_channels_raise_channel_error(channel: str, tmp_path: Path) -> None:
    missing = (tmp_path / "no-such-channel").as_uri()
    with pytest.raises(ChannelError) as caught:
        solve(["python"], [channel, missing], "linux-64", LINUX)
    assert caught.value.channels == (missing,)  # the readable channel is not blamed
    assert caught.value.exit_code == 2
    assert "repodata.json" in str(caught.value)

    broken = tmp_path / "broken"
    build_channel(broken, [FakePackage("python", "3.10.14", "h0", files={"bin/python": b"x"})])
    (broken / "linux-64" / "repodata.json").write_text("{not json")
    with pytest.raises(ChannelError, match=r"failed to parse repodata\.json"):
        solve(["python"], [broken.as_uri()], "linux-64", LINUX)


def test_channels_are_reproducible(tmp_path: Path) -> None:
    first, second = cuda_channel(tmp_path / "a"), cuda_channel(tmp_path / "b")
    for subdir in ("linux-64", "noarch"):
        a = (Path(first.removeprefix("file://")) / subdir / "repodata.json").read_text()
        b = (Path(second.removeprefix("file://")) / subdir / "repodata.json").read_text()
        assert a == b


# --- installing ---------------------------------------------------------------------------------------


def test_install_links_payloads_and_writes_conda_meta(channel: str, tmp_path: Path) -> None:
    packages = solve([*CUDNN_9, "python 3.10.*", "pip"], [channel], "linux-64", {**LINUX, "__cuda": "12.6"})
    prefix = tmp_path / "env"
    install(packages, prefix, "linux-64")

    assert (prefix / "lib" / "libcudnn.so.9").read_bytes() == b"cudnn 9.3.0.75 test payload\n"
    assert (prefix / "lib" / "libcublas.so.12").is_file()
    assert (prefix / "bin" / "python3.10").is_file()
    # pip is noarch: python, so its site-packages land under the solved python's version.
    assert (prefix / "lib" / "python3.10" / "site-packages" / "pip-24.0.dist-info" / "METADATA").is_file()
    meta = {path.name: json.loads(path.read_text()) for path in (prefix / "conda-meta").glob("*.json")}
    assert sorted(meta) == sorted(f"{p.name}-{p.version}-{p.build}.json" for p in packages)
    cudnn = meta["cudnn-9.3.0.75-hcuda12_0.json"]
    assert cudnn["files"] == ["lib/libcudnn.so.9"]
    assert cudnn["channel"].rstrip("/") == channel


def test_install_refuses_a_non_empty_prefix(channel: str, tmp_path: Path) -> None:
    packages = solve(["python 3.11.*"], [channel], "linux-64", LINUX)
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "keep.txt").write_text("mine")
    with pytest.raises(InvalidOptionError, match="prefix"):
        install(packages, tmp_path / "env", "linux-64")
    assert [p.name for p in (tmp_path / "env").iterdir()] == ["keep.txt"]


def test_install_of_a_missing_or_changed_file_raises_channel_error(tmp_path: Path) -> None:
    root = tmp_path / "channel"
    url = cuda_channel(root)
    packages = solve(["python 3.10.*", "pip"], [url], "linux-64", LINUX)

    (root / "noarch" / "pip-24.0-pyhd8ed1ab_0.tar.bz2").unlink()
    with pytest.raises(ChannelError, match=r"pip-24\.0-pyhd8ed1ab_0\.tar\.bz2"):
        install(packages, tmp_path / "env", "linux-64")
    assert not (tmp_path / "env").exists()

    # A channel rebuilt with other contents under the same file name: the solve's checksum catches it,
    # which rattler itself does not do for file:// packages.
    shutil.rmtree(root)
    build_channel(root, [FakePackage("python", "3.10.14", "h0_cpython", files={"bin/python3.10": b"other"})])
    with pytest.raises(ChannelError, match="solve again"):
        install([p for p in packages if p.name == "python"], tmp_path / "env", "linux-64")
    assert not (tmp_path / "env").exists()


# --- the pin ------------------------------------------------------------------------------------------


def test_the_installed_rattler_is_in_the_supported_series() -> None:
    assert rattler_adapter.supported_rattler(importlib.metadata.version("py-rattler"))


@pytest.mark.parametrize(
    ("version", "supported"),
    [
        ("0.28.0", True),
        ("0.28.3", True),
        ("0.27.1", False),
        ("0.29.0", False),
        ("1.28.0", False),
        (None, False),
    ],
)
def test_the_supported_series(version: str | None, supported: bool) -> None:
    assert rattler_adapter.supported_rattler(version) is supported


@pytest.mark.parametrize("version", ["0.1.0", "0.27.1", "0.29.0"])
def test_another_rattler_series_is_refused_at_import(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    monkeypatch.setattr(importlib.metadata, "version", lambda name: version)
    # Execute a private copy of the adapter so the imported module stays untouched.
    spec = importlib.util.spec_from_file_location(
        "cudnn_resolve.conda_packages._pin_check", rattler_adapter.__file__
    )
    assert spec is not None
    assert spec.loader is not None
    with pytest.raises(ImportError, match=rf"needs py-rattler 0\.28\.x .*but py-rattler {version}") as caught:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    assert type(caught.value).__name__ == RattlerVersionError.__name__
    assert f"pip install '{RATTLER_REQUIREMENT}'" in str(caught.value)
