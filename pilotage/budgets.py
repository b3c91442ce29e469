"""Budgets: every question is bounded before any work starts.

A single request used to cost without limit: the same KPI id repeated 4,000 times (a 32 KB
URL) took minutes, all eleven dimensions at grain day returned 180 MB. Here each part of a
question is counted first, and a question over a budget is refused with a message that
says the limit and how to narrow it (:class:`~pilotage.errors.TooBig`, HTTP 413), before
the database is asked anything heavy:

- KPI ids: repeats dropped, at most :data:`MAX_IDS_GIVEN` given;
- dimensions (``by``): at most :data:`MAX_BY`;
- filter values: at most :data:`MAX_FILTER_VALUES` per dimension, each at most
  :data:`MAX_VALUE_CHARS` characters, no NUL or control character (a 400: they are never
  meant, and a NUL ends a C string early in the engines);
- result cells = periods × values of each dimension × KPIs, estimated before the query
  (:func:`estimate_cells`), at most :data:`MAX_CELLS`;
- periods: counted by arithmetic (:func:`count_periods`), never by listing them;
- records pages: at most :data:`MAX_PAGE` rows, an offset of at most :data:`MAX_OFFSET`.

The time limit of a read is in :mod:`pilotage.store.pool`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

from pilotage.errors import PilotageError, TooBig

MAX_IDS_GIVEN = 200
MAX_BY = 4
MAX_FILTER_VALUES = 1_000
MAX_VALUE_CHARS = 500
MAX_CELLS = 1_000_000
MAX_PAGE = 1_000
MAX_OFFSET = 1_000_000_000


class BadValue(PilotageError):
    """A value no user means (a NUL or control character): HTTP 400."""


def check_text(value: str, what: str) -> str:
    """``value`` if it holds no control character (tab aside), else :class:`BadValue`."""
    for i, ch in enumerate(value):
        if ch != "\t" and unicodedata.category(ch) == "Cc":
            raise BadValue(f"{what}: the value holds a control character (U+{ord(ch):04X}) at position {i + 1}: "
                           "remove it")
    return value


def ids(given) -> tuple[str, ...]:
    """KPI ids in their order, repeats dropped, at most :data:`MAX_IDS_GIVEN` given."""
    given = [given] if isinstance(given, str) else list(given)
    if len(given) > MAX_IDS_GIVEN:
        raise TooBig(f"{len(given):,} KPI ids given: at most {MAX_IDS_GIVEN} in one question; "
                     "ask for fewer KPIs (each once)")
    return tuple(dict.fromkeys(check_text(str(i), "KPI id") for i in given))


def by(dims: tuple[str, ...]) -> tuple[str, ...]:
    if len(dims) > MAX_BY:
        raise TooBig(f"{len(dims)} dimensions asked ({', '.join(dims)}): at most {MAX_BY} in one question; "
                     "cut by fewer dimensions, or filter on the others")
    return dims


def filter_values(dim: str, values: tuple[str, ...]) -> tuple[str, ...]:
    check_text(dim, "filter")
    if len(values) > MAX_FILTER_VALUES:
        raise TooBig(f"filter {dim}: {len(values):,} values, at most {MAX_FILTER_VALUES:,}; filter on fewer values")
    for v in values:
        if len(v) > MAX_VALUE_CHARS:
            raise TooBig(f"filter {dim}: a value of {len(v):,} characters, at most {MAX_VALUE_CHARS}")
        check_text(v, f"filter {dim}")
    return values


def _months(d: dt.date) -> int:
    return d.year * 12 + d.month - 1


def count_periods(start: dt.date, end: dt.date, grain: str | None, fiscal_start: int = 1) -> int:
    """How many periods of ``grain`` [start, end) touches, by arithmetic (an upper bound off by at most one)."""
    if grain is None:
        return 1
    days = (end - start).days
    if grain == "day":
        return days
    if grain == "week":
        return days // 7 + 2
    months = _months(end) - _months(start) + 1
    if grain == "month":
        return months
    if grain == "quarter":
        return months // 3 + 2
    return months // 12 + 2


def offset(offset: int) -> None:
    """A records offset the engines can take (beyond 64 bits DuckDB fails; a page 10**30 has no records)."""
    if not 0 <= offset <= MAX_OFFSET:
        raise TooBig(f"offset {offset:,}: between 0 and {MAX_OFFSET:,}; that page has no records")


def estimate_cells(ws, cut) -> int:
    """Periods × values of each dimension (the filter's values when it is filtered) × KPIs.

    The values of a dimension are counted in its own table (a small distinct count): an
    upper bound of the rows the answer can hold."""
    from pilotage.service import DIMENSION_SOURCES

    filtered = dict(cut.filters)
    n = count_periods(cut.start, cut.end, cut.grain, ws.settings.fiscal_year_start) * len(cut.ids)
    for d in cut.by:
        if d in filtered:
            n *= max(1, len(filtered[d]))
            continue
        table, key, _ = DIMENSION_SOURCES[d]
        n *= max(1, int(ws.db.fetchall(f"SELECT COUNT(DISTINCT {key}) FROM {ws.db.q(table)}")[0][0]) + 1)
    return n


def check_cells(ws, cut) -> None:
    n = estimate_cells(ws, cut)
    if n > MAX_CELLS:
        raise TooBig(
            f"this question would give about {n:,} figures (periods × values of {', '.join(cut.by) or 'no dimension'}"
            f" × {len(cut.ids)} KPI(s)): at most {MAX_CELLS:,}; choose a coarser grain, a shorter range, "
            "fewer dimensions or filter on some of their values")
