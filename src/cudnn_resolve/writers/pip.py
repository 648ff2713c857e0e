"""pip constraints and requirements files (``pip install -r requirements.txt -c constraints.txt``)."""

from __future__ import annotations

from collections.abc import Sequence

from ..resolver.resolution import Resolution
from .header import header_lines


def constraints_text(resolution: Resolution, argv: Sequence[str]) -> str:
    """Every pin the resolution implies as ``name==version``, sorted: pip forbids extras, URLs and
    editables in constraints files, so only plain pins appear."""
    lines = header_lines(resolution, argv)
    lines += ["", *resolution.pip.constraints]
    return "\n".join(lines) + "\n"


def requirements_text(resolution: Resolution, argv: Sequence[str]) -> str:
    """What to install, with the extra index a CUDA variant lives on. Use it with the constraints file."""
    lines = header_lines(resolution, argv)
    lines.append("# Install with: pip install -r <this file> -c <constraints file>  (or: uv pip install ...)")
    if resolution.delivery == "pip" and any(not f.brings_cuda for f in resolution.frameworks):
        lines.append(
            "# The framework ships no CUDA libraries: the nvidia-* wheels below provide them, and the"
        )
        lines.append("# environment must make them loadable (cudnn-resolve create does).")
    lines.append("")
    lines += [f"--extra-index-url {url}" for url in resolution.pip.index_urls]
    lines += list(resolution.pip.requirements)
    return "\n".join(lines) + "\n"
