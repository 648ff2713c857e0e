"""Lockfile texts: PEP 751 pylock.toml and hashed requirements (bodies from uv), conda @EXPLICIT and
conda-lock v1 (from a conda solve). Pure functions; the solving happens in ``cudnn_resolve.lock``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from ..redact import redact
from ..resolver.resolution import Resolution
from ..tomlwrite import value as toml_value
from .header import assumption_line, command_text, header_lines

TOOL = "cudnn-resolve"


def pythons_text(pythons: Sequence[str]) -> str:
    """ "3.12", or "3.11 and 3.12", or "3.10, 3.11 and 3.12"."""
    return " and ".join([", ".join(pythons[:-1]), pythons[-1]]) if len(pythons) > 1 else pythons[0]


def tool_table(resolution: Resolution, pythons: Sequence[str] | None = None) -> dict[str, str | list[str]]:
    """What the lock targets, recorded inside it so `lock --check` and readers need no other file.
    ``pythons``: the Pythons a pip lock holds wheels for (written as ``pythons``); without it, the one
    Python of a conda lock (``python``)."""
    python: dict[str, str | list[str]] = (
        {"pythons": list(pythons)} if pythons else {"python": str(resolution.python_version)}
    )
    return {
        "request": resolution.request.text,
        "platform": str(resolution.platform),
        **python,
        "frameworks": [f"{f.name}=={f.version}+{f.variant}" for f in resolution.frameworks],
        "cuda": str(resolution.cuda_runtime) if resolution.cuda_runtime else "none",
        "cudnn": str(resolution.cudnn_version) if resolution.cudnn_version else "none",
        "driver-min": str(resolution.driver_min) if resolution.driver_min else "none",
        "assumed": assumption_line(resolution),
    }


def pylock_text(resolution: Resolution, pythons: Sequence[str], body: str, argv: Sequence[str]) -> str:
    """A pylock.toml body (uv's, merged over ``pythons``) with our header and a ``[tool.cudnn-resolve]``
    table (PEP 751 §tool)."""
    lines = header_lines(resolution, argv, python=pythons_text(pythons))
    lines.append(redact(body.rstrip("\n")))
    lines += ["", f"[tool.{TOOL}]"]
    lines += [f"{key} = {toml_value(item)}" for key, item in tool_table(resolution, pythons).items()]
    return "\n".join(lines) + "\n"


def hashed_requirements_text(
    resolution: Resolution, pythons: Sequence[str], body: str, argv: Sequence[str]
) -> str:
    """Hashed requirements (uv's, merged over ``pythons``), with our header (install with ``pip install
    --require-hashes -r``)."""
    lines = header_lines(resolution, argv, python=pythons_text(pythons))
    lines.append("# Install with: pip install --require-hashes --no-deps -r <this file>")
    lines.append(f"# {TOOL}: " + json.dumps(tool_table(resolution, pythons), sort_keys=True))
    lines.append(redact(body.rstrip("\n")))
    return "\n".join(lines) + "\n"


def explicit_text(resolution: Resolution, urls: Sequence[str], argv: Sequence[str]) -> str:
    """A conda ``@EXPLICIT`` file: one package URL per line with its hash fragment, in install order."""
    lines = header_lines(resolution, argv)
    lines.append("# Create with: conda create --name ENV --file <this file>")
    lines.append(f"# {TOOL}: " + json.dumps(tool_table(resolution), sort_keys=True))
    lines.append(f"# platform: {resolution.platform}")
    lines.append("@EXPLICIT")
    lines += [redact(url) for url in urls]
    return "\n".join(lines) + "\n"


def conda_lock_text(
    resolutions: Sequence[Resolution],
    packages: Sequence[Mapping[str, object]],
    channels: Sequence[str],
    content_hash: Mapping[str, str],
    argv: Sequence[str],
) -> str:
    """conda-lock's v1 YAML (``version: 1``, ``metadata``, ``package``), one file for all platforms.

    conda-lock's parser rejects unknown keys, so what cudnn-resolve records goes where conda-lock keeps
    custom metadata (``metadata.custom_metadata``, string to string): the command that made the lock, and
    per platform the JSON of :func:`tool_table`. ``sources`` lists the files the lock was made from;
    there are none (the request is on the command line), so it is empty.
    Written as JSON-compatible YAML (flow style for scalars): every string is JSON-quoted, which YAML
    1.2 reads unchanged, so no YAML library is needed to write it.
    """
    lines = []
    for resolution in resolutions:
        lines += header_lines(resolution, argv)
    lines.append("version: 1")
    lines.append("metadata:")
    lines.append("  content_hash:")
    lines += [f"    {p}: {json.dumps(h)}" for p, h in sorted(content_hash.items())]
    lines.append("  channels:")
    for channel in channels:
        lines.append(f"  - url: {json.dumps(channel)}")
        lines.append("    used_env_vars: []")
    lines.append("  platforms:")
    lines += [f"  - {json.dumps(str(r.platform))}" for r in resolutions]
    lines.append("  sources: []")
    lines.append("  custom_metadata:")
    lines.append(f"    {json.dumps(TOOL + '.command')}: {json.dumps(command_text(argv))}")
    for resolution in resolutions:
        key = f"{TOOL}.{resolution.platform}"
        lines.append(
            f"    {json.dumps(key)}: {json.dumps(json.dumps(tool_table(resolution), sort_keys=True))}"
        )
    lines.append("package:")
    for package in packages:
        first = True
        for key, value in package.items():
            prefix = "- " if first else "  "
            first = False
            lines.append(f"{prefix}{key}: {json.dumps(value)}")
    return "\n".join(lines) + "\n"
