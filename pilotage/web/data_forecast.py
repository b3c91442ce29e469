"""What the forecast API and pages both call: forecasts, open deals and customer value, cut to the
user's scope and cached until the data change.

The records are read on a reader (a snapshot, in parallel with other requests and never
holding the writer's lock), the models fitted outside it: a fit takes seconds and holds up
nobody else. Every cache key holds the data version and the user's scope
(:func:`pilotage.auth.scope.scope_key`), as :mod:`pilotage.web.data` does: an answer computed
for one scope is never served to another. The win-probability model is the company's
(learned from every closed deal, see :mod:`pilotage.forecast.scope`): it is fitted once and
each scope gets its own deals out of it.

Customer value and retention cannot be cut (customers carry no rep or team): for a user whose
scope is not everything they raise :class:`pilotage.errors.NotInScope` before anything is read.
"""

from __future__ import annotations

from pilotage.auth.scope import scope_key
from pilotage.web.state import State


def _snapshot(state: State, user, check=None):
    """(data version, scope key, reps in scope) on a reader; the cache dropped when the data moved."""
    from pilotage.forecast.scope import reps_in_scope

    with state.reader() as (ws, version):
        state.cache.advance(version)
        if check is not None:
            check(ws)
        return version, scope_key(user, ws), reps_in_scope(ws, user)


def _read(state: State, fn):
    with state.reader() as (ws, _):
        return fn(ws)


def revenue_forecast(state: State, months: int = 6, until=None, user=None) -> dict:
    """The `pilotage forecast revenue --format json` shape, on the revenue of the user's scope."""
    from pilotage.forecast import revenue

    version, scope, _ = _snapshot(state, user)

    def compute():
        hist = _read(state, lambda ws: revenue.monthly_revenue(ws, until, user))
        return revenue.forecast_series(hist, int(months))

    return state.cache.get_or_compute("forecast.revenue", compute, version=version, scope=scope,
                                      months=int(months), until=until)


def _company_deals(state: State, version: int, lang: str) -> dict:
    from pilotage.forecast import deals

    def compute():
        frames = _read(state, deals._frames)
        return deals.open_deals(None, lang=lang, frames=frames)

    return state.cache.get_or_compute("forecast.deals.company", compute, version=version, lang=lang)


def open_deals(state: State, lang: str = "en", user=None) -> dict:
    """{"as_of", "backtest", "deals"}: the open deals of the user's scope (the model is the company's)."""
    from pilotage.forecast import deals

    version, scope, reps = _snapshot(state, user)
    return state.cache.get_or_compute(
        "forecast.deals", lambda: deals.in_scope(_company_deals(state, version, lang), reps),
        version=version, scope=scope, lang=lang)


def categories(state: State, start=None, end=None, by=None, user=None) -> list[dict]:
    """Closed, commit, best case and pipeline by expected close month, of the user's deals."""
    from pilotage.forecast import deals

    version, scope, _ = _snapshot(state, user)
    return state.cache.get_or_compute(
        "forecast.categories", lambda: _read(state, lambda ws: deals.categories(ws, start, end, by, user)),
        version=version, scope=scope, start=start, end=end, by=by)


def _everything(user, what: str):
    from pilotage.forecast.scope import require_everything

    return lambda ws: require_everything(user, ws, what)


def _orders(state: State):
    from pilotage.forecast import clv

    return _read(state, clv.orders)


def clv_fit(state: State, until=None, user=None) -> dict:
    from pilotage.forecast import clv

    version, scope, _ = _snapshot(state, user, _everything(user, "customer value"))
    return state.cache.get_or_compute("clv.fit", lambda: clv.fit(None, until, tx=_orders(state)),
                                      version=version, scope=scope, until=until)


def clv_customers(state: State, until=None, horizon: int = 12, discount: float = 0.01, user=None) -> list[dict]:
    from pilotage.forecast import clv

    version, scope, _ = _snapshot(state, user, _everything(user, "customer value"))
    return state.cache.get_or_compute(
        "clv.customers", lambda: clv.customers(None, until, horizon, discount, tx=_orders(state)),
        version=version, scope=scope, until=until, horizon=int(horizon), discount=float(discount))


def clv_retention(state: State, months: int = 12, user=None) -> dict:
    from pilotage.forecast import retention

    version, scope, _ = _snapshot(state, user, _everything(user, "customer retention"))
    return state.cache.get_or_compute("clv.retention", lambda: _read(state, lambda ws: retention.cohorts(ws, months)),
                                      version=version, scope=scope, months=int(months))


def account_names(state: State, ids) -> dict[str, str]:
    """account_id -> name, for the customers a page lists (an admin's: customer value is not scoped)."""
    ids = sorted({str(i) for i in ids})
    if not ids:
        return {}

    def read(ws):
        a = ws.db.table("accounts")
        t = a.filter(a.account_id.isin(ids)).select("account_id", "name").execute()
        return {str(i): str(n) for i, n in zip(t["account_id"], t["name"], strict=True) if n is not None}

    return _read(state, read)
