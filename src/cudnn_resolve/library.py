"""``cudnn_resolve.pins()``: the library's way to get what ``cudnn-resolve pins REQUEST...`` answers.

``resolve()`` takes a built Request and uses only the facts in it; ``pins()`` takes requests as a user
writes them and, like the command line, fills in this machine's platform and detects its driver and
GPUs where they are not given.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.version import Version

from .data import KnowledgeBase, load_knowledge_base
from .host import facts_for, host_platform
from .request import Request, Target, parse_frameworks
from .resolver import Resolution, resolve
from .versions import ComputeCapability, DriverVersion, Platform


def pins(
    *requests: str,
    python: str | None = None,
    platform: Platform | str | None = None,
    driver: DriverVersion | str | None = None,
    gpus: Sequence[ComputeCapability | str] = (),
    target: Target | None = None,
    detect: bool = True,
    kb: KnowledgeBase | None = None,
) -> Resolution:
    """Resolve ``requests`` (``"tf=2.10"``, ``"torch>=2.4,<2.6"``) as ``cudnn-resolve pins`` does.

    ``platform`` defaults to this machine's; ``driver`` and ``gpus`` to what detection finds on this
    machine (``detect=False``: nothing is looked for). The notes say what was assumed. Raises what
    ``resolve()`` raises, and UsageError for a request or value that does not parse.
    """
    where = Platform.parse(platform) if isinstance(platform, str) else platform or host_platform()
    given = DriverVersion.parse(driver) if isinstance(driver, str) else driver
    capabilities = [ComputeCapability.parse(g) if isinstance(g, str) else g for g in gpus]
    facts = facts_for(where, given, capabilities, detect=detect)
    request = Request(
        frameworks=parse_frameworks(list(requests)),
        platform=where,
        python=Version(python) if python else None,
        driver=facts.driver,
        gpus=facts.gpus,
        target=target,
    )
    return resolve(request, kb or load_knowledge_base(), facts.host, facts.notes)
