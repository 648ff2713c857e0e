"""The one exception hierarchy of cudnn-resolve.

Every error renders an actionable, one-paragraph message (what was asked, why it cannot be, what to do)
and carries the data it was built from, so callers can act on it without parsing text.
Exit codes: 1 for "no consistent answer", 2 for bad input (requests, flags, data files).
"""

from __future__ import annotations

from collections.abc import Sequence

EXIT_OK = 0
EXIT_NO_ANSWER = 1
EXIT_BAD_INPUT = 2


class CudnnResolveError(Exception):
    """Root of every error cudnn-resolve raises on purpose."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(CudnnResolveError, ValueError):
    """Bad input: a request, a flag or a file the user gave us. Exit code 2."""


class RequestSyntaxError(UsageError):
    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        super().__init__(
            f"cannot parse the request {text!r}: {reason}. Write a framework and an optional version, "
            "for example 'tf=2.10', 'tensorflow==2.15.*', 'torch>=2.4,<2.6' or 'jax'."
        )


class UnknownFrameworkError(UsageError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__(
            f"unknown framework {name!r}. Known names: {', '.join(self.known)}. "
            "Write for example 'tf=2.10', 'torch=2.4' or 'jax=0.4.30'."
        )


class UnknownVersionError(UsageError):
    def __init__(self, framework: str, wanted: str, nearest: Sequence[str], covered: str) -> None:
        self.framework = framework
        self.wanted = wanted
        self.nearest = tuple(nearest)
        self.covered = covered
        near = f" Nearest known: {', '.join(self.nearest)}." if self.nearest else ""
        super().__init__(
            f"no {framework} release matching {wanted!r} is in the compatibility data "
            f"(it covers {covered}).{near} If the release is newer than the data, refresh it with "
            "'cudnn-resolve data update' or upgrade cudnn-resolve."
        )


class InvalidOptionError(UsageError):
    def __init__(self, option: str, value: str, expected: str) -> None:
        self.option = option
        self.value = value
        self.expected = expected
        super().__init__(f"invalid value {value!r} for {option}: expected {expected}.")


class ConflictingOptionsError(UsageError):
    def __init__(self, detail: str, fix: str) -> None:
        self.detail = detail
        self.fix = fix
        super().__init__(f"{detail}. {fix}")


class DataError(CudnnResolveError):
    """A knowledge-base file is missing, unreadable or does not follow the schema. Exit code 2."""

    def __init__(self, path: str, problem: str, record: str | None = None) -> None:
        self.path = path
        self.problem = problem
        self.record = record
        where = f"{path}, {record}" if record else path
        super().__init__(
            f"compatibility data error in {where}: {problem}. Correct the record, or restore the "
            "shipped files by reinstalling cudnn-resolve."
        )


class SearchTooDeepError(CudnnResolveError):
    """The search gave up before deciding whether an answer exists (resolvelib's round limit): not the
    same as "no answer", which is proven. Exit code 1."""

    exit_code = EXIT_NO_ANSWER

    def __init__(self, request_text: str, rounds: int) -> None:
        self.request_text = request_text
        self.rounds = rounds
        super().__init__(
            f"the search for pins of {request_text} gave up after {rounds} rounds without deciding whether "
            "an answer exists: narrow the request (a framework version such as tf=2.15, --python, --cuda) "
            "and run it again"
        )


class ResolutionImpossibleError(CudnnResolveError):
    """No set of pins satisfies the request and the compatibility data. Exit code 1.

    ``reasons`` name the conflicting facts; ``fixes`` are changes that make the request resolvable,
    each verified by resolving again with the change applied.
    """

    exit_code = EXIT_NO_ANSWER

    def __init__(self, request_text: str, reasons: Sequence[str], fixes: Sequence[str]) -> None:
        self.request_text = request_text
        self.reasons = tuple(reasons)
        self.fixes = tuple(fixes)
        text = f"no consistent set of pins for {request_text}: " + "; ".join(self.reasons)
        if self.fixes:
            text += ". To fix: " + "; or ".join(self.fixes)
        super().__init__(text + ".")
