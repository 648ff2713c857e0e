"""Human-readable output: short aligned tables, no colour, stable order."""

from __future__ import annotations

from collections.abc import Sequence

from ..resolver.resolution import Resolution


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool = False) -> str:
    """A plain or Markdown table, columns sized to their widest cell."""
    cells = [list(headers)] + [list(r) for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    if markdown:
        lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |" for row in cells]
        lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
        return "\n".join(lines)
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _host_line(resolution: Resolution) -> str:
    request = resolution.request
    host = resolution.host
    parts = [f"hosts {', '.join(h.label for h in request.hosts)}"] if request.hosts else []
    if request.driver is not None:
        given = bool(request.hosts) or (host is not None and host.given_driver == request.driver)
        lowest = "lowest " if request.hosts else ""
        parts.append(f"{lowest}driver {request.driver}" + ("" if given else " (detected)"))
    if request.gpus:
        given = bool(request.hosts) or (host is not None and host.given_gpus == request.gpus)
        parts.append("GPU " + ", ".join(str(g) for g in request.gpus) + ("" if given else " (detected)"))
    if parts:
        return ", ".join(parts)
    if host is None:
        return "not detected"
    if host.why_not_detected is not None:
        return f"not detected ({host.why_not_detected})"
    return "no NVIDIA driver found"


def render_resolution(resolution: Resolution) -> str:
    fw_rows = []
    for f in resolution.frameworks:
        arch = f", built for {' '.join(f.gpu_arch)}" if f.gpu_arch else ""
        fw_rows.append([f.display, f"{f.variant}{arch}"])
    lines = [table(["framework", "variant"], fw_rows), ""]
    facts = [
        ["platform", str(resolution.platform)],
        ["python", f"{resolution.python or 'any'} (newest: {resolution.python_version})"],
    ]
    if resolution.cuda is not None:
        runtime = ""
        if resolution.cuda_runtime is not None and resolution.cuda_runtime != resolution.cuda:
            runtime = f"; installs runtime {resolution.cuda_runtime}"
        facts.append(["CUDA", f"{resolution.cuda}{runtime} (delivered by {resolution.delivery})"])
        facts.append(["cuDNN", f"{resolution.cudnn}; pinned build {resolution.cudnn_version}"])
        full = ""
        if resolution.driver_full is not None and resolution.driver_full != resolution.driver_min:
            full = f" (>= {resolution.driver_full} for full CUDA {resolution.cuda_runtime} support)"
        facts.append(["driver", f">= {resolution.driver_min}{full}"])
    else:
        facts.append(["CUDA", "none: CPU-only answer"])
    facts.append(["host", _host_line(resolution)])
    width = max(len(k) for k, _ in facts)
    lines += [f"{k.ljust(width)}  {v}" for k, v in facts]
    pip = resolution.pip
    if pip.requirements:  # none with --framework-from conda: no heading over nothing
        lines += ["", "pip requirements:"] + [f"  {r}" for r in pip.requirements]
        lines += [f"  --extra-index-url {u}" for u in pip.index_urls]
    if pip.constraints:
        lines += ["pip constraints:"] + [f"  {c}" for c in pip.constraints]
    conda = resolution.conda
    lines += ["", f"conda ({', '.join(conda.channels)}):"] + [f"  {d}" for d in conda.dependencies]
    lines += [f"  pip: {p}" for p in conda.pip]
    if resolution.notes:
        lines += ["", "notes:"] + [f"  - {n}" for n in resolution.notes]
    lines += ["", "sources:"] + [f"  - {s}" for s in resolution.sources]
    return "\n".join(lines)
