from dataclasses import dataclass
from typing import Any, Callable, Optional


@dataclass
class CondaSubcommand:
    name: str
    summary: str
    action: Callable[[Any], Optional[int]]
    configure_parser: Optional[Callable[[Any], None]] = None


@dataclass
class CondaHealthCheck:
    name: str
    action: Callable[[str, bool], None]


@dataclass(frozen=True)
class CondaErrorHint:
    text: str
    hint_code: str
