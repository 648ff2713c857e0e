"""Value types: they compare by meaning and print as written."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cudnn_resolve.errors import InvalidOptionError
from cudnn_resolve.versions import ComputeCapability, DriverVersion, Platform


def test_driver_versions_compare_numerically_and_print_as_written() -> None:
    v = DriverVersion.parse("450.80.02")
    assert str(v) == "450.80.02"
    assert DriverVersion.parse("450.80") < v < DriverVersion.parse("450.102.04")
    assert DriverVersion.parse("535.104.05") > DriverVersion.parse("535.54.03")
    assert DriverVersion.parse("551.61") == DriverVersion.parse("551.61.0")
    assert DriverVersion.parse("575.51") < DriverVersion.parse("575.51.03") == DriverVersion.parse("575.51.3")
    assert len({DriverVersion.parse("551.61"), DriverVersion.parse("551.61.0")}) == 1


@pytest.mark.parametrize("text", ["", "abc", "535.", "-1", "535.104.05.1.2", "5 35"])
def test_bad_driver_versions(text: str) -> None:
    with pytest.raises(InvalidOptionError, match="--driver"):
        DriverVersion.parse(text)


@pytest.mark.parametrize(
    ("text", "major", "minor"), [("8.6", 8, 6), ("sm_86", 8, 6), ("90", 9, 0), ("12.0", 12, 0)]
)
def test_compute_capability_forms(text: str, major: int, minor: int) -> None:
    cc = ComputeCapability.parse(text)
    assert (cc.major, cc.minor) == (major, minor)
    assert str(cc) == f"{major}.{minor}"


def test_binary_compatibility_is_within_a_major_only() -> None:
    ampere_86 = ComputeCapability(8, 6)
    assert ampere_86.runs_binary_for(ComputeCapability(8, 0))
    assert not ComputeCapability(8, 0).runs_binary_for(ampere_86)
    assert not ComputeCapability(9, 0).runs_binary_for(ComputeCapability(8, 6))


@pytest.mark.parametrize("text", ["ampere", "8.66", "", "x.y"])
def test_bad_compute_capability(text: str) -> None:
    with pytest.raises(InvalidOptionError, match="--gpu-arch"):
        ComputeCapability.parse(text)


def test_platform_names_and_aliases() -> None:
    assert Platform.parse("linux-64") is Platform.LINUX_64
    assert Platform.parse("Windows") is Platform.WIN_64
    assert Platform.parse("linux-arm64") is Platform.LINUX_AARCH64
    assert not Platform.OSX_ARM64.has_cuda
    with pytest.raises(InvalidOptionError, match="--platform"):
        Platform.parse("solaris")


@given(st.text(alphabet="abcXYZ019-_.", min_size=1, max_size=30))
def test_canonical_name_is_packagings_rule(name: str) -> None:
    from packaging.utils import canonicalize_name

    from cudnn_resolve.versions import canonical_name

    assert canonical_name(name) == canonicalize_name(name)


@given(st.integers(min_value=7000, max_value=99999))
def test_the_probes_cudnn_decoder_is_the_packages(raw: int) -> None:
    # The probe runs without this package, so it carries its own copy; the two must never drift.
    from cudnn_resolve.probe.script import decode_cudnn
    from cudnn_resolve.versions import cudnn_version_text

    assert decode_cudnn(raw) == cudnn_version_text(raw)


@pytest.mark.parametrize(
    ("raw", "text"), [(12040, "12.4"), (13000, "13.0"), (11080, "11.8"), (10010, "10.1")]
)
def test_cuda_version_integers(raw: int, text: str) -> None:
    from cudnn_resolve.probe.script import decode_cuda
    from cudnn_resolve.versions import cuda_version_text

    assert cuda_version_text(raw) == text
    assert decode_cuda(raw) == text  # the probe's own copy
