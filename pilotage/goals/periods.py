"""Goal periods: a fiscal week, month, quarter or year, named as on the CLI.

``2025`` and ``2025-Q1`` are fiscal (with a fiscal year starting in April, ``2025`` is
2025-04-01..2026-04-01 and ``2025-Q1`` April to June 2025); ``2025-03`` is the calendar
month; ``2025-W10`` is ISO week 10 of 2025 (starting on the Monday, or the Sunday before
it when the workspace's weeks start on Sunday). Ends are exclusive, as in the quotas table.
"""

from __future__ import annotations

import datetime as dt

from pilotage.engine import periods as P
from pilotage.errors import InvalidCut

FORMS = "2025, 2025-Q1, 2025-03 or 2025-W10"


def parse(text: str, fiscal_year_start: int = 1, week_start: str = "monday") -> tuple[str, dt.date, dt.date]:
    """``text`` -> (label, start, end) of one goal period; anything else is refused with the accepted forms."""
    from pilotage.service import parse_period

    t = (text or "").strip().upper()
    try:
        if len(t) in (7, 8) and t[4:6] == "-W":
            start = dt.date.fromisocalendar(int(t[:4]), int(t[6:]), 1)
            if week_start == "sunday":
                start -= dt.timedelta(days=1)
            return f"{t[:4]}-W{int(t[6:]):02d}", start, start + dt.timedelta(days=7)
        if (len(t) == 4 and t.isdigit()) or (len(t) == 7 and (t[4:6] == "-Q" or t[5:7].isdigit())):
            start, end = parse_period(t, fiscal_year_start)
            return t, start, end
    except (ValueError, InvalidCut):
        pass
    raise InvalidCut(f"period {text!r}: expected a fiscal year, quarter, month or ISO week ({FORMS})")


def label(start: dt.date, end: dt.date, fiscal_year_start: int = 1) -> str:
    """The name of [start, end) when it is one whole period (imported quotas), else ``start..end``."""
    if start.day == 1 and end.day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month
        fy = P.floor(start, "year", fiscal_year_start)
        if months == 1:
            return f"{start.year}-{start.month:02d}"
        if months == 3 and P.floor(start, "quarter", fiscal_year_start) == start:
            q = ((start.year - fy.year) * 12 + start.month - fy.month) // 3 + 1
            return f"{fy.year}-Q{q}"
        if months == 12 and fy == start:
            return str(start.year)
    if (end - start).days == 7:
        y, w, _ = (start + dt.timedelta(days=1)).isocalendar()
        return f"{y}-W{w:02d}"
    return f"{start.isoformat()}..{end.isoformat()}"
