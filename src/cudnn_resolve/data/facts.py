"""Facts the data may not know: ``"unknown"`` in a data file is a value, not a missing field.

A record that leaves out a fact it could state is a schema error; one that writes ``"unknown"`` says no
source states it. The resolver infers such a fact conservatively and the answer says so
(``resolver/inference.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar, Union

T = TypeVar("T")

UNKNOWN_TEXT = "unknown"


@dataclass(frozen=True)
class Unknown:
    """A fact no source in the data states (written ``"unknown"`` in the data file)."""

    def __str__(self) -> str:
        return UNKNOWN_TEXT


UNKNOWN = Unknown()

# A fact that is either known (its value) or explicitly unknown.
Fact = Union[T, Unknown]


def known(value: T | Unknown) -> T | None:
    """The value of a known fact, None where it is unknown."""
    return None if isinstance(value, Unknown) else value
