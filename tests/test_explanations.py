"""No answer is explained from resolvelib's own causes; a search that gives up is not "no answer"."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cudnn_resolve import Request, parse_frameworks, resolve
from cudnn_resolve.data import KnowledgeBase
from cudnn_resolve.errors import ResolutionImpossibleError, SearchTooDeepError
from cudnn_resolve.resolver import search as search_module
from cudnn_resolve.resolver.model import CUDA, FrameworkCandidate
from cudnn_resolve.resolver.search import Conflict, search
from cudnn_resolve.versions import DriverVersion

from .conftest import Run


def test_a_conflict_names_the_requirement_and_the_release_that_brought_it(kb: KnowledgeBase) -> None:
    request = Request(parse_frameworks(["tf=2.15"]), driver=DriverVersion.parse("450.80.02"))
    outcome = search(kb, request)
    assert isinstance(outcome, Conflict)
    brought = [(need, parent) for need, parent in outcome.causes if isinstance(parent, FrameworkCandidate)]
    assert brought
    assert all(need.identifier == CUDA and str(parent.version).startswith("2.15") for need, parent in brought)
    with pytest.raises(ResolutionImpossibleError) as caught:
        resolve(request, kb)
    # described from those causes and the pools' record of why the driver rules out CUDA 12.2
    assert "TensorFlow 2.15.1 is built with CUDA 12.2" in caught.value.reasons[0]
    assert "driver 450.80.02 supports at most CUDA 11.8" in caught.value.reasons[0]


def test_a_request_the_filters_empty_is_a_cause_of_the_request_itself(kb: KnowledgeBase) -> None:
    from cudnn_resolve.versions import ComputeCapability

    request = Request(parse_frameworks(["torch=2.8"]), gpus=(ComputeCapability.parse("3.5"),))
    outcome = search(kb, request)
    assert isinstance(outcome, Conflict)
    assert [(need.identifier, parent) for need, parent in outcome.causes] == [("torch", None)]


@pytest.fixture
def two_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_module, "MAX_ROUNDS", 2)


@pytest.mark.usefixtures("two_rounds")
def test_a_search_that_gives_up_is_not_called_impossible(kb: KnowledgeBase) -> None:
    request = Request(parse_frameworks(["torch=2.4", "jax"]))
    with pytest.raises(SearchTooDeepError) as caught:
        resolve(request, kb)
    assert not isinstance(caught.value, ResolutionImpossibleError)
    assert "gave up after 2 rounds without deciding whether an answer exists" in str(caught.value)


@pytest.mark.usefixtures("two_rounds")
def test_the_cli_says_it_gave_up(cli: Callable[..., Run]) -> None:
    run = cli("pins", "torch=2.4", "jax", "--no-detect", "--platform", "linux-64", "--json")
    assert run.code == 1
    error = run.json()["error"]
    assert error["type"] == "SearchTooDeepError"
    assert "narrow the request" in error["message"]
