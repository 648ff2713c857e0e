"""Writers: pure functions from a Resolution to the text of one file, deterministic, header first."""

from .conda import environment_yml
from .header import command_text, header_lines
from .pip import constraints_text, requirements_text

__all__ = ["command_text", "constraints_text", "environment_yml", "header_lines", "requirements_text"]
