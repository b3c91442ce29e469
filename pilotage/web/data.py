"""What both the API and the pages call: the service functions, cached per parameters.

One call, two renderings (JSON for the API, HTML for the pages), so they cannot
disagree. Every query goes through :func:`pilotage.service.scoped_filters`.
"""

from __future__ import annotations

import pandas as pd

from pilotage import service
from pilotage.web.state import State


def _cached(state: State, name: str, compute, **params):
    """``compute(ws)`` on a reader, from the cache when the same question was asked of the same data.

    The key holds the data version the reader's snapshot sees: an answer computed during an
    import (old data) is never served after its commit, even when it is stored after the
    cache was dropped; the cache is dropped whole when a newer version shows up (another
    process may have imported, on PostgreSQL)."""
    with state.reader() as (ws, version):
        if version > getattr(state, "version", -1):
            state.cache.clear()
            state.version = version
        return state.cache.get_or_compute(name, lambda: compute(ws), version=version, **params)


def current_version(state: State) -> int:
    """The data version (a reader's snapshot), the results cache dropped when it moved."""
    with state.reader() as (_, version):
        if version > getattr(state, "version", -1):
            state.cache.clear()
            state.version = version
        return version


def _norm_filters(filters: dict | None) -> dict[str, list[str]]:
    """Filters as {dimension: [values]}, empty ones dropped: one cache key per question."""
    return {k: ([v] if isinstance(v, str) else list(v)) for k, v in (filters or {}).items() if v}


def _norm(v):
    if v is None:
        return None
    if isinstance(v, (list, tuple)):
        return list(v)
    return v


def kpi(state: State, ids, *, grain=None, by=None, start=None, end=None, filters=None) -> pd.DataFrame:
    """KPI frame (see pilotage.engine.query.run), from the cache when the same question was asked."""
    ids = [ids] if isinstance(ids, str) else list(ids)
    by = [b for part in ([by] if isinstance(by, str) else (by or [])) for b in part.split(",") if b]
    filters = _norm_filters(filters)

    def compute(ws):
        return service.kpi_query(ws, ids, grain=grain, by=by, start=start, end=end, filters=filters)

    return _cached(state, "kpi", compute, ids=ids, grain=grain, by=by, start=_norm(start),
                                      end=_norm(end), filters=filters)


def kpi_records(state: State, ids, **cut) -> list[dict]:
    """The `pilotage kpi --format json` shape."""
    return service.records(kpi(state, ids, **cut))


def focus_cards(state: State, *, ids=None, start=None, end=None, filters=None, compare="previous",
                to_date=None, today=None) -> list[dict]:
    filters = _norm_filters(filters)

    def compute(ws):
        return service.focus_cards(ws, ids=ids, start=start, end=end, filters=filters, compare=compare,
                                   to_date=to_date, today=today)

    return _cached(state, "cards", compute, ids=ids, start=start, end=end, filters=filters,
                   compare=compare, to_date=to_date, today=today)


def reference(state: State, today):
    """Where "now" is for the period presets (today, or the data's last day): :mod:`pilotage.periods`."""
    from pilotage import periods as HP

    return _cached(state, "reference", lambda ws: HP.reference(ws, today), today=today)


def explain(state: State, kpi_id: str, *, start=None, end=None, filters=None, limit=100, offset=0) -> dict:
    filters = _norm_filters(filters)

    def compute(ws):
        return service.explain(ws, kpi_id, start=start, end=end, filters=filters, limit=limit, offset=offset)

    return _cached(state, "explain", compute, kpi_id=kpi_id, start=start, end=end,
                                      filters=filters, limit=limit, offset=offset)


def catalogue(lang: str) -> list[dict]:
    return service.catalogue(lang)


def settings(state: State):
    with state.reader() as (ws, _):
        return ws.settings


def row_counts(state: State) -> dict[str, int]:
    with state.reader() as (ws, _):
        return ws.row_counts()


def dimension_values(state: State, dim: str) -> list[tuple[str, str]]:
    """(id, label) choices for a filter: reps and teams by name, other dimensions by value."""
    return _cached(state, "dim", lambda ws: service.dimension_values(ws, dim), dim=dim)


def stages(state: State) -> list[dict]:
    """Each pipeline's stages in their order (for funnels)."""
    return _cached(state, "stages", service.stages)


def after_write(state: State) -> None:
    """Drop every cached answer: the next page shows the new data."""
    state.cache.clear()
