"""conda ``environment.yml``: canonical MatchSpecs, and a pip: section where the framework comes from pip."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..resolver.resolution import Resolution
from .header import header_lines

_PLAIN = re.compile(r"^[A-Za-z0-9_.\-=<>!*,|+ \[\]:/~]+$")


def yaml_scalar(text: str) -> str:
    """A YAML scalar: plain when that cannot be misread, double-quoted otherwise."""
    if (
        _PLAIN.match(text)
        and not text.startswith(("-", "[", "*", "!", "|", ">", "'", '"', "%", "@", "`"))
        and (": " not in text and " #" not in text)
    ):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def default_env_name(resolution: Resolution) -> str:
    return "-".join(f"{f.name}-{f.version}" for f in resolution.frameworks)


def environment_yml(
    resolution: Resolution,
    argv: Sequence[str],
    name: str | None = None,
    channels: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> str:
    """The environment file ``conda env create --file`` takes. ``channels`` replaces the default;
    ``notes`` become comment lines under the header."""
    lines = header_lines(resolution, argv)
    lines += [f"# Note: {note}" for note in notes]
    lines.append(f"name: {yaml_scalar(name or default_env_name(resolution))}")
    lines.append("channels:")
    lines += [f"  - {yaml_scalar(c)}" for c in (channels or resolution.conda.channels)]
    lines.append("dependencies:")
    lines += [f"  - {yaml_scalar(d)}" for d in resolution.conda.dependencies]
    if resolution.conda.pip:
        lines.append("  - pip:")
        lines += [f"      - {yaml_scalar(p)}" for p in resolution.conda.pip]
    return "\n".join(lines) + "\n"
