"""Where named environments live (``-n NAME``) and how they are listed (``cudnn-resolve envs``)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
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


def list_envs(prefixes: Sequence[Path] | None = None) -> list[EnvEntry]:
    """The environments at ``prefixes`` (default: every one in :func:`envs_dir`), with what their
    manifest says where they have one (environments made by other tools have none)."""
    if prefixes is None:
        root = envs_dir()
        prefixes = (
            sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
            if root.is_dir()
            else []
        )
    return [_describe(prefix) for prefix in prefixes]


def _describe(prefix: Path) -> EnvEntry:
    try:
        manifest = json.loads((prefix / MANIFEST_NAME).read_text())
    except FileNotFoundError:
        return EnvEntry(prefix.name, prefix, "(not made by cudnn-resolve)", None, None)
    except (OSError, ValueError):
        return EnvEntry(prefix.name, prefix, "(no readable manifest)", None, None)
    try:
        resolution = manifest.get("resolution") or {}
        frameworks = ", ".join(f"{f['name']} {f['version']}" for f in resolution.get("frameworks", []))
        return EnvEntry(
            prefix.name, prefix, frameworks or "?", resolution.get("cudnn_version"), manifest.get("created")
        )
    except (AttributeError, KeyError, TypeError):
        return EnvEntry(prefix.name, prefix, "(no readable manifest)", None, None)
