"""Data-driven resolution scenarios: one TOML file per case in tests/scenarios/.

Each file holds ``request`` (the words), ``args`` (extra command-line arguments; --no-detect is always
added so the answer does not depend on the machine) and ``[expect]``:

- ``exit``: 0 resolved, 1 impossible, 2 bad input;
- for exit 0, any key of the ``pins --json`` object to compare exactly (``cuda``, ``cudnn``,
  ``cudnn_version``, ``python``, ``driver_min``, ``inferred`` ...), ``null`` (keys that must be null),
  ``frameworks`` (list of "name==version" or "name==version+variant"), ``index_urls`` (exactly), and
  ``constraints_include``, ``requirements_include``, ``conda_include``, ``conda_pip_include``,
  ``notes_include``, ``inferred_include`` (substrings), and the same keys ending in ``_exclude``
  (substrings no item may contain);
- for exit 1: ``reasons_include`` and ``fixes_include`` (substrings of the explanation);
- for exit 2: ``message_include``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .conftest import Run

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.toml"))
LISTS = {
    "constraints": ("pip", "constraints"),
    "requirements": ("pip", "requirements"),
    "conda": ("conda", "dependencies"),
    "conda_pip": ("conda", "pip"),
    "notes": ("notes",),
    "inferred": ("inferred",),
}


def _contains_all(haystack: list[str], needles: list[str], what: str) -> None:
    for needle in needles:
        assert any(needle in item for item in haystack), f"{what}: {needle!r} not in {haystack}"


def _contains_none(haystack: list[str], needles: list[str], what: str) -> None:
    for needle in needles:
        assert not any(needle in item for item in haystack), f"{what}: {needle!r} in {haystack}"


def _list(answer: dict[str, Any], key: str) -> list[str] | None:
    """The answer's list a ``<list>_include``/``<list>_exclude`` key names, or None for another key."""
    name, _, kind = key.rpartition("_")
    if kind not in ("include", "exclude") or name not in LISTS:
        return None
    found: Any = answer
    for part in LISTS[name]:
        found = found[part]
    return list(found)


def _check_answer(expect: dict[str, Any], answer: dict[str, Any]) -> None:
    for key, value in expect.items():
        if key in SPECIAL_KEYS:
            SPECIAL_KEYS[key](value, answer)
        elif (items := _list(answer, key)) is not None:
            (_contains_all if key.endswith("_include") else _contains_none)(items, value, key)
        else:
            assert answer[key] == value, f"{key}: {answer[key]!r} != {value!r}"


def _nulls(keys: list[str], answer: dict[str, Any]) -> None:
    for key in keys:
        assert answer[key] is None, f"{key}: {answer[key]!r} is not null"


def _frameworks(wanted: list[str], answer: dict[str, Any]) -> None:
    got = [f"{f['name']}=={f['version']}" for f in answer["frameworks"]]
    got += [f"{f['name']}=={f['version']}+{f['variant']}" for f in answer["frameworks"]]
    for item in wanted:
        assert item in got, f"frameworks: {item} not in {got}"


def _index_urls(urls: list[str], answer: dict[str, Any]) -> None:
    assert answer["pip"]["index_urls"] == urls


def _host(given: dict[str, Any], answer: dict[str, Any]) -> None:
    # the keys given must match; the others (nulls in JSON) are left out
    for key, value in given.items():
        assert answer["host"][key] == value, f"host.{key}: {answer['host'][key]!r}"


SPECIAL_KEYS: dict[str, Callable[[Any, dict[str, Any]], None]] = {
    "exit": lambda value, answer: None,  # checked before the answer is read
    "null": _nulls,
    "frameworks": _frameworks,
    "index_urls": _index_urls,
    "host": _host,
}


def check(expect: dict[str, Any], run: Run) -> None:
    assert run.code == expect["exit"], f"exit {run.code}, expected {expect['exit']}\n{run.err}\n{run.out}"
    assert "Traceback" not in run.err
    if run.code == 0:
        _check_answer(expect, run.json())
    elif run.code == 1:
        error: dict[str, Any] = run.json()["error"]
        _contains_all(error["reasons"], expect.get("reasons_include", []), "reasons")
        _contains_all(error["fixes"], expect.get("fixes_include", []), "fixes")
    else:
        for needle in expect.get("message_include", []):
            assert needle in run.err, f"{needle!r} not in {run.err}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path, cli: Callable[..., Run]) -> None:
    case = tomllib.loads(path.read_text())
    args = ["pins", *case["request"], *case.get("args", []), "--no-detect", "--json"]
    check(case["expect"], cli(*args))


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 20
