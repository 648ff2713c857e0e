"""What the user asks for: framework requirements and the options that steer resolution."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from .errors import ConflictingOptionsError, RequestSyntaxError, UnknownFrameworkError
from .versions import ComputeCapability, DriverVersion, Platform, specifier

if TYPE_CHECKING:
    from .hostfile import HostFacts

# Canonical framework names and the display names used in messages.
FRAMEWORKS = ("tensorflow", "torch", "jax")
DISPLAY = {"tensorflow": "TensorFlow", "torch": "PyTorch", "jax": "JAX"}

# Every name a user may write for a framework. One table, so the parser, help text and errors agree.
ALIASES = {
    "tensorflow": "tensorflow",
    "tf": "tensorflow",
    "tensorflow-gpu": "tensorflow",
    "tensorflow_gpu": "tensorflow",
    "torch": "torch",
    "pytorch": "torch",
    "jax": "jax",
    "jaxlib": "jax",
}

_REQUEST_RE = re.compile(
    r"^(?P<name>[A-Za-z][A-Za-z0-9_.-]*?)\s*(?:\[(?P<extras>[^\]]*)\])?\s*(?P<spec>(?:[=<>!~ ]|\d).*)?$"
)
# A torch local version label naming a CUDA variant: torch==2.4.1+cu121
_VARIANT_RE = re.compile(r"\+(cu\d{3}|cpu)\b")


class Target(str, enum.Enum):
    """Where the CUDA and cuDNN libraries come from when the framework does not bring them."""

    PIP = "pip"
    CONDA = "conda"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class FrameworkRequest:
    """One framework requirement, e.g. ``tf=2.10`` -> tensorflow ==2.10.*."""

    name: str
    specifier: SpecifierSet
    text: str
    variant: str | None = None  # a torch CUDA variant named with +cuXYZ

    def __str__(self) -> str:
        return self.text


def conda_to_pep440(spec: str) -> str:
    """conda-style versions: '=2.10' and a bare '2.10' mean 2.10.* (a prefix), '2.10.*' stays."""
    parts = []
    for raw in spec.split(","):
        part = raw.strip()
        if part.startswith("=") and not part.startswith("=="):
            part = part[1:].strip()
        if part and part[0].isdigit():
            part = "==" + part if part.endswith("*") else f"=={part}.*"
        parts.append(part)
    return ",".join(parts)


def parse_framework_request(text: str) -> FrameworkRequest:
    """Parse one request word. Raises RequestSyntaxError or UnknownFrameworkError."""
    cleaned = text.strip()
    if not cleaned:
        raise RequestSyntaxError(text, "it is empty")
    match = _REQUEST_RE.match(cleaned)
    if not match:
        raise RequestSyntaxError(text, "expected a framework name followed by an optional version")
    name = match.group("name").lower()
    canonical = ALIASES.get(name)
    if canonical is None:
        raise UnknownFrameworkError(name, sorted(ALIASES))
    raw_spec = (match.group("spec") or "").strip()
    variant = None
    variant_match = _VARIANT_RE.search(raw_spec)
    if variant_match:
        if canonical != "torch":
            raise RequestSyntaxError(text, "only PyTorch has +cuXYZ variants")
        variant = variant_match.group(1)
        raw_spec = _VARIANT_RE.sub("", raw_spec)
    raw_spec = re.sub(r"\s+", "", raw_spec) if "," in raw_spec or raw_spec[:1] in "<>!~=" else raw_spec
    try:
        spec = specifier(conda_to_pep440(raw_spec)) if raw_spec else SpecifierSet()
    except InvalidSpecifier:
        raise RequestSyntaxError(text, f"{raw_spec!r} is not a version or version range") from None
    return FrameworkRequest(canonical, spec, cleaned, variant)


def merge_requests(requests: list[FrameworkRequest]) -> tuple[FrameworkRequest, ...]:
    """Combine repeated frameworks (``torch>=2.4 torch<2.6``) into one requirement each, in order."""
    merged: dict[str, FrameworkRequest] = {}
    for req in requests:
        if req.name in merged:
            old = merged[req.name]
            if old.variant and req.variant and old.variant != req.variant:
                raise ConflictingOptionsError(
                    f"{old.text} and {req.text} ask for two different PyTorch variants",
                    "Ask for one variant, or leave it out and let the resolver pick",
                )
            merged[req.name] = FrameworkRequest(
                req.name, old.specifier & req.specifier, f"{old.text} {req.text}", old.variant or req.variant
            )
        else:
            merged[req.name] = req
    return tuple(merged.values())


@dataclass(frozen=True)
class Request:
    """A complete resolution request: frameworks plus the host and target facts that constrain them.

    ``driver`` and ``gpus`` are the host facts to resolve for (given as flags or detected); when both are
    absent the frameworks resolve to the CUDA variant of their default wheel on the package index.
    ``hosts`` are the host files those facts were combined from (``resolver.request_for_hosts``): they
    name the hosts in explanations and file headers; the resolver itself reads ``driver`` and ``gpus``.
    """

    frameworks: tuple[FrameworkRequest, ...]
    platform: Platform = Platform.LINUX_64
    python: Version | None = None  # MAJOR.MINOR
    driver: DriverVersion | None = None
    gpus: tuple[ComputeCapability, ...] = ()
    cuda: SpecifierSet | None = None
    cudnn: SpecifierSet | None = None
    target: Target | None = None  # None: pip wheels where they exist, conda-forge otherwise
    framework_source: str = "pip"  # "conda": the frameworks' own conda-forge CUDA builds
    argv: tuple[str, ...] = field(default=(), compare=False)  # the command that asked, for file headers
    hosts: tuple[HostFacts, ...] = field(default=(), compare=False)

    @property
    def text(self) -> str:
        return " ".join(str(f) for f in self.frameworks)

    @property
    def has_host_facts(self) -> bool:
        return self.driver is not None or bool(self.gpus)


def parse_frameworks(words: list[str] | tuple[str, ...]) -> tuple[FrameworkRequest, ...]:
    """Parse request words (``["torch=2.4", "jax"]``), merging repeated frameworks."""
    if not words:
        raise RequestSyntaxError("", "no framework was named")
    return merge_requests([parse_framework_request(w) for w in words])


def check_request(request: Request) -> None:
    """Reject contradictory combinations before resolving (bad input, exit code 2)."""
    if not request.platform.has_cuda and (request.cuda or request.cudnn or request.gpus or request.driver):
        raise ConflictingOptionsError(
            f"--platform {request.platform} has no CUDA, but CUDA, cuDNN, driver or GPU options were given",
            "Drop those options, or target linux-64, linux-aarch64 or win-64",
        )
