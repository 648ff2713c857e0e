"""Point an environment built in a temporary directory at its final path, before it is moved there.

venvs: uv builds them relocatable (relative shebangs); pip's scripts carry absolute shebangs, rewritten
here. conda prefixes: files that had their prefix placeholder replaced at install time (conda-meta's
paths_data) get the build path replaced again, the way conda itself relocates: text files directly, binary
files within each NUL-terminated string, padded with NULs (the final path is shorter than the build path).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def _is_text(data: bytes) -> bool:
    return b"\0" not in data[:8192]


def _binary_replace(data: bytes, old: bytes, new: bytes) -> bytes:
    assert len(new) <= len(old), "the final prefix must not be longer than the build directory"
    out = bytearray()
    position = 0
    while True:
        index = data.find(old, position)
        if index < 0:
            out += data[position:]
            return bytes(out)
        end = data.find(b"\0", index)
        end = len(data) if end < 0 else end
        segment = data[index:end].replace(old, new)
        out += data[position:index] + segment + b"\0" * (end - index - len(segment))
        position = end


def rewrite_file(path: Path, old: str, new: str) -> bool:
    try:
        data = path.read_bytes()
    except OSError:
        return False
    if old.encode() not in data:
        return False
    if _is_text(data):
        path.write_bytes(data.replace(old.encode(), new.encode()))
    else:
        path.write_bytes(_binary_replace(data, old.encode(), new.encode()))
    return True


def relocate(build: Path, final: Path) -> int:
    """Replace ``build`` with ``final`` in the environment's scripts, configuration and prefix-bearing files.
    Returns how many files were rewritten."""
    old, new = str(build), str(final)
    candidates: set[Path] = set()
    for directory in ("bin", "Scripts", "etc"):
        root = build / directory
        if root.is_dir():
            candidates |= {p for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
    candidates |= {p for p in build.glob("*.cfg") if p.is_file()}
    records = sorted((build / "conda-meta").glob("*.json")) if (build / "conda-meta").is_dir() else []
    for record in records:
        candidates.add(record)
        for entry in _paths_of(record):
            candidates.add(build / entry["_path"])
    rewritten = {
        p for p in sorted(candidates) if p.is_file() and not p.is_symlink() and rewrite_file(p, old, new)
    }
    for record in records:
        _update_checksums(record, build, rewritten)
    return len(rewritten)


def _paths_of(record: Path) -> list[dict[str, Any]]:
    try:
        paths = json.loads(record.read_text()).get("paths_data", {}).get("paths", [])
    except (OSError, ValueError, AttributeError):
        return []
    return (
        [e for e in paths if isinstance(e, dict) and isinstance(e.get("_path"), str)]
        if isinstance(paths, list)
        else []
    )


def _update_checksums(record: Path, build: Path, rewritten: set[Path]) -> None:
    """conda records each linked file's sha256 and size after its prefix was written in (paths_data's
    ``sha256_in_prefix``; ``conda doctor`` reports a file that differs as altered): record the new ones."""
    try:
        document = json.loads(record.read_text())
    except (OSError, ValueError):
        return
    changed = False
    for entry in document.get("paths_data", {}).get("paths", []) if isinstance(document, dict) else []:
        path = build / entry.get("_path", "") if isinstance(entry, dict) else None
        if path is None or path not in rewritten or "sha256_in_prefix" not in entry:
            continue
        data = path.read_bytes()
        entry["sha256_in_prefix"] = hashlib.sha256(data).hexdigest()
        entry["size_in_bytes"] = len(data)
        changed = True
    if changed:
        record.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
