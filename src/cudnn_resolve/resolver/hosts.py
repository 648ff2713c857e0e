"""One answer for several hosts: their facts combined into the request the resolver already understands.

A build runs on every host when it runs on the lowest driver and was built for every GPU architecture,
so the hosts of one platform become one request with the lowest known driver and the union of their GPU
architectures; the resolver's driver and GPU filters do the rest. When nothing fits, the explanation
names the host that rules the answer out and how (its driver or its GPU), with fixes that were each
verified by resolving again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..data import KnowledgeBase
from ..errors import ConflictingOptionsError, ResolutionImpossibleError
from ..hostfile import HostFacts
from ..request import Request
from ..versions import Platform
from .assemble import assemble
from .explain import diagnose, explain_failure
from .search import Conflict, resolve_chosen, search


def host_platforms(hosts: Sequence[HostFacts]) -> tuple[Platform, ...]:
    """The hosts' platforms, in the order first seen."""
    return tuple(dict.fromkeys(h.platform for h in hosts))


def request_for_hosts(request: Request, hosts: Sequence[HostFacts]) -> Request:
    """``request`` for the ``hosts`` on its platform: the lowest driver, every GPU architecture.

    A host with no known driver sets no driver floor (a CUDA build also runs on its CPU); a GPU of
    unknown compute capability cannot be checked (``host_notes`` says so). Raises ConflictingOptionsError
    when no host is on the request's platform.
    """
    on = tuple(h for h in hosts if h.platform is request.platform)
    if not on:
        elsewhere = ", ".join(f"{h.label} ({h.platform})" for h in hosts)
        raise ConflictingOptionsError(
            f"no host given is on {request.platform} (hosts: {elsewhere})",
            "Resolve for the hosts' platform (--platform), or give a host file for this one",
        )
    drivers = [h.driver for h in on if h.driver is not None]
    gpus = tuple(sorted({cc for h in on for cc in h.capabilities}))
    return replace(request, driver=min(drivers) if drivers else None, gpus=gpus, hosts=on)


def host_notes(request: Request, all_hosts: Sequence[HostFacts]) -> list[str]:
    """What the answer for ``request.hosts`` assumed, said once per fact that could surprise."""
    hosts = request.hosts
    notes = []
    lowest = [h.label for h in hosts if h.driver is not None and h.driver == request.driver]
    summary = f"resolved for {len(hosts)} host(s): " + ", ".join(h.label for h in hosts)
    if request.driver is not None:
        summary += f"; lowest driver {request.driver} ({', '.join(lowest)})"
    if request.gpus:
        summary += "; GPU architectures " + ", ".join(str(g) for g in request.gpus)
    notes.append(summary)
    for host in hosts:
        if host.driver is None and host.gpus:
            notes.append(
                f"host {host.label}: no driver version known; it needs a driver >= the minimum below"
            )
        for gpu in host.gpus:
            if gpu.compute_capability is None:
                name = gpu.name or "?"
                notes.append(f"host {host.label}: GPU {name} has no known compute capability: not checked")
    left_out = [h for h in all_hosts if h.platform is not request.platform]
    if left_out:
        notes.append(
            "hosts on other platforms are not part of this answer: "
            + ", ".join(f"{h.label} ({h.platform})" for h in left_out)
        )
    return notes


def _frameworks_text(kb: KnowledgeBase, request: Request) -> str | None:
    chosen = resolve_chosen(kb, request)
    if chosen is None:
        return None
    answer = assemble(kb, request, None, chosen)
    return ", ".join(f"{f.display} ({f.variant})" for f in answer.frameworks)


def _ruled_out_by(kb: KnowledgeBase, request: Request, host: HostFacts, rest: Request) -> str:
    """Which of ``host``'s facts keeps the combined request from the answer the others share."""
    facts = []
    if host.driver is not None and host.driver == request.driver and rest.driver != request.driver:
        facts.append((f"its driver {host.driver}", replace(request, driver=rest.driver)))
    own = [g for g in host.gpus if g.compute_capability and g.compute_capability not in rest.gpus]
    if own:
        facts.append(
            ("its GPU " + ", ".join(str(g) for g in dict.fromkeys(own)), replace(request, gpus=rest.gpus))
        )
    alone = [text for text, without in facts if resolve_chosen(kb, without) is not None]
    return " and ".join(alone or [text for text, _ in facts]) or "its facts"


def _driver_fix(kb: KnowledgeBase, request: Request) -> list[str]:
    """Upgrade the hosts below the lowest driver floor that gives an answer (raising it host by host)."""
    hosts = request.hosts
    assert request.driver is not None
    higher = sorted({h.driver for h in hosts if h.driver is not None and h.driver > request.driver})
    for driver in [*higher, None]:
        raised = replace(request, driver=driver)
        chosen = resolve_chosen(kb, raised)
        if chosen is None:
            continue
        floor = assemble(kb, raised, None, chosen).driver_min
        old = [h.label for h in hosts if h.driver is not None and floor is not None and h.driver < floor]
        return [f"upgrade the driver on {', '.join(old)} to >= {floor}"] if old else []
    return []


def explain_for_hosts(kb: KnowledgeBase, request: Request, conflict: Conflict) -> ResolutionImpossibleError:
    """Why no answer runs on every host of ``request.hosts``, host by host, with verified fixes."""
    base = explain_failure(kb, request, conflict)
    hosts = request.hosts
    reasons: list[str] = []
    split: list[str] = []
    for host in hosts:
        alone = replace(request_for_hosts(request, (host,)), hosts=(host,))
        others = tuple(h for h in hosts if h is not host)
        rest = request_for_hosts(request, others) if others else None
        works = _frameworks_text(kb, rest) if rest is not None else None
        outcome = search(kb, alone)
        if isinstance(outcome, Conflict):
            why = "; ".join(diagnose(kb, alone, outcome))
            reasons.append(f"host {host.label} ({host.describe()}) has no answer even alone: {why}")
        elif rest is not None and works is not None:
            what = _ruled_out_by(kb, request, host, rest)
            reasons.append(
                f"host {host.label} ({host.describe()}) rules out {works}, which the other hosts run: {what}"
            )
        else:
            continue
        if works is not None:
            split.append(f"split the fleet: without {host.label} the hosts resolve to {works}")
    upgrade = _driver_fix(kb, request) if request.driver is not None else []
    releases = [f for f in base.fixes if not f.startswith("upgrade the driver")]
    said = " ".join(reasons)
    reasons += [r for r in base.reasons if r not in said]
    return ResolutionImpossibleError(request.text, reasons, [*upgrade, *releases, *split])
