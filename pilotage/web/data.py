"""What both the API and the pages call: the service functions, cached per parameters.

One call, two renderings (JSON for the API, HTML for the pages), so they cannot
disagree. Every query goes through :func:`pilotage.service.scoped_filters`, with the
request's user (:data:`pilotage.auth.web.current_user`, set by the gate), and every
cache key holds that user's scope: an answer computed for one scope is never served
to another.
"""

from __future__ import annotations

import pandas as pd

from pilotage import service
from pilotage.auth.scope import scope_key
from pilotage.auth.web import current_user
from pilotage.web.state import State


def _user():
    return current_user.get()


def _cached(state: State, name: str, compute, *, user=None, **params):
    """``compute(ws)`` on a reader, from the cache when the same question was asked of the same data
    by someone of the same scope.

    The key holds the data version the reader's snapshot sees: an answer computed during an
    import (old data) is never served after its commit, even when it is stored after the
    cache was dropped; the cache is dropped whole when a newer version shows up (another
    process may have imported, on PostgreSQL). It also holds the user's scope: an answer
    computed for one scope is never served to another."""
    with state.reader() as (ws, version):
        state.cache.advance(version)
        scope = "all" if user is None else scope_key(user, ws)

        def refresh(wanted: int):  # after an import, on a reader of its own (in the background, or the import's)
            with state.reader() as (own, now):
                if now != wanted:
                    raise _Moved
                return compute(own)

        return state.cache.get_or_compute(name, lambda: compute(ws), refresh=refresh, version=version, scope=scope,
                                          **params)


class _Moved(Exception):
    """The data moved again before a background answer was computed: it is not kept."""


def current_version(state: State) -> int:
    """The data version (a reader's snapshot), the results cache dropped when it moved."""
    with state.reader() as (_, version):
        state.cache.advance(version)
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
    user = _user()

    def compute(ws):
        return service.kpi_query(ws, ids, grain=grain, by=by, start=start, end=end, filters=filters, user=user)

    return _cached(state, "kpi", compute, user=user, ids=ids, grain=grain, by=by, start=_norm(start),
                   end=_norm(end), filters=filters)


def kpi_records(state: State, ids, **cut) -> list[dict]:
    """The `pilotage kpi --format json` shape."""
    return service.records(kpi(state, ids, **cut))


def focus_cards(state: State, *, ids=None, start=None, end=None, filters=None, compare="previous",
                to_date=None, today=None) -> list[dict]:
    filters = _norm_filters(filters)
    user = _user()

    def compute(ws):
        return service.focus_cards(ws, ids=ids, start=start, end=end, filters=filters, compare=compare,
                                   to_date=to_date, today=today, user=user)

    return _cached(state, "cards", compute, user=user, ids=ids, start=start, end=end, filters=filters,
                   compare=compare, to_date=to_date, today=today)


def reference(state: State, today):
    """Where "now" is for the period presets (today, or the data's last day): :mod:`pilotage.periods`."""
    from pilotage import periods as HP

    return _cached(state, "reference", lambda ws: HP.reference(ws, today), today=today)


def explain(state: State, kpi_id: str, *, start=None, end=None, filters=None, limit=100, offset=0) -> dict:
    filters = _norm_filters(filters)
    user = _user()

    def compute(ws):
        return service.explain(ws, kpi_id, start=start, end=end, filters=filters, limit=limit, offset=offset,
                               user=user)

    return _cached(state, "explain", compute, user=user, kpi_id=kpi_id, start=start, end=end,
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
    user = _user()
    return _cached(state, "dim", lambda ws: service.dimension_values(ws, dim, user=user), user=user, dim=dim)


def account_names(state: State, ids) -> dict[str, str]:
    """account_id -> name, for accounts of records already read in the user's scope."""
    ids = sorted({str(i) for i in ids})
    return _cached(state, "accounts", lambda ws: service.account_names(ws, ids), ids=ids)


def rep_team(state: State, rep_id: str) -> str | None:
    return _cached(state, "rep_team", lambda ws: service.rep_team(ws, rep_id), rep_id=rep_id)


def stages(state: State) -> list[dict]:
    """Each pipeline's stages in their order (for funnels)."""
    return _cached(state, "stages", service.stages)


def after_import(state: State) -> None:
    """New data: the questions asked of the previous data are computed again on it before the import answers
    (so whoever imported then sees new figures only); meanwhile other requests get the previous answers at
    once, said so (see pilotage.web.cache). Rendered pages are dropped."""
    state.cache.refresh_previous(current_version(state))
    state.writes += 1


def after_write(state: State) -> None:
    """Drop every cached answer and rendered page: the next page shows the new data."""
    state.cache.clear()
    state.writes += 1  # in the page cache's key
