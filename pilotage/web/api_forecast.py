"""REST API, /api/v1: forecasts and predictive customer value (the `pilotage clv`, `pilotage
forecast` and `pilotage deals` JSON shapes).

The data are read under the workspace lock, the models fitted outside it (a fit takes
seconds): other requests are not held up. Results are cached until the data change.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from pilotage.web.api_errors import ERRORS
from pilotage.web.state import State, StateDep


def _admin_until_scoped(request: Request) -> None:
    """Forecasts and customer value read every record and are not yet cut to a rep's or a
    manager's scope: on a team server they are an admin's (deny by default), never a leak."""
    from pilotage.auth.web import Forbidden, user_of

    user = user_of(request)
    if user is not None and user.role != "admin":
        raise Forbidden("forecasts and customer value are not scoped to a team yet: admin only")


router = APIRouter(prefix="/api/v1", tags=["forecast"], dependencies=[Depends(_admin_until_scoped)],
                   responses=ERRORS)


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None  # the models take ISO strings; FastAPI has checked the date (else 422)


def _sync(state: State) -> None:
    from pilotage.web.data import current_version

    current_version(state)  # the results cache dropped when the data moved


def _orders(state: State):
    from pilotage.forecast import clv

    with state.lock:
        return clv.orders(state.ws)


@router.get("/clv/fit", summary="BG/NBD and Gamma-Gamma parameters (the `pilotage clv fit --format json` shape)")
def clv_fit(state: StateDep,
            until: Annotated[dt.date | None, Query(description="YYYY-MM-DD, included")] = None) -> dict:
    from pilotage.forecast import clv

    _sync(state)
    return state.cache.get_or_compute("clv_fit", lambda: clv.fit(None, _iso(until), tx=_orders(state)),
                                      until=_iso(until))


@router.get("/clv/customers", summary="Per customer: P(alive), expected purchases, spend, discounted CLV")
def clv_customers(state: StateDep,
                  until: Annotated[dt.date | None, Query(description="YYYY-MM-DD, included")] = None,
                  horizon: Annotated[int, Query(ge=1, le=600, description="months ahead")] = 12,
                  discount: Annotated[float, Query(ge=0, lt=1, description="monthly discount rate")] = 0.01,
                  by_segment: bool = False) -> list[dict]:
    from pilotage.forecast import clv

    _sync(state)
    rows = state.cache.get_or_compute(
        "clv_customers", lambda: clv.customers(None, _iso(until), horizon, discount, tx=_orders(state)),
        until=_iso(until), horizon=horizon, discount=discount)
    return clv.by_segment(rows) if by_segment else rows


@router.get("/forecast/revenue", summary="Monthly revenue forecast with intervals and backtest "
                                         "(the `pilotage forecast revenue --format json` shape)")
def forecast_revenue(state: StateDep, months: Annotated[int, Query(ge=1, le=36)] = 6,
                     until: Annotated[dt.date | None, Query(description="history ends before this date")] = None,
                     ) -> dict:
    from pilotage.forecast import revenue

    _sync(state)

    def compute():
        with state.lock:
            hist = revenue.monthly_revenue(state.ws, _iso(until))
        return revenue.forecast_series(hist, months)

    return state.cache.get_or_compute("forecast_revenue", compute, months=months, until=_iso(until))


@router.get("/forecast/pipeline", summary="Closed, commit, best case and pipeline amounts by expected close month")
def forecast_pipeline(state: StateDep, from_: Annotated[dt.date | None, Query(alias="from")] = None,
                      to: dt.date | None = None, by: Literal["rep", "team"] | None = None) -> list[dict]:
    from pilotage.forecast import deals

    _sync(state)
    with state.lock:
        return deals.categories(state.ws, _iso(from_), _iso(to), by)


@router.get("/deals", summary="Open deals with win probability, factors, slipping and stuck flags "
                              "(the `pilotage deals --open --format json` shape)")
def open_deals(state: StateDep, open: bool = True, lang: Literal["fr", "en"] = "en") -> list[dict]:
    from pilotage.errors import PilotageError
    from pilotage.forecast import deals

    if not open:
        raise PilotageError("only open=true is available")
    _sync(state)

    def compute():
        with state.lock:
            frames = deals._frames(state.ws)
        return deals.open_deals(None, lang=lang, frames=frames)

    return state.cache.get_or_compute("open_deals", compute, lang=lang)["deals"]


@router.get("/deals/backtest", summary="The win-probability backtest: Brier score vs stage averages, calibration")
def deals_backtest(state: StateDep) -> dict:
    from pilotage.forecast import deals

    _sync(state)

    def compute():
        with state.lock:
            frames = deals._frames(state.ws)
        return deals.open_deals(None, frames=frames)

    return state.cache.get_or_compute("open_deals", compute, lang="en")["backtest"]


@router.get("/clv/retention", summary="Cohort retention by start month and the sBG projection")
def clv_retention(state: StateDep, months: Annotated[int, Query(ge=1, le=60)] = 12) -> dict:
    from pilotage.forecast import retention

    _sync(state)

    def compute():
        with state.lock:
            return retention.cohorts(state.ws, months)

    return state.cache.get_or_compute("clv_retention", compute, months=months)
