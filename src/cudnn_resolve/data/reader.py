"""Typed, checked access to one raw TOML record.

Every getter names the file and the record in its error, and ``finish`` rejects keys the schema does not
know, so a typo in a hand-edited data file fails loudly instead of silently dropping a fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, TypeVar

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..errors import DataError, InvalidOptionError
from ..versions import ComputeCapability, DriverVersion, Platform, specifier, version
from .facts import UNKNOWN, UNKNOWN_TEXT, Unknown
from .wheels import WheelRequirement

T = TypeVar("T")


class Reader:
    """Reads the fields of one record; call ``finish()`` once every field has been read."""

    def __init__(self, path: str, label: str, raw: object) -> None:
        if not isinstance(raw, Mapping):
            raise DataError(path, f"expected a table, found {type(raw).__name__}", label)
        self.path = path
        self.label = label
        self._raw: Mapping[str, Any] = raw
        self._seen: set[str] = set()

    def fail(self, problem: str) -> DataError:
        return DataError(self.path, problem, self.label)

    def has(self, key: str) -> bool:
        return key in self._raw

    def _get(self, key: str, kind: type, required: bool) -> Any:
        self._seen.add(key)
        if key not in self._raw:
            if required:
                raise self.fail(f"missing required field '{key}'")
            return None
        value = self._raw[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(f"field '{key}' must be {kind.__name__}, found {type(value).__name__}")
        return value

    def text(self, key: str) -> str:
        value: str = self._get(key, str, True)
        if not value.strip():
            raise self.fail(f"field '{key}' is empty")
        return value

    def opt_text(self, key: str) -> str | None:
        value: str | None = self._get(key, str, False)
        return value

    def integer(self, key: str) -> int:
        value: int = self._get(key, int, True)
        return value

    def source(self) -> str:
        """The record's provenance; every record must have one."""
        return self.text("source")

    def _convert(self, key: str, text: str, parse: Callable[[str], T], what: str) -> T:
        try:
            return parse(text)
        # packaging's InvalidRequirement is a ValueError (and importing it costs start-up).
        except (InvalidVersion, InvalidSpecifier, InvalidOptionError, ValueError):
            raise self.fail(f"field '{key}' = {text!r} is not {what}") from None

    def version(self, key: str) -> Version:
        return self._convert(key, self.text(key), version, "a version")

    def opt_version(self, key: str) -> Version | None:
        text = self.opt_text(key)
        return None if text is None else self._convert(key, text, version, "a version")

    def spec(self, key: str) -> SpecifierSet:
        return self._convert(key, self.text(key), specifier, "a PEP 440 specifier")

    def driver(self, key: str) -> DriverVersion:
        return self._convert(key, self.text(key), DriverVersion.parse, "a driver version")

    def opt_driver(self, key: str) -> DriverVersion | None:
        text = self.opt_text(key)
        return None if text is None else self._convert(key, text, DriverVersion.parse, "a driver version")

    def capability(self, key: str) -> ComputeCapability:
        return self._convert(key, self.text(key), ComputeCapability.parse, "a compute capability")

    def strings(self, key: str, required: bool = True) -> tuple[str, ...]:
        values = self._get(key, list, required)
        if values is None:
            return ()
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise self.fail(f"field '{key}' must be a list of non-empty strings")
        return tuple(values)

    def versions(self, key: str, required: bool = True) -> tuple[Version, ...]:
        return tuple(self._convert(key, v, version, "a version") for v in self.strings(key, required))

    def _unknown(self, key: str) -> bool:
        """True where a required field says "unknown"; a field left out is an error (write it down)."""
        self._seen.add(key)
        if not self.has(key):
            raise self.fail(f"missing required field '{key}' (write {key} = \"{UNKNOWN_TEXT}\" if unsourced)")
        return bool(self._raw[key] == UNKNOWN_TEXT)

    def capabilities(self, key: str) -> tuple[ComputeCapability, ...] | Unknown:
        """A required list of compute capabilities, or ``"unknown"`` where no source states it."""
        if self._unknown(key):
            return UNKNOWN
        found = tuple(
            self._convert(key, v, ComputeCapability.parse, "a compute capability") for v in self.strings(key)
        )
        if not found:
            raise self.fail(f"field '{key}' lists no compute capability")
        return found

    def capability_or_unknown(self, key: str) -> ComputeCapability | Unknown:
        """A required compute capability, or ``"unknown"`` where no source states it."""
        if self._unknown(key):
            return UNKNOWN
        return self.capability(key)

    def choice_or_unknown(self, key: str, choices: tuple[str, ...]) -> str | Unknown:
        """A required field holding one of ``choices``, or ``"unknown"`` where no source states it."""
        if self._unknown(key):
            return UNKNOWN
        value = self.text(key)
        if value not in choices:
            allowed = ", ".join(f'"{c}"' for c in (*choices, UNKNOWN_TEXT))
            raise self.fail(f"field '{key}' = {value!r} is not one of {allowed}")
        return value

    def opt_capabilities(self, key: str) -> tuple[ComputeCapability, ...] | None:
        if not self.has(key):
            self._seen.add(key)
            return None
        return tuple(
            self._convert(key, v, ComputeCapability.parse, "a compute capability") for v in self.strings(key)
        )

    def platforms(self, key: str) -> frozenset[Platform]:
        items = self.strings(key)
        if not items:
            raise self.fail(f"field '{key}' lists no platform")
        return frozenset(self._convert(key, p, Platform.parse, "a platform") for p in items)

    def requirements(self, key: str) -> tuple[WheelRequirement, ...]:
        return tuple(
            self._convert(key, r, WheelRequirement.parse, "a requirement") for r in self.strings(key)
        )

    def string_table(self, key: str) -> dict[str, str]:
        table = self._get(key, dict, True)
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
            raise self.fail(f"field '{key}' must map names to version strings")
        return dict(table)

    def records(self, key: str, required: bool = False) -> list[Reader]:
        """Sub-records (an array of tables), each with its own label."""
        items = self._get(key, list, required) or []
        return [Reader(self.path, f"{self.label} > {key}[{i}]", item) for i, item in enumerate(items)]

    def sub(self, key: str) -> Reader | None:
        """An optional inline sub-table."""
        raw = self._get(key, dict, False)
        return None if raw is None else Reader(self.path, f"{self.label} > {key}", raw)

    def finish(self) -> None:
        unknown = sorted(set(self._raw) - self._seen)
        if unknown:
            raise self.fail(f"unknown field(s) {', '.join(unknown)} (a typo, or a newer schema)")


def file_records(path: str, document: Mapping[str, Any], key: str, required: bool = True) -> list[Reader]:
    """The records of one top-level array of tables, labelled by their identifying field."""
    items = document.get(key)
    if items is None:
        if required:
            raise DataError(path, f"no [[{key}]] records")
        return []
    if not isinstance(items, list):
        raise DataError(path, f"'{key}' must be an array of tables ([[{key}]])")
    readers = []
    for i, item in enumerate(items):
        name = ""
        if isinstance(item, Mapping):
            for ident in ("version", "series", "major", "cuda", "name"):
                if ident in item:
                    name = f" ({ident} = {item[ident]!r})"
                    break
        readers.append(Reader(path, f"[[{key}]] #{i + 1}{name}", item))
    return readers
