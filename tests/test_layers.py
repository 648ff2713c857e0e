"""The layers: each module imports only the layers below it, through public names.

The ranks follow DESIGN.md's layers as the code has them: value types and helpers, the data, the
facts about machines, the request, the resolver, the writers and the probe, what builds on those (locks,
the data refresh, check's rules), environments, images and the fleet, then the library facade and the
command line. A new upward import fails here, with the two modules named.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "src" / "cudnn_resolve"
RANKS = {
    **dict.fromkeys(
        ("_version", "errors", "versions", "tomlread", "tomlwrite", "redact", "fileio", "requirement_lines"),
        0,
    ),
    **dict.fromkeys(("markers", "env_layout", "uvtool", "conda_packages"), 0),
    "data": 1,
    "host": 2,
    "hostfile": 3,
    "request": 4,
    "resolver": 5,
    "explain": 5,
    "writers": 6,
    "probe": 6,
    "lock": 7,
    "refresh": 7,
    "verify": 7,
    "envs": 8,
    "images": 8,
    "fleet": 8,
    "library": 9,
    "cli": 9,
    "conda_hints": 9,
    "conda_plugin": 10,
    "__main__": 10,
    "": 10,  # the package's __init__: re-exports
}


def _module(path: Path) -> tuple[str, str]:
    """(dotted module inside the package, its package) for a source file."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    package = parts[:-1]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts), ".".join(package)


def _imports() -> list[tuple[str, str, list[str]]]:
    """(importing module, imported module, names) for every relative import in the package."""
    found: list[tuple[str, str, list[str]]] = []
    for path in sorted(ROOT.rglob("*.py")):
        module, package = _module(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, *([node.module] if node.module else [])])
                names = [a.name for a in node.names]
                if node.module is None:
                    found += [(module, f"{target}.{n}".strip("."), []) for n in names]
                else:
                    found.append((module, target, names))
    return found


def _group(module: str) -> str:
    return module.split(".", maxsplit=1)[0]


def test_every_module_has_a_layer() -> None:
    groups = {_group(m) for m, _, _ in _imports()} | {_group(t) for _, t, _ in _imports()}
    assert groups <= set(RANKS), sorted(groups - set(RANKS))


def test_imports_never_point_upward() -> None:
    upward = [
        f"{module} (layer {RANKS[_group(module)]}) imports {target} (layer {RANKS[_group(target)]})"
        for module, target, _ in _imports()
        if RANKS[_group(target)] > RANKS[_group(module)]
    ]
    assert not upward


def test_no_module_imports_another_modules_private_names() -> None:
    private = [
        f"{module} imports {name} from {target}"
        for module, target, names in _imports()
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not private


def test_the_probe_script_is_run_never_imported() -> None:
    # It runs under other environments' interpreters, without this package: nothing may depend on it.
    importers = [
        m for m, t, names in _imports() if t == "probe.script" or (t == "probe" and "script" in names)
    ]
    assert not importers
