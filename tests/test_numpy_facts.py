"""The NumPy facts (``[[numpy]]`` in the framework files) and what the resolver makes of them.

The scenarios (tests/scenarios/*numpy*) pin the answers for the shipped facts; these tests hold the data
to its schema and exercise the inference for facts the data does not state.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.version import Version

from cudnn_resolve.data import KnowledgeBase, load_knowledge_base
from cudnn_resolve.data.facts import Unknown
from cudnn_resolve.data.numpy_builds import NumpyBuild
from cudnn_resolve.errors import DataError
from cudnn_resolve.request import Request, parse_frameworks
from cudnn_resolve.resolver import Resolution, resolve
from cudnn_resolve.versions import Platform

FRAMEWORKS = ("tensorflow", "torch", "jax")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


def _answer(request: str, platform: Platform, kb: KnowledgeBase | None = None) -> Resolution:
    return resolve(Request(parse_frameworks(request.split()), platform=platform), kb)


def test_every_shipped_release_is_covered_once_on_every_platform(kb: KnowledgeBase) -> None:
    for name in FRAMEWORKS:
        for version in kb.framework_versions(name):
            for platform in Platform:
                covering = [r for r in kb.numpy[name] if r.covers(version, platform)]
                assert len(covering) == 1, (name, str(version), str(platform), covering)


def _record(
    kb: KnowledgeBase, name: str, version: Version, platform: Platform = Platform.LINUX_64
) -> NumpyBuild:
    return next(r for r in kb.numpy[name] if r.covers(version, platform))


def _needs_pin(name: str, version: Version) -> bool:
    """What the sources say (see the records): TensorFlow 2.7-2.11 and 2.14.0, PyTorch before 2.3."""
    if name == "tensorflow":
        return Version("2.7") <= version < Version("2.12") or version == Version("2.14.0")
    return name == "torch" and version < Version("2.3")


def test_what_the_data_says(kb: KnowledgeBase) -> None:
    for name in FRAMEWORKS:
        for version in kb.framework_versions(name):
            record = _record(kb, name, version)
            assert not isinstance(record.built_with, Unknown)
            assert (record.built_with == 1 and record.admits(2)) == _needs_pin(name, version), (name, version)
    first_numpy_2 = {
        name: min(v for v in kb.framework_versions(name) if _record(kb, name, v).built_with == 2)
        for name in FRAMEWORKS
    }
    assert first_numpy_2 == {
        "tensorflow": Version("2.18.0"),
        "torch": Version("2.3.0"),
        "jax": Version("0.4.30"),
    }
    windows = {
        str(v): _record(kb, "torch", v, Platform.WIN_64).built_with for v in kb.framework_versions("torch")
    }
    assert windows["2.3.1"] == Unknown()
    assert windows["2.4.0"] == 1
    assert windows["2.4.1"] == 2


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            'built_with = "2"\nrequires = ">=1.26.0"',
            'built_with = "3"\nrequires = ">=1.26.0"',
            "is not one of",
        ),
        (
            'built_with = "2"\nrequires = ">=1.26.0"',
            'requires = ">=1.26.0"',
            "missing required field 'built_with'",
        ),
        ('requires = ">=1.20"', 'requires = "<1"', "admits no NumPy 1.x or 2.x release"),
        ('requires = ">=1.20"', 'requires = ">=2.0"', "built against NumPy 1.x, but field 'requires'"),
        (
            'versions = ">=2.8,<2.12"',
            'versions = ">=2.8,<2.13"',
            "tensorflow 2.12.0 on linux-64 is covered twice",
        ),
        ('versions = "==2.12.0"', 'versions = "==2.12.9"', "covers no release in the file"),
    ],
)
def test_a_malformed_numpy_record_is_named(data_copy: Path, old: str, new: str, problem: str) -> None:
    _edit(data_copy / "tensorflow.toml", old, new)
    with pytest.raises(DataError) as info:
        load_knowledge_base(data_copy)
    message = str(info.value)
    assert "tensorflow.toml" in message
    assert problem in message
    assert "numpy" in message


def _without_record(path: Path, versions: str) -> None:
    """Drop the [[numpy]] record with ``versions``: those releases are then covered by none."""
    text = path.read_text()
    match = re.search(r'\[\[numpy\]\]\nversions = "' + re.escape(versions) + r'"\n(?:.+\n)+', text)
    assert match, versions
    path.write_text(text[: match.start()] + text[match.end() :])


def test_a_release_older_than_the_first_numpy_2_build_is_inferred_numpy_1(data_copy: Path) -> None:
    # As for a release `data update` adds without a [[numpy]] record: TensorFlow 2.14.0 is older than
    # 2.18.0, the first TensorFlow release built against NumPy 2.
    _without_record(data_copy / "tensorflow.toml", "==2.14.0")
    answer = _answer("tensorflow==2.14.0", Platform.LINUX_64, load_knowledge_base(data_copy))
    assert "numpy<2" in answer.pip.constraints
    (inferred,) = answer.inferred
    assert inferred.startswith("the data does not say which NumPy TensorFlow 2.14.0's wheels")
    assert "taken as NumPy 1.x (it is older than 2.18.0" in inferred
    assert inferred in answer.notes


def test_a_release_after_the_first_numpy_2_build_is_inferred_numpy_2(data_copy: Path) -> None:
    _without_record(data_copy / "torch.toml", ">=2.4.1,<2.16")
    answer = _answer("torch==2.14.1", Platform.LINUX_64, load_knowledge_base(data_copy))
    assert not [c for c in answer.pip.constraints if c.startswith("numpy")]
    (inferred,) = answer.inferred
    assert "taken as NumPy 2 (as 2.3.0 and later releases on linux-64 are" in inferred


def test_an_unknown_fact_in_the_data_is_inferred_and_said() -> None:
    answer = _answer("torch==2.3.0", Platform.WIN_64)
    assert "numpy<2" in answer.pip.constraints
    (inferred,) = answer.inferred
    assert "no source states which NumPy PyTorch 2.3.0's win-64 wheels" in inferred
    assert "older than 2.4.1, the first release compiled against NumPy 2 on win-64" in inferred
    # The record stays the source of what it does state.
    assert any("pytorch/builder pull request #1945" in s for s in answer.sources)


def test_the_pin_reaches_every_output(kb: KnowledgeBase) -> None:
    from cudnn_resolve.writers import constraints_text, environment_yml, requirements_text

    resolution = resolve(Request(parse_frameworks(["tf=2.10"]), platform=Platform.LINUX_64), kb)
    assert "\nnumpy<2\n" in constraints_text(resolution, ["constraints", "tf=2.10"])
    assert "numpy" not in requirements_text(resolution, ["constraints", "tf=2.10"])  # TF pulls it in
    assert "      - numpy<2\n" in environment_yml(resolution, ["env-file", "tf=2.10"])


def test_conda_forge_builds_carry_their_own_numpy() -> None:
    request = Request(parse_frameworks(["tf=2.10"]), platform=Platform.LINUX_64, framework_source="conda")
    answer = resolve(request).to_json()
    assert "numpy" not in str(answer["pip"]) + str(answer["conda"])


def test_lock_check_holds_a_lock_to_the_numpy_range(kb: KnowledgeBase, tmp_path: Path) -> None:
    from cudnn_resolve.lock.check import check_lock

    resolution = resolve(Request(parse_frameworks(["tf=2.10"]), platform=Platform.LINUX_64), kb)
    digest = "--hash=sha256:" + "0" * 64
    pins = [p for p in resolution.pip.constraints if "==" in p]
    lock = tmp_path / "requirements.lock.txt"
    for numpy, ok in (("1.26.4", True), ("2.2.6", False)):
        lock.write_text("".join(f"{p} {digest}\n" for p in [*pins, f"numpy=={numpy}"]))
        differences = check_lock(lock, resolution).differences
        assert differences == (
            () if ok else (f"numpy: the lock has {numpy}; the resolution requires numpy<2",)
        )
