"""A small TOML writer for the data records `data update` produces (strings, integers, lists of strings,
tables and arrays of tables) and the pylock files `lock` writes (date-times, inline tables).

Written here rather than with tomli-w, which is measurably worse for these files (tomli-w 1.2.0, tried on
a pylock): it writes no comments, so no generated file could start with the header naming the command
that made it; it writes each wheel as a ``[[packages.wheels]]`` table with a ``[packages.wheels.hashes]``
sub-table (nine lines where uv writes one inline table), so a lock would not read like uv's own; and it
writes date-times as ``2024-01-01 00:00:00+00:00``, where uv writes ``2024-01-01T00:00:00Z``. tomlkit
(used to edit users' pyproject.toml files in place) round-trips existing text, which these new files
do not need.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def key(name: str) -> str:
    """A TOML key: bare where TOML allows it (``upload-time``), else quoted."""
    return name if _BARE_KEY.match(name) else json.dumps(name)


def value(value: Any) -> str:
    """One TOML value: a string, integer, boolean, date-time, list or inline table."""
    return _value(value)


def _datetime(moment: datetime.datetime) -> str:
    """RFC 3339 as TOML writes it, UTC as ``Z`` (how uv writes a pylock's upload-time)."""
    text = moment.replace(tzinfo=None).isoformat()
    offset = moment.utcoffset()
    if offset is None:
        return text
    return text + ("Z" if not offset else moment.isoformat()[len(text) :])


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime.datetime):
        return _datetime(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{key(str(k))} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _table(lines: list[str], name: str, record: Mapping[str, Any]) -> None:
    lines.append(f"[[{name}]]")
    nested = {k: v for k, v in record.items() if isinstance(v, list) and v and isinstance(v[0], Mapping)}
    for key, value in record.items():
        if key not in nested:
            lines.append(f"{key} = {_value(value)}")
    for key, records in nested.items():
        for sub in records:
            lines.append("")
            _table(lines, f"{name}.{key}", sub)


def dumps(document: Mapping[str, Sequence[Mapping[str, Any]]], header: Sequence[str] = ()) -> str:
    """Arrays of tables, in order, each record's scalar fields first and its sub-arrays after."""
    lines = [f"# {line}" for line in header]
    for name, records in document.items():
        for record in records:
            lines.append("")
            _table(lines, name, record)
    return "\n".join(lines).lstrip("\n") + "\n"
