"""Every source in the knowledge base is something a user can open.

Openable forms (DESIGN.md, "Ground rules for the data"): a page's address, a repository path at a tag,
commit or release branch, an issue or pull request of a named repository, or a package's metadata named by
package and version (including what `pip index versions` lists). A copy nobody can find again (a search
index's file id, a repository not identified) is not a source.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cudnn_resolve.data import DATA_FILES, shipped_data_dir

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

OPENABLE = (
    re.compile(r"https?://\S+"),
    re.compile(r"\b(?:[a-z0-9-]+\.)+(?:com|org|io|net|dev)/\S+"),  # a page's address
    # a repository path at a ref: "owner/name path @ <sha>", "at commit <sha>", "@ branch release/2.4"
    re.compile(
        r"\b[\w.-]+/[\w.-]+ [^;]*?(?:@|at commit|snapshot|at tag|branch) ?"
        r"(?:[0-9a-f]{7,40}\b|v\d[\w.]*|release/\S+|main\b)"
    ),
    re.compile(r"\b[\w.-]+/[\w.-]+ (?:issue|pull request|PR) #\d+"),
    # package metadata by name and version
    re.compile(
        r"(?:Requires-Dist|METADATA|metadata|pip index|wheel|read through (?:uv|pip))[^;]*?"
        r"[\w.-]+(?:==|-)\d+(?:\.\d+)+"
    ),
    re.compile(
        r"(?:pip index(?: versions)?|listed by pip index|file listing read through uv)[^;]*?"
        r"\b(?:nvidia|torch|tensorflow|jax)[\w-]*"
        r"|\b(?:nvidia|torch|tensorflow|jax)[\w*-]* versions (?:listed by|via) pip index"
    ),
    re.compile(r"\b(?:wheel|package)s? [a-z][\w.-]+ \d+(?:\.\d+)+"),
)
UNFINDABLE = re.compile(r"search-index|not identified|mirror copy", re.IGNORECASE)


def is_openable(source: str) -> bool:
    return not UNFINDABLE.search(source) and any(p.search(source) for p in OPENABLE)


def _sources(node: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "source" and isinstance(value, str):
                yield where, value
            else:
                yield from _sources(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _sources(value, f"{where}[{i}]")


SOURCES = [
    (f"{name}{where}", text)
    for name in DATA_FILES
    for where, text in _sources(tomllib.loads((shipped_data_dir() / name).read_text()), "")
]


def test_every_data_file_has_sources() -> None:
    assert {s.split(".", 1)[0] + ".toml" for s, _ in SOURCES} == set(DATA_FILES)
    assert len(SOURCES) > 500


@pytest.mark.parametrize(("where", "source"), SOURCES, ids=[w for w, _ in SOURCES])
def test_source_is_openable(where: str, source: str) -> None:
    assert is_openable(source), f"{where}: {source}"


@pytest.mark.parametrize(
    "source",
    [
        "RELEASE.md table as carried in a translated mirror copy of pytorch/pytorch RELEASE.md (search-index "
        "file id 66643764700; repository not identified; rows 1.12-2.14), row 2.8",
        "NVIDIA cuDNN support matrix (see builds)",
        "conda-forge/cudnn-feedstock history",
        "as quoted in public copies",
    ],
)
def test_unopenable_sources_are_refused(source: str) -> None:
    assert not is_openable(source)


def test_explain_corpus_sources_are_addresses() -> None:
    corpus = tomllib.loads((Path(__file__).parent / "data" / "explain" / "corpus.toml").read_text())
    for case in corpus["case"]:
        assert re.search(r"https://\S+", case["source"]), case["id"]
