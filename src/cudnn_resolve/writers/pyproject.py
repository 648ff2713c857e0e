"""Put a ``UvProjectConfig`` into a ``pyproject.toml``: text in, text out, the user's formatting, comments
and other tables kept (tomlkit round-trips them), nothing touched that already has the value to write.

What an earlier run wrote is recorded in ``[tool.cudnn-resolve.written]``, so a run for another request
replaces it instead of piling up, and what the user wrote is never taken for ours: a hand-written source,
index or constraint that contradicts the answer is an error naming the entry, never overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import tomlkit
from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Array, InlineTable, Table

from ..errors import UsageError
from ..versions import canonical_name, format_specifier
from .uvproject import UvProjectConfig, requirement_name

TOOL = "cudnn-resolve"
HEADER = "Written by cudnn-resolve project; run the command below again (in this directory) to update."


class ProjectFileError(UsageError):
    """The project file cannot take the answer as it stands. Exit code 2; nothing is written."""

    def __init__(self, where: str, problem: str, fix: str) -> None:
        self.where = where
        self.problem = problem
        self.fix = fix
        super().__init__(f"cannot update {where}: {problem}. {fix}")


@dataclass(frozen=True)
class ProjectEdit:
    text: str
    replaced: tuple[str, ...]  # the user's dependencies that ours replaced
    restored: tuple[str, ...] = ()  # the user's dependencies an earlier run replaced, now back


def _grid() -> list[str]:
    return [f"3.{minor}.{patch}" for minor in range(41) for patch in (*range(21), 99)]


_PYTHONS = _grid()


def _admitted(specs: Iterable[Any]) -> frozenset[str]:
    spec = SpecifierSet(",".join(str(s) for s in specs))
    return frozenset(v for v in _PYTHONS if spec.contains(v, prereleases=True))


def merge_requires_python(theirs: str | None, ours: SpecifierSet, where: str) -> str:
    """``theirs`` narrowed to what ``ours`` allows, bounds that add nothing dropped (theirs kept first).

    Raises ProjectFileError when no Python satisfies both.
    """
    try:
        base = list(SpecifierSet(theirs or ""))
    except InvalidSpecifier:
        raise ProjectFileError(
            where, f"requires-python {theirs!r} is not a version range", "Correct it (e.g. '>=3.10')"
        ) from None
    combined = base + [s for s in ours if s not in base]
    target = _admitted(combined)
    if not target:
        raise ProjectFileError(
            where,
            f"the project requires Python {theirs} and the answer runs on Python "
            f"{format_specifier(ours)} only",
            "Widen requires-python, or ask for a framework version that supports the project's Python",
        )
    keep = list(combined)
    for spec in reversed(combined):
        trial = [s for s in keep if s is not spec]
        if _admitted(trial) == target:
            keep = trial
    if theirs is not None and _admitted(base) == target:
        return theirs
    return format_specifier(SpecifierSet(",".join(str(s) for s in keep)))


def _table(parent: Any, key: str, where: str, super_table: bool = False) -> Any:
    """``parent[key]``, a table, made empty where missing."""
    if key not in parent:
        parent[key] = tomlkit.table(is_super_table=super_table)
    if not isinstance(parent[key], (Table, InlineTable)):
        raise ProjectFileError(where, f"{key} is not a table", f"Correct {key}")
    return parent[key]


def _name(text: object) -> str | None:
    return requirement_name(str(text))


def _fresh_array(entries: Sequence[str]) -> Array:
    array = tomlkit.array()
    array.extend(entries)
    return array.multiline(len(entries) > 1)


def _set_list(table: Any, key: str, drop: Callable[[str], bool], entries: Sequence[str], where: str) -> None:
    """``table[key]``, a list of strings, with ``entries`` in place of the items ``drop`` selects (where
    the first of them was; at the end if none was). Untouched when it already reads that way; written
    afresh when every item in it is ours."""
    value = table.get(key)
    if value is None:
        table[key] = _fresh_array(entries)
        return
    if not isinstance(value, Array) or not all(isinstance(v, str) for v in value):
        raise ProjectFileError(where, f"{key} is not a list of strings", f"Correct {key}")
    current = [str(v) for v in value]
    dropped = [i for i, v in enumerate(current) if drop(v)]
    at = dropped[0] if dropped else len(current)
    kept = [v for i, v in enumerate(current) if i not in dropped]
    if kept[:at] + list(entries) + kept[at:] == current:
        return
    if not kept:
        table[key] = _fresh_array(entries)
        return
    for i in reversed(dropped):
        del value[i]
    one_line = "\n" not in value.as_string()
    for offset, entry in enumerate(entries):
        value.insert(at + offset, entry)
    if one_line and len(value.as_string()) > 100:
        value.multiline(True)  # one item a line once the array outgrows a line


def _check_user_pins(config: UvProjectConfig, lists: dict[str, list[str]], where: str) -> None:
    """Your requirements, constraints and overrides (``lists``: where -> entries) on a package the answer
    pins must admit the pinned version: uv applies them on top of the pins."""
    pinned: dict[str, list[str]] = {}
    for entry in config.constraints:
        requirement = Requirement(entry)
        versions = [s.version for s in requirement.specifier if s.operator == "=="]
        pinned.setdefault(canonical_name(requirement.name), []).extend(versions)
    for label, entries in lists.items():
        for text in entries:
            name = _name(text)
            if name not in pinned or text in config.constraints:
                continue
            if not all(Requirement(text).specifier.contains(v, prereleases=True) for v in pinned[name]):
                raise ProjectFileError(
                    where,
                    f"{label} holds {text!r}, which excludes the pinned {name}=={', '.join(pinned[name])}",
                    "Remove or widen that entry (uv would apply it on top of the pins)",
                )


def _edit_sources(uv: Any, config: UvProjectConfig, previous: set[str], where: str) -> list[str]:
    """``[tool.uv.sources]`` for the packages routed to an index; returns the packages written."""
    wanted: dict[str, list[dict[str, str]]] = {}
    for source in config.sources:
        wanted.setdefault(source.package, []).append({"index": source.index, "marker": source.marker})
    sources = uv.get("sources")
    if sources is not None and not isinstance(sources, (Table, InlineTable)):
        raise ProjectFileError(where, "[tool.uv] sources is not a table", "Correct [tool.uv.sources]")
    created = sources is None
    have = {} if sources is None else sources.unwrap()
    _refuse_hand_written_sources(have, wanted, config.pinned_names() | set(wanted), previous, where)
    for package in sorted(previous & set(have)):
        if sources is not None and have[package] != wanted.get(package):
            del sources[package]
    written = []
    for package, entries in wanted.items():
        if package in have and (package not in previous or have[package] == entries):
            written += [package] if package in previous else []  # unchanged, or the user's own copy
            continue
        sources = _table(uv, "sources", where)
        array = tomlkit.array()
        for entry in entries:
            inline = tomlkit.inline_table()
            inline.update(entry)
            array.append(inline)
        sources[package] = array
        written.append(package)
    if sources is not None and not sources:
        del uv["sources"]
    elif sources is not None and created:
        sources.add(tomlkit.nl())  # a blank line before whatever table follows
    return written


def _refuse_hand_written_sources(
    have: dict[str, Any],
    wanted: dict[str, list[dict[str, str]]],
    packages: set[str],
    previous: set[str],
    where: str,
) -> None:
    """A source the user wrote (not one an earlier run wrote) that routes a pinned package elsewhere
    than the answer needs: bad input, never overwritten."""
    for package in sorted(packages):
        if package in have and package not in previous and have[package] != wanted.get(package):
            needs = f"from {wanted[package][0]['index']}" if package in wanted else "from the default index"
            raise ProjectFileError(
                where,
                f"[tool.uv.sources] routes {package} to {have[package]!r}; "
                f"the answer needs {package} {needs}",
                f"Remove the hand-written {package} source (or ask for the build it names)",
            )


def _edit_indexes(uv: Any, config: UvProjectConfig, previous: set[str], where: str) -> list[str]:
    """``[[tool.uv.index]]`` for the indexes a source names; returns the index names written."""
    indexes = uv.get("index")
    if indexes is not None and not isinstance(indexes, AoT):
        raise ProjectFileError(
            where, "[tool.uv] index is not an array of tables", "Correct [[tool.uv.index]]"
        )
    wanted = {i.name: {"name": i.name, "url": i.url, "explicit": True} for i in config.indexes}
    if indexes is not None:
        for i in reversed(range(len(indexes))):
            name = str(indexes[i].get("name"))
            if name in previous and indexes[i].unwrap() != wanted.get(name):
                del indexes[i]
    written = []
    for name, table in wanted.items():
        same = [t.unwrap() for t in indexes or [] if t.get("name") == name]
        if same and same[0] != table and name not in previous:
            raise ProjectFileError(
                where,
                f"[[tool.uv.index]] {name!r} is {same[0]!r}; the answer needs {table!r}",
                "Rename or remove that index",
            )
        if same:
            written += [name] if name in previous else []
            continue
        if indexes is None:
            uv["index"] = tomlkit.aot()
            indexes = uv["index"]
        item = tomlkit.table()
        item.update(table)
        item.add(tomlkit.nl())  # a blank line before whatever table follows
        indexes.append(item)
        written.append(name)
    if indexes is not None and not len(indexes):
        del uv["index"]
    return written


def _project(doc: Any, name: str, where: str) -> Table:
    if "project" not in doc:
        table = tomlkit.table()
        table.update({"name": name, "version": "0.1.0"})
        doc["project"] = table
    project = doc["project"]
    if not isinstance(project, Table):
        raise ProjectFileError(where, "[project] is not a table", "Correct the [project] table")
    dynamic = project.get("dynamic", [])
    for key in ("dependencies", "requires-python"):
        if key in dynamic:
            raise ProjectFileError(
                where,
                f"[project] declares {key} dynamic (computed by the build backend)",
                f"Write {key} in [project] instead, then run again",
            )
    return project


def _requires_python(project: Table, config: UvProjectConfig, before: Any, where: str) -> dict[str, str]:
    """Narrow requires-python; an earlier run's narrowing is undone first (its ``was``), unless the
    user has changed the value since."""
    current = None if project.get("requires-python") is None else str(project["requires-python"])
    before = before if isinstance(before, dict) else {}
    base = (before.get("was") or None) if before.get("wrote") == current else current
    merged = merge_requires_python(base, config.requires_python, where)
    if merged != current:
        project["requires-python"] = merged
    return {"was": base or "", "wrote": merged}


def edit_pyproject(existing: str | None, config: UvProjectConfig, name: str, where: str) -> ProjectEdit:
    """The text of ``where`` with ``config`` in it; ``existing`` None: a new file for project ``name``.

    Raises ProjectFileError (nothing to write) when the file is not TOML or contradicts the answer.
    """
    try:
        doc = tomlkit.parse(existing or "")
    except TOMLKitError as exc:
        raise ProjectFileError(
            where, f"it is not valid TOML ({exc})", "Fix the file, then run again"
        ) from None
    project = _project(doc, name, where)
    tool = _table(doc, "tool", where, super_table=True)
    old = tool.get(TOOL)
    written = old.unwrap().get("written", {}) if isinstance(old, Table) else {}
    previous: dict[str, Any] = written if isinstance(written, dict) else {}

    def was(key: str) -> set[str]:
        value = previous.get(key, [])
        return {str(v) for v in value} if isinstance(value, list) else set()

    def strings(table: Any, key: str) -> list[str]:
        value = table.get(key, [])
        return [str(v) for v in value] if isinstance(value, list) else []

    def constraint_was_ours(entry: str) -> bool:
        """Written by an earlier run: the record names the package, and the entry has the platform
        marker every constraint we write carries. A user's unmarked constraint on a package the answer
        also constrains (numpy<2 beside ours) stays theirs."""
        return ";" in entry and _name(entry) in was("constraint-dependencies")

    ours = {n for n in map(_name, config.dependencies) if n}
    mine = ours | was("dependencies")
    theirs = strings(project, "dependencies")
    replaced = tuple(
        v for v in theirs if _name(v) in ours - was("dependencies") and v not in config.dependencies
    )
    # Your dependencies an earlier run replaced come back once the answer no longer names their package.
    earlier = (
        [str(v) for v in previous.get("replaced", [])] if isinstance(previous.get("replaced"), list) else []
    )
    restored = [v for v in earlier if _name(v) not in ours and v not in theirs]
    uv = _table(tool, "uv", where)
    _check_user_pins(
        config,
        {
            "[project] dependencies": [v for v in theirs if _name(v) not in mine],
            "[tool.uv] constraint-dependencies": [
                v for v in strings(uv, "constraint-dependencies") if not constraint_was_ours(v)
            ],
            "[tool.uv] override-dependencies": strings(uv, "override-dependencies"),
        },
        where,
    )
    python = _requires_python(project, config, previous.get("requires-python"), where)
    entries = [*restored, *config.dependencies]
    _set_list(project, "dependencies", lambda v: _name(v) in mine, entries, where)
    _set_list(
        uv,
        "constraint-dependencies",
        lambda v: constraint_was_ours(v) or v in config.constraints,
        config.constraints,
        where,
    )
    envs = [str(v) for v in uv.get("required-environments", [])]
    user_envs = [e for e in envs if e not in was("required-environments")]
    added = [e for e in config.environments if e not in user_envs]
    _set_list(uv, "required-environments", lambda v: v not in user_envs, added, where)
    record = dict(config.record)
    record["written"] = {
        "dependencies": sorted(ours),
        "replaced": [v for v in earlier if _name(v) in ours] + list(replaced),
        "constraint-dependencies": sorted({n for n in map(_name, config.constraints) if n}),
        "required-environments": added,
        "sources": _edit_sources(uv, config, was("sources"), where),
        "indexes": _edit_indexes(uv, config, was("indexes"), where),
        "requires-python": python,
    }
    _write_record(tool, record)
    return ProjectEdit(doc.as_string(), replaced, tuple(restored))


def _write_record(tool: Any, record: dict[str, object]) -> None:
    existing = tool.get(TOOL)
    if isinstance(existing, Table) and existing.unwrap() == record:
        return
    table = tomlkit.table()
    table.add(tomlkit.comment(HEADER))
    for key, value in record.items():
        if key == "written":
            table[key] = _written_table(value)  # type: ignore[arg-type]  # built by edit_pyproject
        elif key != "answer":
            table[key] = value
    answers = tomlkit.aot()
    for answer in record["answer"]:  # type: ignore[attr-defined]  # a list of tables, built above
        item = tomlkit.table()
        item.update(answer)
        answers.append(item)
    table["answer"] = answers
    tool[TOOL] = table


def _written_table(written: dict[str, object]) -> Table:
    table = tomlkit.table()
    for key, value in written.items():
        if isinstance(value, dict):
            inline = tomlkit.inline_table()
            inline.update(value)
            table[key] = inline
        else:
            table[key] = value
    return table
