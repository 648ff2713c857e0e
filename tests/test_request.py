"""Request parsing: every syntax the docs promise, and errors that name the fix."""

from __future__ import annotations

import pytest
from packaging.version import Version

from cudnn_resolve.errors import (
    ConflictingOptionsError,
    RequestSyntaxError,
    UnknownFrameworkError,
    UsageError,
)
from cudnn_resolve.request import ALIASES, FRAMEWORKS, parse_framework_request, parse_frameworks


@pytest.mark.parametrize(
    ("text", "name", "inside", "outside"),
    [
        ("tf=2.10", "tensorflow", ["2.10.0", "2.10.1"], ["2.1.0", "2.11.0", "2.100.0"]),
        ("tensorflow==2.15.*", "tensorflow", ["2.15.0", "2.15.1"], ["2.16.1"]),
        ("torch>=2.4,<2.6", "torch", ["2.4.0", "2.5.1"], ["2.6.0", "2.3.1"]),
        ("torch >= 2.4, < 2.6", "torch", ["2.4.0", "2.5.1"], ["2.6.0"]),
        ("pytorch=2.5", "torch", ["2.5.0", "2.5.1"], ["2.50.0", "2.4.1"]),
        ("jax", "jax", ["0.4.30", "0.10.2"], []),
        ("jax=0.4.30", "jax", ["0.4.30"], ["0.4.31", "0.4.3"]),
        ("TF=2.10.1", "tensorflow", ["2.10.1"], ["2.10.0"]),
        ("tensorflow 2.10.*", "tensorflow", ["2.10.1"], ["2.11.0"]),
        ("tensorflow[and-cuda]==2.15.1", "tensorflow", ["2.15.1"], ["2.15.0"]),
        ("tensorflow-gpu==2.0.0", "tensorflow", ["2.0.0"], ["2.0.1"]),
        ("jaxlib>=0.4.30", "jax", ["0.4.30", "0.5.0"], ["0.4.29"]),
    ],
)
def test_request_syntax(text: str, name: str, inside: list[str], outside: list[str]) -> None:
    req = parse_framework_request(text)
    assert req.name == name
    assert str(req) == text.strip()
    for v in inside:
        assert req.specifier.contains(Version(v)), (text, v)
    for v in outside:
        assert not req.specifier.contains(Version(v)), (text, v)


def test_torch_local_version_selects_a_variant() -> None:
    req = parse_framework_request("torch==2.4.1+cu118")
    assert req.variant == "cu118"
    assert req.specifier.contains(Version("2.4.1"))


def test_variant_only_for_torch() -> None:
    with pytest.raises(RequestSyntaxError, match="only PyTorch"):
        parse_framework_request("tf==2.10+cu112")


@pytest.mark.parametrize("text", ["", "   ", "=2.10", "tf=2.10=cuda*", "tf==two", "tf>>2", "2.10"])
def test_bad_syntax_names_the_problem(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_framework_request(text)
    message = str(info.value)
    assert "request" in message or "framework" in message
    assert "\n" not in message


def test_unknown_framework_lists_the_known_names() -> None:
    with pytest.raises(UnknownFrameworkError) as info:
        parse_framework_request("mxnet=1.9")
    assert info.value.name == "mxnet"
    for name in ("tf", "torch", "jax"):
        assert name in str(info.value)


def test_aliases_cover_every_framework() -> None:
    assert set(ALIASES.values()) == set(FRAMEWORKS)


def test_repeated_frameworks_merge_their_ranges() -> None:
    (merged,) = parse_frameworks(["torch>=2.4", "pytorch<2.6"])
    assert merged.specifier.contains(Version("2.5.1"))
    assert not merged.specifier.contains(Version("2.6.0"))
    assert not merged.specifier.contains(Version("2.3.0"))


def test_two_variants_of_one_framework_conflict() -> None:
    with pytest.raises(ConflictingOptionsError):
        parse_frameworks(["torch==2.4.1+cu118", "torch==2.4.1+cu121"])


def test_no_framework_is_an_error() -> None:
    with pytest.raises(RequestSyntaxError, match="no framework"):
        parse_frameworks([])
