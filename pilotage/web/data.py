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


def _scope(state: State, user) -> str:
    if user is None:
        return "all"
    with state.lock:
        return scope_key(user, state.ws)


def _sync(state: State) -> None:
    """Another process may have imported (PostgreSQL): drop the cache when the data version moved."""
    with state.lock:
        version = state.ws.data_version()
    if getattr(state, "version", None) != version:
        state.cache.clear()
        state.version = version


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
    _sync(state)
    ids = [ids] if isinstance(ids, str) else list(ids)
    by = [b for part in ([by] if isinstance(by, str) else (by or [])) for b in part.split(",") if b]
    filters = _norm_filters(filters)
    user = _user()

    def compute():
        with state.lock:
            return service.kpi_query(state.ws, ids, grain=grain, by=by, start=start, end=end, filters=filters,
                                     user=user)

    return state.cache.get_or_compute("kpi", compute, ids=ids, grain=grain, by=by, start=_norm(start),
                                      end=_norm(end), filters=filters, scope=_scope(state, user))


def kpi_records(state: State, ids, **cut) -> list[dict]:
    """The `pilotage kpi --format json` shape."""
    return service.records(kpi(state, ids, **cut))


def focus_cards(state: State, *, ids=None, start=None, end=None, filters=None, compare="previous",
                to_date=None, today=None) -> list[dict]:
    _sync(state)
    filters = _norm_filters(filters)
    user = _user()

    def compute():
        with state.lock:
            return service.focus_cards(state.ws, ids=ids, start=start, end=end, filters=filters, compare=compare,
                                       to_date=to_date, today=today, user=user)

    return state.cache.get_or_compute("cards", compute, ids=ids, start=start, end=end, filters=filters,
                                      compare=compare, to_date=to_date, today=today, scope=_scope(state, user))


def reference(state: State, today):
    """Where "now" is for the period presets (today, or the data's last day): :mod:`pilotage.periods`."""
    from pilotage import periods as HP

    _sync(state)

    def compute():
        with state.lock:
            return HP.reference(state.ws, today)

    return state.cache.get_or_compute("reference", compute, today=today)


def explain(state: State, kpi_id: str, *, start=None, end=None, filters=None, limit=100, offset=0) -> dict:
    _sync(state)
    filters = _norm_filters(filters)
    user = _user()

    def compute():
        with state.lock:
            return service.explain(state.ws, kpi_id, start=start, end=end, filters=filters, limit=limit,
                                   offset=offset, user=user)

    return state.cache.get_or_compute("explain", compute, kpi_id=kpi_id, start=start, end=end,
                                      filters=filters, limit=limit, offset=offset, scope=_scope(state, user))


def catalogue(lang: str) -> list[dict]:
    return service.catalogue(lang)


def settings(state: State):
    return state.ws.settings


def dimension_values(state: State, dim: str) -> list[tuple[str, str]]:
    """(id, label) choices for a filter: reps and teams by name, other dimensions by value."""
    user = _user()

    def compute():
        with state.lock:
            return service.dimension_values(state.ws, dim, user=user)

    return state.cache.get_or_compute("dim", compute, dim=dim, scope=_scope(state, user))


def stages(state: State) -> list[dict]:
    """Each pipeline's stages in their order (for funnels)."""
    def compute():
        with state.lock:
            return service.stages(state.ws)

    return state.cache.get_or_compute("stages", compute)


def after_write(state: State) -> None:
    """Drop every cached answer: the next page shows the new data."""
    state.cache.clear()
