"""``resolve()``: a Request and the knowledge base in, one consistent Resolution out."""

from __future__ import annotations

from collections.abc import Sequence

from ..data import KnowledgeBase, load_knowledge_base
from ..host import HostInfo
from ..request import Request, check_request
from .assemble import assemble
from .explain import explain_failure
from .hosts import explain_for_hosts
from .resolution import Resolution
from .search import Conflict, check_versions, search


def resolve(
    request: Request,
    kb: KnowledgeBase | None = None,
    host: HostInfo | None = None,
    notes: Sequence[str] = (),
) -> Resolution:
    """Resolve ``request`` against the knowledge base (default: the shipped data).

    ``host`` is what detection found, reported as is; the facts the resolver uses are the request's
    ``driver`` and ``gpus``. Raises UsageError for bad input (unknown versions, contradictory options) and
    ResolutionImpossibleError, with the conflicting facts and verified fixes, when no answer exists;
    SearchTooDeepError when the search gives up before deciding.
    """
    check_request(request)
    kb = kb or load_knowledge_base()
    check_versions(kb, request)
    outcome = search(kb, request)
    if isinstance(outcome, Conflict):
        raise (explain_for_hosts if request.hosts else explain_failure)(kb, request, outcome)
    return assemble(kb, request, host, outcome, notes)
