"""Host facts files: what one machine (or one kind of cluster node) offers, written by ``doctor --json``,
``fleet doctor`` or by hand, and read by ``--host FILE``.

A file holds one host object or ``{"hosts": [host, ...]}``. A host object has ``platform`` (a conda
subdir name), ``driver`` (a version string, or null where there is no NVIDIA driver) and ``gpus`` (a list
of ``{"compute_capability": "M.m" or null, "name": ...}``), and optionally ``name`` and ``nodes`` (the
cluster nodes of that kind). Other keys are allowed and ignored (``doctor --json`` adds ``method`` and
``attempts``). The JSON schema ships beside this module: ``host-file.schema.json``.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import UsageError
from .host import HostInfo
from .versions import ComputeCapability, DriverVersion, Platform

SCHEMA_PATH = Path(__file__).with_name("host-file.schema.json")
DOCS = "docs/teams.md#host-files"
# The same patterns as the schema's, so the file and the schema accept exactly the same values.
_CC_TEXT = re.compile(r"^[0-9]{1,2}\.[0-9]$")
_DRIVER_TEXT = re.compile(r"^[0-9]+(\.[0-9]+){0,3}$")


class HostFileError(UsageError):
    """A host file that cannot be read or does not follow the format. Exit code 2."""

    def __init__(self, path: str, where: str, problem: str) -> None:
        self.path = path
        self.where = where
        self.problem = problem
        at = f", field {where}" if where else ""
        super().__init__(
            f"host file {path}{at}: {problem}. Fix the file (format: {DOCS}; JSON schema: "
            f"{SCHEMA_PATH.name} in the cudnn_resolve package), or write it again with "
            "'cudnn-resolve doctor --json' on that host"
        )


@dataclass(frozen=True)
class HostGpu:
    """One GPU of a host; ``compute_capability`` is None where the host could not tell it."""

    compute_capability: ComputeCapability | None
    name: str | None = None

    def __str__(self) -> str:
        cc = str(self.compute_capability) if self.compute_capability else "compute capability unknown"
        return f"{self.name} ({cc})" if self.name else cc


@dataclass(frozen=True)
class HostFacts:
    """The facts the resolver needs about one host, or one kind of node (``nodes`` lists them)."""

    platform: Platform
    driver: DriverVersion | None
    gpus: tuple[HostGpu, ...] = ()
    name: str | None = None
    nodes: tuple[str, ...] = ()
    source: str = field(default="", compare=False)  # the file it was read from, for messages

    @property
    def label(self) -> str:
        """How messages name the host: its name, else its first node, else its file."""
        base = self.name or (self.nodes[0] if self.nodes else None) or self.source or "unnamed host"
        extra = len(self.nodes) - 1 if self.nodes and base == self.nodes[0] else 0
        return f"{base} (+{extra} nodes)" if extra > 0 else base

    @property
    def capabilities(self) -> tuple[ComputeCapability, ...]:
        return tuple(sorted({g.compute_capability for g in self.gpus if g.compute_capability}))

    @property
    def kind(self) -> tuple[object, ...]:
        """What makes two nodes the same kind for resolution: platform, driver and GPUs."""
        gpus = tuple(sorted((str(g.compute_capability), g.name or "") for g in self.gpus))
        return (self.platform, self.driver, gpus)

    def describe(self) -> str:
        """``driver 535.104.05, GPU GeForce GTX 1080 (6.1)``: the facts, for messages."""
        counts = Counter(str(g) for g in self.gpus)
        gpus = ", ".join(f"{n}x {g}" if n > 1 else g for g, n in counts.items()) or "no GPU"
        return f"{self.platform}, driver {self.driver or 'none'}, GPU {gpus}"

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"name": self.name} if self.name else {}
        body.update(
            {
                "platform": str(self.platform),
                "driver": str(self.driver) if self.driver else None,
                "gpus": [
                    {
                        "compute_capability": str(g.compute_capability) if g.compute_capability else None,
                        **({"name": g.name} if g.name else {}),
                    }
                    for g in self.gpus
                ],
            }
        )
        if self.nodes:
            body["nodes"] = list(self.nodes)
        return body


def host_facts(info: HostInfo, platform: Platform, name: str | None = None) -> HostFacts:
    """The facts of a detected host (``doctor``)."""
    gpus = tuple(HostGpu(g.capability, g.name) for g in info.gpus)
    return HostFacts(platform, info.driver, gpus, name)


def _expect(path: str, where: str, value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise HostFileError(path, where, f"expected {what}, got {json.dumps(value)}")
    return value


def _parse_gpu(path: str, where: str, value: Any) -> HostGpu:
    _expect(path, where, value, dict, 'an object such as {"compute_capability": "8.6"}')
    if "compute_capability" not in value:
        raise HostFileError(path, where, "compute_capability is missing (write null where it is unknown)")
    cc_text = value["compute_capability"]
    cc = None
    if cc_text is not None:
        _expect(path, f"{where}.compute_capability", cc_text, str, 'a string "M.m" such as "8.6"')
        if not _CC_TEXT.match(cc_text):
            raise HostFileError(
                path, f"{where}.compute_capability", f'expected "M.m" such as "8.6", got {cc_text!r}'
            )
        cc = ComputeCapability.parse(cc_text)
    name = value.get("name")
    if name is not None:
        _expect(path, f"{where}.name", name, str, "a string")
    return HostGpu(cc, name)


def parse_host(path: str, where: str, value: Any) -> HostFacts:
    """One host object; ``where`` names it in errors (``hosts[2]``, or empty for the whole file)."""
    prefix = f"{where}." if where else ""
    _expect(path, where, value, dict, "a JSON object with platform, driver and gpus")
    for key in ("platform", "driver", "gpus"):
        if key not in value:
            raise HostFileError(path, f"{prefix}{key}", "this required field is missing")
    platform_text = _expect(path, f"{prefix}platform", value["platform"], str, 'a string such as "linux-64"')
    known = [p.value for p in Platform]
    if platform_text not in known:
        raise HostFileError(path, f"{prefix}platform", f"{platform_text!r} is not one of {', '.join(known)}")
    platform = Platform(platform_text)
    driver = None
    if value["driver"] is not None:
        expected = 'a string such as "535.104.05", or null'
        text = _expect(path, f"{prefix}driver", value["driver"], str, expected)
        if not _DRIVER_TEXT.match(text):
            raise HostFileError(
                path, f"{prefix}driver", f'expected a driver version such as "535.104.05", got {text!r}'
            )
        driver = DriverVersion.parse(text)
    gpu_list = _expect(path, f"{prefix}gpus", value["gpus"], list, "a list of GPU objects")
    gpus = tuple(_parse_gpu(path, f"{prefix}gpus[{i}]", g) for i, g in enumerate(gpu_list))
    name = value.get("name")
    if name is not None:
        _expect(path, f"{prefix}name", name, str, "a string")
    nodes = value.get("nodes", [])
    _expect(path, f"{prefix}nodes", nodes, list, "a list of node names")
    for i, node in enumerate(nodes):
        _expect(path, f"{prefix}nodes[{i}]", node, str, "a node name")
    return HostFacts(platform, driver, gpus, name or None, tuple(nodes), path)


def parse_host_document(path: str, value: Any) -> tuple[HostFacts, ...]:
    """A whole host file: one host object, or ``{"hosts": [...]}`` (``fleet doctor``'s output)."""
    if isinstance(value, dict) and "hosts" in value and "platform" not in value:
        hosts = _expect(path, "hosts", value["hosts"], list, "a list of host objects")
        if not hosts:
            raise HostFileError(path, "hosts", "the list is empty")
        return tuple(parse_host(path, f"hosts[{i}]", h) for i, h in enumerate(hosts))
    return (parse_host(path, "", value),)


def load_host_files(paths: Iterable[str | Path]) -> tuple[HostFacts, ...]:
    """Every host in the files, in order. Raises HostFileError (exit 2) naming the file and field."""
    hosts: list[HostFacts] = []
    for raw in paths:
        path = str(raw)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise HostFileError(path, "", f"cannot read it ({exc.strerror or exc})") from None
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise HostFileError(path, "", f"not JSON ({exc.msg} at line {exc.lineno})") from None
        hosts += parse_host_document(path, value)
    return tuple(hosts)


def hosts_document(hosts: Sequence[HostFacts], generated_by: str) -> dict[str, Any]:
    """The ``{"hosts": [...]}`` form, as ``fleet doctor -o`` writes it."""
    return {"schema": 1, "generated_by": generated_by, "hosts": [h.to_json() for h in hosts]}
