"""Why a request has no answer, and what would give it one.

Reasons come from replaying the newest candidate's needs against the pools (which remember why the host
filters rejected each CUDA toolkit and cuDNN build). Fixes are found by resolving again with one thing
changed (the driver, the Python, a flag, the target, the framework version) and are offered only when that
resolution succeeds, so every suggested fix is known to work.
"""

from __future__ import annotations

from dataclasses import replace

from ..data import KnowledgeBase
from ..errors import ResolutionImpossibleError
from ..request import DISPLAY, FrameworkRequest, Request, Target
from ..versions import Platform, format_specifier, specifier, version
from .assemble import assemble
from .model import CUDA, Candidate, Constraint, FrameworkCandidate
from .provider import python_minors, satisfies
from .rules import max_cuda_for_driver
from .search import _cache_key, _pools, framework_pool, resolve_chosen


def _need_reason(kb: KnowledgeBase, request: Request, candidate: FrameworkCandidate) -> str | None:
    """Why the newest candidate's CUDA, cuDNN or Python need cannot be met, if a single need explains it."""
    pools = _pools(kb, _cache_key(request))
    label = f"{DISPLAY[candidate.identifier]} {candidate.version}"
    if request.python is not None and not candidate.python.contains(str(request.python)):
        return f"{label} supports Python {format_specifier(candidate.python)}, not {request.python}"
    for need, pool, flag in (
        (candidate.cuda, pools.cuda, request.cuda),
        (candidate.cudnn, pools.cudnn, request.cudnn),
    ):
        if need is None:
            continue
        what = "CUDA" if need.identifier == CUDA else "cuDNN"
        wanted = _describe_need(need, candidate)
        rejected: dict[Candidate, str] = pools.rejected[need.identifier]
        fits = [c for c in pool if satisfies(need, c, request)]
        if flag is not None and fits and not any(flag.contains(c.version, prereleases=True) for c in fits):
            option = "--cuda" if need.identifier == CUDA else "--cudnn"
            return f"{label} needs {what} {wanted}, but {option} asks for {flag}"
        if fits:
            continue
        blocked = [reason for c, reason in rejected.items() if satisfies(need, c, request)]
        if blocked:
            return f"{label} needs {what} {wanted}; {_host_summary(kb, request, need, blocked)}"
        deliverer = _delivery_text(need)
        return f"{label} needs {what} {wanted}, which {deliverer} cannot deliver on {request.platform}"
    return None


def _describe_need(need: Constraint, candidate: FrameworkCandidate) -> str:
    tested = candidate.tested_cuda if need.identifier == CUDA else candidate.tested_cudnn
    spec = format_specifier(need.specifier)
    if spec.startswith("==") and "," not in spec:
        return spec[2:]
    return f"{spec} (built with {tested})" if tested else spec


def _delivery_text(need: Constraint) -> str:
    return {"pip": "NVIDIA's pip wheels", "conda": "conda-forge"}.get(need.delivery.value, "the framework")


def _host_summary(kb: KnowledgeBase, request: Request, need: Constraint, blocked: list[str]) -> str:
    if need.identifier == CUDA and request.driver is not None and any("driver" in b for b in blocked):
        full, compat = max_cuda_for_driver(kb, request.driver, request.platform)
        most = compat or full
        limit = f"at most CUDA {most}" if most else "no CUDA release in the data"
        return f"driver {request.driver} supports {limit} on {request.platform}"
    return blocked[0]


def _alone(request: Request, wanted: FrameworkRequest) -> Request:
    return replace(request, frameworks=(wanted,))


def diagnose(kb: KnowledgeBase, request: Request) -> list[str]:
    """Human reasons the request fails, most specific first."""
    failing = [f for f in request.frameworks if resolve_chosen(kb, _alone(request, f)) is None]
    if not failing:
        return [_cross_framework(kb, request)]
    reasons = []
    for wanted in failing:
        pool, rejected = framework_pool(kb, request, wanted)
        matching = [c for c in pool if wanted.specifier.contains(c.version, prereleases=True)]
        if not matching:
            named = [r for v, r in rejected.items() if wanted.specifier.contains(v, prereleases=True)]
            reasons.append(named[0] if named else f"no {DISPLAY[wanted.name]} release matches {wanted.text}")
            continue
        reason = None
        for candidate in matching:  # newest first; the first variant with a single explaining need
            reason = _need_reason(kb, request, candidate)
            if reason:
                break
        reasons.append(
            reason or f"no {DISPLAY[wanted.name]} release matching {wanted.text} fits these options"
        )
    return reasons


def _cross_framework(kb: KnowledgeBase, request: Request) -> str:
    parts = []
    for wanted in request.frameworks:
        chosen = resolve_chosen(kb, _alone(request, wanted))
        assert chosen is not None
        fw = chosen[wanted.name]
        assert isinstance(fw, FrameworkCandidate)
        needs = ", ".join(
            f"{what} {_describe_need(need, fw)}"
            for what, need in (("CUDA", fw.cuda), ("cuDNN", fw.cudnn), ("Python", None))
            if need is not None
        )
        parts.append(f"{DISPLAY[wanted.name]} {fw.version} needs {needs or 'no CUDA'}")
    return "; ".join(parts) + "; no releases in the requested ranges share one CUDA, cuDNN and Python"


def find_fixes(kb: KnowledgeBase, request: Request) -> list[str]:
    """Single changes to the request that make it resolvable, each verified by resolving."""
    fixes: list[str] = []

    def works(changed: Request) -> dict[str, Candidate] | None:
        return resolve_chosen(kb, changed)

    if request.driver is not None:
        chosen = works(replace(request, driver=None))
        if chosen is not None:
            answer = assemble(kb, replace(request, driver=None), None, chosen)
            fixes.append(f"upgrade the driver to >= {answer.driver_min} (CUDA {answer.cuda_runtime})")
    if request.python is not None and works(replace(request, python=None)) is not None:
        fitting = [m for m in python_minors(kb) if works(replace(request, python=version(m))) is not None]
        if fitting:
            fixes.append(f"use Python {', '.join(sorted(fitting, key=version))} instead of {request.python}")
    if request.cuda is not None and works(replace(request, cuda=None)) is not None:
        fixes.append(f"drop --cuda {request.cuda}")
    if request.cudnn is not None and works(replace(request, cudnn=None)) is not None:
        fixes.append(f"drop --cudnn {request.cudnn}")
    if request.target is Target.PIP and works(replace(request, target=Target.CONDA)) is not None:
        fixes.append("use --target conda (CUDA and cuDNN from conda-forge)")
    if request.platform is Platform.WIN_64:
        linux = replace(request, platform=Platform.LINUX_64)
        if works(linux) is not None:
            fixes.append("run under WSL2 and resolve with --platform linux-64")
    for wanted in request.frameworks:
        fixes += _framework_fixes(kb, request, wanted)
    return fixes


def _framework_fixes(kb: KnowledgeBase, request: Request, wanted: FrameworkRequest) -> list[str]:
    """The nearest older and newer release series that resolve with every other option unchanged."""
    if not str(wanted.specifier):
        return []
    others = tuple(f for f in request.frameworks if f is not wanted)
    known = kb.framework_versions(wanted.name)
    requested = [v for v in known if wanted.specifier.contains(v, prereleases=True)]
    if not requested:
        return []
    series = sorted({(v.major, v.minor) for v in known})
    older = [s for s in series if s < (min(requested).major, min(requested).minor)]
    newer = [s for s in series if s > (max(requested).major, max(requested).minor)]

    def first_working(candidates: list[tuple[int, int]]) -> tuple[str, FrameworkCandidate] | None:
        for major, minor in candidates:
            spec = specifier(f"=={major}.{minor}.*")
            fw_req = FrameworkRequest(wanted.name, spec, f"{wanted.name}={major}.{minor}", wanted.variant)
            chosen = resolve_chosen(kb, replace(request, frameworks=(*others, fw_req)))
            if chosen is not None:
                fw = chosen[wanted.name]
                assert isinstance(fw, FrameworkCandidate)
                return f"{major}.{minor}", fw
        return None

    fixes = []
    for direction, found in (("<=", first_working(older[::-1])), (">=", first_working(newer))):
        if found is not None:
            series_text, fw = found
            cuda = f" (CUDA {fw.tested_cuda})" if fw.tested_cuda else ""
            fixes.append(f"use {DISPLAY[wanted.name]} {direction} {series_text}{cuda}")
    return fixes


def explain_failure(kb: KnowledgeBase, request: Request) -> ResolutionImpossibleError:
    return ResolutionImpossibleError(request.text, diagnose(kb, request), find_fixes(kb, request))
