"""The end of every verb's --help: real examples, and where the documentation is.

The documentation's address is the one pyproject.toml publishes as ``Documentation`` (a test keeps the
two equal): a pip user has no docs/ directory to open.
"""

from __future__ import annotations

from collections.abc import Sequence

DOCS_URL = "https://github.com/cudnn-resolve/cudnn-resolve/tree/main/docs"


def doc_url(page: str) -> str:
    """The address of a documentation page, e.g. ``json.md``."""
    return f"{DOCS_URL}/{page}"


# argparse wraps option help at hyphens, which would split an address: it is given in the epilog.
JSON_HELP = "print one JSON object (its fields: the 'JSON fields' address below)"


def epilog(examples: Sequence[tuple[str, str]], page: str, prog: str) -> str:
    """``examples``: (command, what it does); ``{prog}`` in a command is the program (cudnn-resolve, or
    conda cudnn-env inside conda)."""
    lines = ["examples:"]
    for command, what in examples:
        lines += [f"  {command.format(prog=prog)}", f"      {what.format(prog=prog)}"]
    lines += ["", f"documentation: {doc_url(page)}", f"JSON fields:   {doc_url('json.md')}"]
    return "\n".join(lines) + "\n"
