"""The fiscal calendar: period boundaries in Python, the same buckets as SQL through Ibis.

Weeks start on the workspace's week start; quarters and years follow the
fiscal year start month (a date is shifted back by ``fiscal_year_start − 1``
months, truncated, and shifted forward again).
"""

from __future__ import annotations

import datetime as dt

import ibis

GRAINS = ("day", "week", "month", "quarter", "year")
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def add_months(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1) if d.day == 1 else _clip(d.year + y, m + 1, d.day)


def _clip(y: int, m: int, day: int) -> dt.date:
    import calendar

    return dt.date(y, m, min(day, calendar.monthrange(y, m)[1]))


def floor(d: dt.date, grain: str, fiscal_start: int = 1, week_start: str = "monday") -> dt.date:
    if grain == "day":
        return d
    if grain == "week":
        wd = d.weekday() if week_start == "monday" else (d.weekday() + 1) % 7
        return d - dt.timedelta(days=wd)
    size = _MONTHS[grain]
    months = d.year * 12 + d.month - 1 - (fiscal_start - 1)
    months -= months % size
    months += fiscal_start - 1
    return dt.date(months // 12, months % 12 + 1, 1)


def step(d: dt.date, grain: str, n: int = 1) -> dt.date:
    if grain == "day":
        return d + dt.timedelta(days=n)
    if grain == "week":
        return d + dt.timedelta(weeks=n)
    return add_months(d, _MONTHS[grain] * n)


def periods(start: dt.date, end: dt.date, grain: str | None, fiscal_start: int = 1,
            week_start: str = "monday") -> list[tuple[dt.date, dt.date, dt.date]]:
    """(label, start within range, end within range) for every period of [start, end)."""
    if grain is None:
        return [(start, start, end)]
    out = []
    p = floor(start, grain, fiscal_start, week_start)
    while p < end:
        nxt = step(p, grain)
        out.append((p, max(p, start), min(nxt, end)))
        p = nxt
    return out


def bucket(ts, grain: str, fiscal_start: int = 1, week_start: str = "monday"):
    """The Ibis expression giving the label (first day, as a timestamp) of the period holding ``ts``."""
    ts = ts.cast("timestamp")
    if grain == "day":
        return ts.truncate("D")
    if grain == "week":
        if week_start == "monday":
            return ts.truncate("W")
        return (ts + ibis.interval(days=1)).truncate("W") - ibis.interval(days=1)
    unit = {"month": "M", "quarter": "Q", "year": "Y"}[grain]
    shift = fiscal_start - 1
    if shift == 0 or grain == "month":
        return ts.truncate(unit)
    return (ts - ibis.interval(months=shift)).truncate(unit) + ibis.interval(months=shift)


def years(start: dt.date, end: dt.date) -> float:
    """Length of [start, end) in years: months / 12 when month-aligned, else days / 365."""
    if start.day == 1 and end.day == 1:
        return ((end.year - start.year) * 12 + end.month - start.month) / 12
    return (end - start).days / 365


def shift_range(start: dt.date, end: dt.date, lag: str) -> tuple[dt.date, dt.date]:
    """The range to compare with: the previous one of the same length, or one year earlier."""
    if lag == "year":
        return add_months(start, -12), add_months(end, -12)
    if start.day == 1 and end.day == 1:
        n = (end.year - start.year) * 12 + end.month - start.month
        return add_months(start, -n), start
    return start - (end - start), start


def lag_label(label: dt.date, grain: str, lag: str) -> dt.date:
    """The label of the period a growth compares ``label`` with."""
    if lag == "period":
        return step(label, grain, -1)
    if grain == "day":
        return add_months(label, -12) if label.day <= 28 else label - dt.timedelta(days=365)
    if grain == "week":
        return label - dt.timedelta(weeks=52)
    return add_months(label, -12)
