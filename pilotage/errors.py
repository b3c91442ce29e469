"""The errors Pilotage raises on purpose: each carries a message meant for the user."""

from __future__ import annotations


class PilotageError(Exception):
    """Base of every error whose message is for the user (the CLI prints it and exits 2)."""


class UnknownKpi(PilotageError):
    pass


class InvalidCut(PilotageError):
    """A grain, a date or a dimension that the KPI cannot be cut by."""


class NotInScope(InvalidCut):
    """KPIs whose records carry no rep or team, asked by a rep or a manager (deny by default).

    The API answers 422; a page shows those figures as not available and the rest of the page."""


class DatabaseError(PilotageError):
    pass


class DatabaseLocked(DatabaseError):
    pass


class TooBig(PilotageError):
    """A question over a budget (KPIs, dimensions, result cells, page size), refused before any work."""

    http_status = 413


class QueryTooLong(PilotageError):
    """A read that passed the time limit and was stopped: narrow the question."""

    http_status = 503


class Busy(PilotageError):
    """Every reader stayed busy too long."""

    http_status = 503


SHOWN_VALUE_CHARS = 200  # a raw value quoted in a message (terminal, exception, API) is cut beyond this
SHOWN_LINE_CHARS = 2_000  # any line of an error's reason is cut beyond this (a safety net: a value quoted whole)


def shorten(value: str, limit: int = SHOWN_VALUE_CHARS, length: int | None = None) -> str:
    """A raw value as quoted in a message: its repr, cut after ``limit`` characters with an ellipsis and its full
    length (``'aaaa…' (20,971,520 characters)``). ``length``: the full length when ``value`` is a prefix of it
    already. The error file keeps the whole value."""
    length = len(value) if length is None else length
    if length <= limit:
        return repr(value)
    return f"{value[:limit] + '…'!r} ({length:,} characters)"


def shorten_text(value: str, limit: int = SHOWN_VALUE_CHARS, length: int | None = None) -> str:
    """A raw value given as data (the API's ``value``): cut after ``limit`` characters, its length said."""
    length = len(value) if length is None else length
    if length <= limit:
        return value
    return f"{value[:limit]}… ({length:,} characters)"


def _shown_reason(reason: str, limit: int = SHOWN_LINE_CHARS) -> str:
    """Each line of a reason (or a column's header) cut at ``limit`` characters, keeping every line (the CLI
    counts them to put each hint under its error)."""
    if len(reason) <= limit:
        return reason
    return "\n".join(line if len(line) <= limit else f"{line[:limit]}… ({len(line):,} characters)"
                     for line in reason.split("\n"))


class ImportRejected(PilotageError):
    """An import that landed nothing; ``errors`` lists ``(file, line, column, reason)``.

    The message lists the first ``limit`` errors, each line of a column or a reason cut at
    :data:`SHOWN_LINE_CHARS` characters (``errors`` keeps them whole)."""

    def __init__(self, errors: list[tuple[str, int | None, str | None, str]], limit: int = 20,
                 total: int | None = None):
        """``total``: how many errors there are when ``errors`` holds only the first ones."""
        self.errors = errors
        self.total = max(total or 0, len(errors))
        lines = [f"{f}{':' + str(line) if line else ''}: {_shown_reason(str(col)) + ': ' if col else ''}"
                 f"{_shown_reason(str(reason))}" for f, line, col, reason in errors[:limit]]
        shown = min(limit, len(errors))
        more = f"\n… and {self.total - shown:,} more" if self.total > shown else ""
        super().__init__(
            f"import rejected, nothing was written ({self.total:,} error(s)):\n" + "\n".join(lines) + more
        )
