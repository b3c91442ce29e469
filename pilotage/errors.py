"""The errors Pilotage raises on purpose: each carries a message meant for the user."""

from __future__ import annotations


class PilotageError(Exception):
    """Base of every error whose message is for the user (the CLI prints it and exits 2)."""


class UnknownKpi(PilotageError):
    pass


class InvalidCut(PilotageError):
    """A grain, a date or a dimension that the KPI cannot be cut by."""


class DatabaseError(PilotageError):
    pass


class DatabaseLocked(DatabaseError):
    pass


class ImportRejected(PilotageError):
    """An import that landed nothing; ``errors`` lists ``(file, line, column, reason)``."""

    def __init__(self, errors: list[tuple[str, int | None, str | None, str]], limit: int = 20,
                 total: int | None = None):
        """``total``: how many errors there are when ``errors`` holds only the first ones."""
        self.errors = errors
        self.total = max(total or 0, len(errors))
        lines = [f"{f}{':' + str(line) if line else ''}: {col + ': ' if col else ''}{reason}"
                 for f, line, col, reason in errors[:limit]]
        shown = min(limit, len(errors))
        more = f"\n… and {self.total - shown:,} more" if self.total > shown else ""
        super().__init__(
            f"import rejected, nothing was written ({self.total:,} error(s)):\n" + "\n".join(lines) + more
        )
