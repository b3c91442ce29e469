"""REST API, /api/v1: forecasts and predictive customer value (the `pilotage clv`, `pilotage
forecast` and `pilotage deals` JSON shapes).

The data are read under the workspace lock, the models fitted outside it (a fit takes
seconds): other requests are not held up. Results are cached until the data change.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pilotage.web.state import State, StateDep

router = APIRouter(prefix="/api/v1", tags=["forecast"])


def _sync(state: State) -> None:
    from pilotage.web.data import _sync as sync

    sync(state)


def _orders(state: State):
    from pilotage.forecast import clv

    with state.lock:
        return clv.orders(state.ws)


@router.get("/clv/fit", summary="BG/NBD and Gamma-Gamma parameters (the `pilotage clv fit --format json` shape)")
def clv_fit(state: StateDep, until: Annotated[str | None, Query(description="YYYY-MM-DD, included")] = None) -> dict:
    from pilotage.forecast import clv

    _sync(state)
    return state.cache.get_or_compute("clv_fit", lambda: clv.fit(None, until, tx=_orders(state)), until=until)


@router.get("/clv/customers", summary="Per customer: P(alive), expected purchases, spend, discounted CLV")
def clv_customers(state: StateDep, until: Annotated[str | None, Query(description="YYYY-MM-DD, included")] = None,
                  horizon: Annotated[int, Query(ge=1, le=600, description="months ahead")] = 12,
                  discount: Annotated[float, Query(ge=0, lt=1, description="monthly discount rate")] = 0.01,
                  by_segment: bool = False) -> list[dict]:
    from pilotage.forecast import clv

    _sync(state)
    rows = state.cache.get_or_compute(
        "clv_customers", lambda: clv.customers(None, until, horizon, discount, tx=_orders(state)),
        until=until, horizon=horizon, discount=discount)
    return clv.by_segment(rows) if by_segment else rows
