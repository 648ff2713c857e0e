"""The ELF reader and `doctor --binary`, against programs and libraries compiled here."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from cudnn_resolve.probe import elf
from cudnn_resolve.verify.binary import BinaryError, resolve_binary

from .conftest import Run
from .native.fakes import fake_cudart, fake_cudnn, fake_program


def _program(tmp_path: Path, cudnn_cudart: str = "12.4", cudart: str = "12.4") -> Path:
    libs = tmp_path / "app" / "lib"
    fake_cudnn(libs, "9.24.0", cudart=cudnn_cudart)
    fake_cudart(libs, cudart)
    return fake_program(tmp_path / "app", libs)


def test_dynamic_section(tmp_path: Path) -> None:
    program = _program(tmp_path)
    info = elf.read_dynamic(str(program))
    assert "libcudnn.so.9" in info.needed
    assert "libcudart.so.12" in info.needed
    assert info.runpath == [str((tmp_path / "app").resolve()) + "/lib"]  # $ORIGIN expanded
    assert info.rpath == []


def test_ld_library_path_beats_runpath(tmp_path: Path) -> None:
    program = _program(tmp_path)
    other = tmp_path / "other"
    fake_cudnn(other, "9.20.0")
    info = elf.read_dynamic(str(program))
    found, how = elf.find_library("libcudnn.so.9", info, str(other), {})
    assert (found, how) == (str(other / "libcudnn.so.9"), "LD_LIBRARY_PATH")
    found, how = elf.find_library("libcudnn.so.9", info, "", {})
    assert how == "DT_RUNPATH"


def test_not_elf(tmp_path: Path) -> None:
    text = tmp_path / "script.sh"
    text.write_text("#!/bin/sh\n")
    with pytest.raises(ValueError, match="not an ELF"):
        elf.read_dynamic(str(text))
    with pytest.raises(BinaryError):
        resolve_binary(text)


def test_binary_resolution_and_agreement(tmp_path: Path) -> None:
    libraries, problems = resolve_binary(_program(tmp_path), ld_library_path="")
    by_name = {r.soname: r for r in libraries}
    assert by_name["libcudnn.so.9"].version == "9.24.0"
    assert by_name["libcudnn.so.9"].built_for_cudart == "12.4"
    assert by_name["libcudart.so.12"].version == "12.4"
    assert problems == []


def test_binary_versions_disagree(tmp_path: Path) -> None:
    # A cuDNN built for CUDA 11.8 next to a CUDA 12 runtime: the majors differ.
    _, problems = resolve_binary(_program(tmp_path, cudnn_cudart="11.8"), ld_library_path="")
    assert any("different majors" in p for p in problems)


def test_missing_library(tmp_path: Path) -> None:
    program = _program(tmp_path)
    for lib in (tmp_path / "app" / "lib").glob("libcudart*"):
        lib.unlink()
    libraries, problems = resolve_binary(program, ld_library_path="")
    assert any(r.soname == "libcudart.so.12" and r.path is None for r in libraries)
    assert "libcudart.so.12: not found by the loader" in problems


def test_doctor_binary_cli(cli: Callable[..., Run], tmp_path: Path) -> None:
    program = _program(tmp_path)
    run = cli("doctor", "--binary", str(program), "--no-conv", "--json")
    assert run.code == 0, run.out
    body = json.loads(run.out)
    names = {lib["soname"]: lib for lib in body["binary"]["libraries"]}
    assert names["libcudnn.so.9"]["found_by"] == "DT_RUNPATH"
    assert body["host"]["method"] == "disabled"  # the suite does not read this machine's driver (conftest)
    run = cli("doctor", "--binary", str(tmp_path / "nope"), "--no-conv")
    assert run.code == 2
    assert "does not exist" in run.err
