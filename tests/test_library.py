"""The library gives what the command line gives: ``cudnn_resolve.pins()`` and ``cudnn-resolve pins``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cudnn_resolve import Platform, pins
from cudnn_resolve.errors import InvalidOptionError

from .conftest import Run


@pytest.mark.parametrize(
    ("requests", "options", "flags"),
    [
        (("tf=2.10",), {"platform": "linux-64"}, ["--platform", "linux-64"]),
        (
            ("torch=2.8",),
            {"platform": Platform.LINUX_64, "driver": "535.104.05", "gpus": ["6.1"]},
            ["--platform", "linux-64", "--driver", "535.104.05", "--gpu-arch", "6.1"],
        ),
        (
            ("torch=2.4", "jax"),
            {"platform": "linux-64", "python": "3.11"},
            ["--platform", "linux-64", "--python", "3.11"],
        ),
        (("tf=2.10",), {"platform": "win-64"}, ["--platform", "win-64"]),
    ],
)
def test_pins_answers_what_the_command_answers(
    cli: Callable[..., Run], requests: tuple[str, ...], options: dict[str, Any], flags: list[str]
) -> None:
    run = cli("pins", *requests, *flags, "--json")
    assert run.code == 0, run.err
    body = run.json()
    answer = pins(*requests, **options)
    assert answer.cuda is not None
    assert str(answer.cuda) == body["cuda"]
    assert str(answer.cudnn_version) == body["cudnn_version"]
    assert str(answer.driver_min) == body["driver_min"]
    assert list(answer.pip.constraints) == body["pip"]["constraints"]
    assert list(answer.notes) == body["notes"]  # the same assumptions said (detection, defaults)


def test_pins_on_this_machine_detects_as_the_command_does(cli: Callable[..., Run]) -> None:
    # The suite turns machine detection off (CUDNN_RESOLVE_NO_DETECT): both say they did not look.
    body = cli("pins", "tf=2.18", "--json").json()
    answer = pins("tf=2.18")
    assert answer.host is not None
    assert answer.host.method == body["host"]["method"]
    assert list(answer.notes) == body["notes"]


def test_pins_bad_values_are_bad_input() -> None:
    with pytest.raises(InvalidOptionError):
        pins("tf=2.10", driver="five-hundred")
