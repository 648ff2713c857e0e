"""The plugin's ``conda doctor`` health check, as the lines it prints. Imported only when the check runs."""

from __future__ import annotations

from pathlib import Path

from ..data import load_knowledge_base
from ..errors import CudnnResolveError
from ..probe import interpreter_of, run_probe
from ..verify import Expectations, Severity, evaluate, read_manifest


def health_lines(prefix: Path, verbose: bool) -> list[str]:
    """``conda doctor``'s lines: is the cuDNN this environment loads consistent with its frameworks?"""
    try:
        python = interpreter_of(prefix)
    except CudnnResolveError:  # an environment without Python has no framework to check
        return ["cuDNN consistency (cudnn-resolve): no Python in this environment"]
    manifest = read_manifest(prefix)
    verdict = evaluate(
        load_knowledge_base(), run_probe(python, conv=False), manifest[0] if manifest else Expectations()
    )
    errors = [f for f in verdict.findings if f.severity is Severity.ERROR]
    mark = "\u2705" if not errors else "\u274c"
    lines = [f"{mark} cuDNN consistency (cudnn-resolve): loaded cuDNN {verdict.loaded_cudnn or 'none'}"]
    lines += [f"  {f.severity}: {f.message}" for f in (verdict.findings if verbose else errors)]
    return lines
