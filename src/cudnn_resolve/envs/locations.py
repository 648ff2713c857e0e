"""Where named environments live (``-n NAME``) and how they are listed (``cudnn-resolve envs``)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..errors import InvalidOptionError
from ..verify.manifest import MANIFEST_NAME

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


def envs_dir() -> Path:
    """The per-user directory of named environments (``CUDNN_RESOLVE_ENVS_DIR`` overrides)."""
    override = os.environ.get("CUDNN_RESOLVE_ENVS_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir("cudnn-resolve")) / "envs"


def named_prefix(name: str) -> Path:
    if not _NAME.match(name):
        raise InvalidOptionError("-n/--name", name, "letters, digits, '.', '_' or '-' (no path separators)")
    return envs_dir() / name


@dataclass(frozen=True)
class EnvEntry:
    name: str
    prefix: Path
    frameworks: str
    cudnn: str | None
    created: str | None


def list_envs() -> list[EnvEntry]:
    root = envs_dir()
    entries = []
    for prefix in (
        sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        if root.is_dir()
        else []
    ):
        try:
            manifest = json.loads((prefix / MANIFEST_NAME).read_text())
            resolution = manifest.get("resolution") or {}
            frameworks = ", ".join(f"{f['name']} {f['version']}" for f in resolution.get("frameworks", []))
            entries.append(
                EnvEntry(
                    prefix.name,
                    prefix,
                    frameworks or "?",
                    resolution.get("cudnn_version"),
                    manifest.get("created"),
                )
            )
        except (OSError, ValueError, KeyError, TypeError):
            entries.append(EnvEntry(prefix.name, prefix, "(no readable manifest)", None, None))
    return entries
