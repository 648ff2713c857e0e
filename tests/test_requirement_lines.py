"""Requirement lines as pip and uv write them, read in one place."""

from __future__ import annotations

import pytest

from cudnn_resolve.requirement_lines import PinLine, parse_pin_line, requirement_name

DIGEST = "0" * 63 + "1"


@pytest.mark.parametrize(
    ("line", "pin"),
    [
        ("torch==2.14.1", PinLine("torch", "2.14.1", None, frozenset())),
        ("Nvidia_CUDNN.cu12==9.1.0.70", PinLine("nvidia-cudnn-cu12", "9.1.0.70", None, frozenset())),
        ("tensorflow[and-cuda]==2.15.1", PinLine("tensorflow", "2.15.1", None, frozenset())),
        (
            f"nvidia-nccl-cu12==2.20.5 ; sys_platform == 'linux' --hash=sha256:{DIGEST} \\",
            PinLine("nvidia-nccl-cu12", "2.20.5", "sys_platform == 'linux'", frozenset({DIGEST})),
        ),
        (f"numpy==1.26.4     --hash=sha256:{DIGEST}", PinLine("numpy", "1.26.4", None, frozenset({DIGEST}))),
        ("", None),
        ("# via torch", None),
        ("--index-url https://download.pytorch.org/whl/cu121", None),
    ],
)
def test_pin_lines(line: str, pin: PinLine | None) -> None:
    assert parse_pin_line(line) == pin


@pytest.mark.parametrize("line", ["torch>=2.4", "torch", "torch==2.4,<3", "==2.4", "torch==="])
def test_lines_that_are_not_pins_are_refused(line: str) -> None:
    with pytest.raises(ValueError, match=r"name==version pin|[Ee]xpected"):
        parse_pin_line(line)


def test_names_of_the_datas_own_pins() -> None:
    assert requirement_name("nvidia-cudnn-cu12==9.1.0.70") == "nvidia-cudnn-cu12"
    assert requirement_name("tensorflow[and-cuda]==2.15.1") == "tensorflow"
    assert requirement_name("Torch_Audio>=2") == "torch-audio"
    with pytest.raises(ValueError, match="package name"):
        requirement_name("==1.0")
