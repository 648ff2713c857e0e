"""The user data overlay: records `cudnn-resolve data update` wrote, merged over the shipped files.

Shipped files are never modified. An overlay file has the schema of the shipped file of the same name and
holds only the records it adds or replaces; a record replaces the shipped one with the same key (a
release series, a version and platform, ...), any other is added.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

# The fields that identify a record, per array of tables.
KEYS: Mapping[str, tuple[str, ...]] = {
    "release": ("series", "version"),
    "pypi": ("version", "platform"),
    "and_cuda": ("version",),
    "major": ("major",),
    "toolkit": ("version",),
    "pip_set": ("cuda",),
    "conda_toolkit": ("cuda",),
    "build": ("package", "series"),
}


def overlay_dir() -> Path:
    """Where `data update` writes (``CUDNN_RESOLVE_DATA_OVERLAY`` overrides)."""
    override = os.environ.get("CUDNN_RESOLVE_DATA_OVERLAY")
    return Path(override) if override else Path(platformdirs.user_data_dir("cudnn-resolve")) / "data"


def _key(table: str, record: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(record.get(field) for field in KEYS.get(table, ()))


def merge(base: dict[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``overlay``'s records merged in (replaced by key, else appended)."""
    merged = dict(base)
    for table, records in overlay.items():
        if not isinstance(records, list):
            merged[table] = records
            continue
        existing = list(merged.get(table, []))
        index = {_key(table, r): i for i, r in enumerate(existing) if isinstance(r, dict)}
        for record in records:
            key = _key(table, record) if isinstance(record, dict) else None
            if key is not None and key in index and any(k is not None for k in key):
                existing[index[key]] = record
            else:
                existing.append(record)
        merged[table] = existing
    return merged
