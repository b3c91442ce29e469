"""REST API, /api/v1: forecasts and predictive customer value (the `pilotage clv`, `pilotage
forecast` and `pilotage deals` JSON shapes), cut to the user's scope.

Every answer comes from :mod:`pilotage.web.data_forecast`, which the *Prévisions*, *Affaires*
and *Valeur client* pages call too: the records are read on a reader, the models fitted
outside it (a fit takes seconds: other requests are not held up), the results cached per
data version and scope. On a team server a rep gets their own deals and revenue, a manager
their teams', an admin everything; customer value and retention, which cannot be cut
(customers carry no rep or team), answer 422 with the reason to anyone but an admin.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from pilotage.web import data_forecast as F
from pilotage.web.api_errors import ERRORS
from pilotage.web.state import StateDep

router = APIRouter(prefix="/api/v1", tags=["forecast"], responses=ERRORS)


def _user(request: Request):
    from pilotage.auth.web import user_of

    return user_of(request)


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None  # the models take ISO strings; FastAPI has checked the date (else 422)


@router.get("/clv/fit", summary="BG/NBD and Gamma-Gamma parameters (the `pilotage clv fit --format json` shape)")
def clv_fit(state: StateDep, request: Request,
            until: Annotated[dt.date | None, Query(description="YYYY-MM-DD, included")] = None) -> dict:
    return F.clv_fit(state, _iso(until), user=_user(request))


@router.get("/clv/customers", summary="Per customer: P(alive), expected purchases, spend, discounted CLV")
def clv_customers(state: StateDep, request: Request,
                  until: Annotated[dt.date | None, Query(description="YYYY-MM-DD, included")] = None,
                  horizon: Annotated[int, Query(ge=1, le=600, description="months ahead")] = 12,
                  discount: Annotated[float, Query(ge=0, lt=1, description="monthly discount rate")] = 0.01,
                  by_segment: bool = False) -> list[dict]:
    from pilotage.forecast import clv

    rows = F.clv_customers(state, _iso(until), horizon, discount, user=_user(request))
    return clv.by_segment(rows) if by_segment else rows


@router.get("/forecast/revenue", summary="Monthly revenue forecast with intervals and backtest "
                                         "(the `pilotage forecast revenue --format json` shape)")
def forecast_revenue(state: StateDep, request: Request, months: Annotated[int, Query(ge=1, le=36)] = 6,
                     until: Annotated[dt.date | None, Query(description="history ends before this date")] = None,
                     ) -> dict:
    return F.revenue_forecast(state, months, _iso(until), user=_user(request))


@router.get("/forecast/pipeline", summary="Closed, commit, best case and pipeline amounts by expected close month")
def forecast_pipeline(state: StateDep, request: Request, from_: Annotated[dt.date | None, Query(alias="from")] = None,
                      to: dt.date | None = None, by: Literal["rep", "team"] | None = None) -> list[dict]:
    return F.categories(state, _iso(from_), _iso(to), by, user=_user(request))


@router.get("/deals", summary="Open deals with win probability, factors, slipping and stuck flags "
                              "(the `pilotage deals --open --format json` shape)")
def open_deals(state: StateDep, request: Request, open: bool = True,
               lang: Literal["fr", "en"] = "en") -> list[dict]:
    from pilotage.errors import PilotageError

    if not open:
        raise PilotageError("only open=true is available")
    return F.open_deals(state, lang, user=_user(request))["deals"]


@router.get("/deals/backtest", summary="The win-probability backtest: Brier score vs stage averages, calibration")
def deals_backtest(state: StateDep, request: Request) -> dict:
    return F.open_deals(state, "en", user=_user(request))["backtest"]


@router.get("/clv/retention", summary="Cohort retention by start month and the sBG projection")
def clv_retention(state: StateDep, request: Request, months: Annotated[int, Query(ge=1, le=60)] = 12) -> dict:
    return F.clv_retention(state, months, user=_user(request))
