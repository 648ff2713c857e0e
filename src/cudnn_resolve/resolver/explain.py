"""Why a request has no answer, and what would give it one.

Reasons are read from resolvelib's own causes (search.Conflict): the requirements it could not meet and
the candidates that brought them. Each is described from the pools, which remember why the host filters
rejected each CUDA toolkit and cuDNN build. Fixes are found by resolving again with one thing changed
(the driver, the Python, a flag, the target, the framework version) and are offered only when that
resolution succeeds, so every suggested fix is known to work.
"""

from __future__ import annotations

from dataclasses import replace

from packaging.specifiers import SpecifierSet

from ..data import KnowledgeBase
from ..errors import ResolutionImpossibleError
from ..request import DISPLAY, FrameworkRequest, Request, Target
from ..versions import DriverVersion, Platform, format_specifier, spec_contains, specifier, version
from .assemble import assemble
from .model import CUDA, CUDNN, PYTHON, Candidate, Constraint, FrameworkCandidate
from .provider import python_minors, satisfies
from .resolution import Resolution
from .rules import driver_minimum, max_cuda_for_driver
from .search import Conflict, framework_pool, pools_for, resolve_chosen


def _unmet_need(
    kb: KnowledgeBase, request: Request, candidate: FrameworkCandidate, need: Constraint
) -> str | None:
    """Why ``need`` of ``candidate`` cannot be met by itself (the request's Python or flags, the host
    filters, the delivery), or None where it could be met and failed only beside other requirements."""
    label = f"{DISPLAY[candidate.identifier]} {candidate.version}"
    if need.identifier == PYTHON:
        if request.python is not None and not candidate.python.contains(str(request.python)):
            return f"{label} supports Python {format_specifier(candidate.python)}, not {request.python}"
        return None
    if need.identifier not in (CUDA, CUDNN):
        return None  # NumPy: a conflict between frameworks, described with them
    pools = pools_for(kb, request)
    pool, flag = (pools.cuda, request.cuda) if need.identifier == CUDA else (pools.cudnn, request.cudnn)
    what = "CUDA" if need.identifier == CUDA else "cuDNN"
    wanted = _describe_need(need, candidate)
    # An exact CUDA is what the build was compiled with; the driver it needs follows from it
    # (minor-version compatibility), which the host summary states.
    needs = "is built with" if wanted[:1].isdigit() else "needs"
    fits = [c for c in pool if satisfies(need, c, request)]
    if flag is not None and fits and not any(flag.contains(c.version, prereleases=True) for c in fits):
        option = "--cuda" if need.identifier == CUDA else "--cudnn"
        return f"{label} {needs} {what} {wanted}, but {option} asks for {option_text(flag)}"
    if fits:
        return None
    rejected: dict[Candidate, str] = pools.rejected[need.identifier]
    blocked = [reason for c, reason in rejected.items() if satisfies(need, c, request)]
    if blocked:
        return f"{label} {needs} {what} {wanted}; {_host_summary(kb, request, need, blocked)}"
    deliverer = _delivery_text(need)
    return f"{label} {needs} {what} {wanted}, which {deliverer} cannot deliver on {request.platform}"


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
        runs = _driver_floor(kb, request, need)
        return f"{runs}driver {request.driver} supports {limit} on {request.platform}"
    return blocked[0]


def _driver_floor(kb: KnowledgeBase, request: Request, need: Constraint) -> str:
    """'it runs on drivers >= X (CUDA N.x minor-version compatibility); ' for the lowest toolkit the need
    admits, or '' where the data gives no minimum."""
    toolkits = [t for t in kb.toolkits if spec_contains(need.specifier, t.version)]
    if not toolkits:
        return ""
    lowest = min(toolkits, key=lambda t: driver_minimum(kb, t, request.platform) or DriverVersion.parse("0"))
    minimum = driver_minimum(kb, lowest, request.platform)
    if minimum is None:
        return ""
    compat = kb.cuda_majors[lowest.major].minor_compat_driver.get(request.platform.os_name)
    how = f" (CUDA {lowest.major}.x minor-version compatibility)" if compat == minimum else ""
    return f"it runs on drivers >= {minimum}{how}; "


def option_text(spec: SpecifierSet) -> str:
    """A --cuda/--cudnn value as the user wrote it: '==12.*' -> '12', '==12.4.*' -> '12.4'."""
    text = str(spec)
    if text.startswith("==") and text.endswith(".*") and "," not in text:
        return text[2:-2]
    return text


def diagnose(kb: KnowledgeBase, request: Request, conflict: Conflict) -> list[str]:
    """Human reasons the request fails, from resolvelib's causes, most specific first.

    A framework range none of whose releases passed the host and platform filters is a cause the request
    itself brought; a need of a release (CUDA, cuDNN, Python) that nothing can meet is described from the
    pools; needs that could each be met, but not together, are a conflict between the frameworks.
    """
    brought: dict[str, list[tuple[Constraint, FrameworkCandidate]]] = {}
    for need, parent in conflict.causes:
        if isinstance(parent, FrameworkCandidate):
            brought.setdefault(parent.identifier, []).append((need, parent))
    asked = {need.identifier for need, parent in conflict.causes if parent is None}
    reasons: list[str] = []
    for causes in brought.values():
        # the newest and preferred release first, as the search tries them
        causes.sort(key=lambda cause: (cause[1].version, -cause[1].rank), reverse=True)
    for wanted in request.frameworks:
        if wanted.name in brought:
            # the first need that fails by itself
            reason = next(
                filter(None, (_unmet_need(kb, request, c, need) for need, c in brought[wanted.name])), None
            )
            if reason is not None:
                reasons.append(reason)
        elif wanted.name in asked:
            reasons.append(_nothing_matches(kb, request, wanted))
    if reasons:
        return reasons
    # Each framework's needs could be met alone: they conflict with each other. resolvelib names the
    # releases of its last attempt; each framework is described by its newest release in the range.
    conflicting = [w for w in request.frameworks if w.name in brought]
    if len(conflicting) > 1:
        return [_cross_framework([_newest(kb, request, w) or brought[w.name][0][1] for w in conflicting])]
    return [f"no {DISPLAY[w.name]} release matching {w.text} fits these options" for w in request.frameworks]


def _newest(kb: KnowledgeBase, request: Request, wanted: FrameworkRequest) -> FrameworkCandidate | None:
    """The release of ``wanted`` the search tries first: the newest, in its preferred variant."""
    pool, _ = framework_pool(kb, request, wanted)
    return next((c for c in pool if wanted.specifier.contains(c.version, prereleases=True)), None)


def _nothing_matches(kb: KnowledgeBase, request: Request, wanted: FrameworkRequest) -> str:
    """Why no release in the requested range is a candidate: what the host and platform filters said."""
    _, rejected = framework_pool(kb, request, wanted)
    named = [r for v, r in rejected.items() if wanted.specifier.contains(v, prereleases=True)]
    return named[0] if named else f"no {DISPLAY[wanted.name]} release matches {wanted.text}"


def _cross_framework(chosen: list[FrameworkCandidate]) -> str:
    """The needs of the newest release of each framework the search tried, which no one CUDA, cuDNN,
    Python (and NumPy) meets together."""
    # NumPy is named where the releases' NumPy needs exclude each other (resolver/numpy_need.py).
    numpy = SpecifierSet()
    for fw in chosen:
        numpy &= fw.numpy.majors if fw.numpy is not None else SpecifierSet()
    numpy_conflict = not any(numpy.contains(m) for m in ("1", "2"))
    parts = []
    for fw in chosen:
        needs = ", ".join(
            f"{what} {_describe_need(need, fw)}"
            for what, need in (("CUDA", fw.cuda), ("cuDNN", fw.cudnn), ("Python", None))
            if need is not None
        )
        needs = needs or "no CUDA"
        if numpy_conflict and fw.numpy is not None and str(fw.numpy.majors):
            needs += f" and {fw.numpy.describe()}"
        parts.append(f"{DISPLAY[fw.identifier]} {fw.version} needs {needs}")
    shared = "CUDA, cuDNN, NumPy and Python" if numpy_conflict else "CUDA, cuDNN and Python"
    return "; ".join(parts) + f"; no releases in the requested ranges share one {shared}"


def find_fixes(kb: KnowledgeBase, request: Request) -> list[str]:
    """Single changes to the request that make it resolvable, each verified by resolving."""
    fixes: list[str] = []
    if request.driver is not None:
        chosen = resolve_chosen(kb, replace(request, driver=None))
        if chosen is not None:
            fixes.append(_driver_fix(kb, assemble(kb, replace(request, driver=None), None, chosen)))
    if request.python is not None and resolve_chosen(kb, replace(request, python=None)) is not None:
        fitting = [m for m in python_minors(kb) if resolve_chosen(kb, replace(request, python=version(m)))]
        if fitting:
            fixes.append(f"use Python {', '.join(sorted(fitting, key=version))} instead of {request.python}")
    fixes += [fix for changed, fix in _option_changes(request) if resolve_chosen(kb, changed) is not None]
    for wanted in request.frameworks:
        fixes += _framework_fixes(kb, request, wanted)
    return fixes


def _option_changes(request: Request) -> list[tuple[Request, str]]:
    """The request without one of its restricting options (or on the platform that has builds), and
    the fix that change is: offered only where resolving it succeeds."""
    changes = []
    if request.cuda is not None:
        changes.append((replace(request, cuda=None), f"drop --cuda {option_text(request.cuda)}"))
    if request.cudnn is not None:
        changes.append((replace(request, cudnn=None), f"drop --cudnn {option_text(request.cudnn)}"))
    if request.target is Target.PIP:
        changes.append(
            (replace(request, target=Target.CONDA), "use --target conda (CUDA and cuDNN from conda-forge)")
        )
    if request.platform is Platform.WIN_64:
        changes.append(
            (
                replace(request, platform=Platform.LINUX_64),
                "run under WSL2 and resolve with --platform linux-64",
            )
        )
    return changes


def _driver_fix(kb: KnowledgeBase, answer: Resolution) -> str:
    """'upgrade the driver to >= X' with what X gives: CUDA N.x by minor-version compatibility (any
    driver of that major at or above the minimum), and the driver for full support where higher."""
    runtime = answer.cuda_runtime
    assert runtime is not None
    compat = kb.cuda_majors[runtime.major].minor_compat_driver.get(answer.platform.os_name)
    if compat is not None and answer.driver_min == compat:
        full = ""
        if answer.driver_full is not None and answer.driver_full > compat:
            full = f"; >= {answer.driver_full} for full CUDA {runtime} support"
        return (
            f"upgrade the driver to >= {answer.driver_min} (runs CUDA {runtime.major}.x builds through "
            f"minor-version compatibility{full})"
        )
    return f"upgrade the driver to >= {answer.driver_min} (CUDA {runtime})"


def _framework_fixes(kb: KnowledgeBase, request: Request, wanted: FrameworkRequest) -> list[str]:
    """The nearest older and newer release series that resolve with every other option unchanged.

    An unconstrained request (``torch``) counts as asking for the newest series, so the fix names the
    newest older release that works (the last release for an old GPU, say).
    """
    others = tuple(f for f in request.frameworks if f is not wanted)
    known = kb.framework_versions(wanted.name)
    requested = [v for v in known if wanted.specifier.contains(v, prereleases=True)]
    if not str(wanted.specifier) and known:
        newest = (known[-1].major, known[-1].minor)
        requested = [v for v in known if (v.major, v.minor) == newest]
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


def _none_supports(kb: KnowledgeBase, request: Request) -> list[str]:
    """For an option no release of a framework can meet (an old GPU, a CUDA nobody built for), say so:
    the reasons name the newest release only, and without a fix the user would not learn it is all."""
    reasons = []
    for wanted in request.frameworks:
        known = kb.framework_versions(wanted.name)
        anything = FrameworkRequest(wanted.name, SpecifierSet(), wanted.name, wanted.variant)
        widened = replace(request, frameworks=(*(f for f in request.frameworks if f is not wanted), anything))
        if not known or resolve_chosen(kb, widened) is not None:
            continue
        covered = f"{DISPLAY[wanted.name]} {known[0]} to {known[-1]}"
        if request.gpus and resolve_chosen(kb, replace(widened, gpus=())) is not None:
            gpus = ", ".join(str(g) for g in request.gpus)
            reasons.append(f"no release in the data ({covered}) runs on compute capability {gpus}")
        elif request.cuda is not None and resolve_chosen(kb, replace(widened, cuda=None)) is not None:
            built = sorted({c.tested_cuda for c in framework_pool(kb, request, anything)[0] if c.tested_cuda})
            span = f"; its builds use CUDA {built[0]} to {built[-1]}" if built else ""
            reasons.append(
                f"no release in the data ({covered}) is built for CUDA {option_text(request.cuda)}{span}"
            )
    return reasons


def explain_failure(kb: KnowledgeBase, request: Request, conflict: Conflict) -> ResolutionImpossibleError:
    reasons = diagnose(kb, request, conflict) + _none_supports(kb, request)
    return ResolutionImpossibleError(request.text, reasons, find_fixes(kb, request))
