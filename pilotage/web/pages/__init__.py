"""The dashboard pages: one module per page, assembled here into one router.

Shared view code (the query string, fetching, tables, tiles, rendering) is in
:mod:`pilotage.web.pages.common`, chart helpers in :mod:`pilotage.web.charts`.
A new page is a module with its own ``router``, added to ``PAGES`` below.
"""

from __future__ import annotations

from fastapi import APIRouter

from pilotage.web.pages import (
    activity,
    admin,
    catalogue,
    challenges,
    customers,
    forecast,
    goals,
    kpi,
    leads,
    login,
    me,
    overview,
    pipeline,
    pricing,
    rep,
    team,
)
from pilotage.web.pages.common import error_page

PAGES = (overview, leads, pipeline, team, customers, pricing, kpi, catalogue, login, admin, goals, me, challenges,
         forecast, rep, activity)

router = APIRouter(include_in_schema=False)

for _module in PAGES:
    router.include_router(_module.router)

__all__ = ["PAGES", "error_page", "router"]
