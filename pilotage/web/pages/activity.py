"""Activity: each rep's calls, e-mails and meetings per week against their results (deals won, revenue).

The counts are the catalogue's activity KPIs (``calls``, ``emails``, ``meetings``,
``activities``: activities by ``type`` in the data contract) and results KPIs
(``deals_won``, ``revenue``, ``activities_per_won_deal``), by rep and by week,
scoped to the user like every page (a rep sees their own row, a manager their teams').
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilotage.budgets import count_periods
from pilotage.catalogue.kpis import BY_ID
from pilotage.engine import periods as P
from pilotage.web.charts import time_chart
from pilotage.web.pages.common import (
    Notes,
    fetch,
    kpi_table,
    page,
    parse_view,
    render,
    show_all,
    tiles_from,
    val,
)
from pilotage.web.pages.rep import rep_url
from pilotage.web.state import StateDep

router = APIRouter(include_in_schema=False)

KINDS = ["calls", "emails", "meetings"]
RESULTS = ["deals_won", "revenue", "activities_per_won_deal"]
TABLE_IDS = KINDS + ["activities"] + RESULTS
MAX_WEEKS = 106  # beyond two years a weekly chart is unreadable: the view's grain is used instead
TABLE_ROWS = 30


def complete_range(view, grain: str) -> tuple:
    """The complete periods of ``grain`` inside the view's range (a week cut by the range's start or end
    would show as a drop), or the range itself when it holds no complete period."""
    start = P.floor(view.start, grain, view.fiscal_start, view.week_start)
    if start < view.start:
        start = P.step(start, grain, 1)
    end = P.floor(view.end, grain, view.fiscal_start, view.week_start)
    return (start, end) if start < end else (view.start, view.end)


@router.get("/activite", response_class=HTMLResponse)
@page
def activity_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    notes = Notes()
    reps = fetch(state, view, TABLE_IDS, by=["rep"], common=True, notes=notes)
    total = fetch(state, view, TABLE_IDS, common=True)
    weeks = (view.end - view.start).days / 7
    if reps is not None and len(reps):
        reps = reps[reps["rep"].notna()]
        reps = reps[~(reps[TABLE_IDS].isna() | (reps[TABLE_IDS] == 0)).all(axis=1)]

    def per_week(r) -> str:  # activities / weeks of the period: the formula is under the table
        v = r.get("activities")
        return view.fmt(None if v is None or v != v else v / weeks, "ratio")

    table = kpi_table(state, view, reps, TABLE_IDS, dim="rep", caption=view.t("activity.table"), sort="activities",
                      total=total, limit=None if show_all(request) else TABLE_ROWS,
                      row_link=lambda rep: rep_url(view, rep),
                      extra_cols=[{"label": view.t("activity.per_week"), "value": per_week, "num": True}])
    # the per-week column goes after the activity counts, before the results
    at = 1 + len(KINDS) + 1
    table["head"].insert(at, table["head"].pop(1))
    for row in table["rows"]:
        row["cells"].insert(at - 1, row["cells"].pop(0))
    if table["foot"]:
        table["foot"]["cells"].pop(0)
        act = val(total, "activities")
        table["foot"]["cells"].insert(at - 1, {"text": view.fmt(None if act is None else act / weeks, "ratio"),
                                               "num": True})
    grain = "week" if count_periods(view.start, view.end, "week") <= MAX_WEEKS else view.grain
    c_start, c_end = complete_range(view, grain)
    series = fetch(state, view, KINDS + ["revenue", "deals_won"], grain=grain, start=c_start, end=c_end)
    weekly = time_chart(view, series, [(i, BY_ID[i].label[view.lang], "bar") for i in KINDS], "count",
                        label=view.t("activity.weekly" if grain == "week" else "activity.weekly_at"),
                        stacked=True, grain=grain)
    results = time_chart(view, series, [("revenue", BY_ID["revenue"].label[view.lang], "bar")], "money",
                         label=view.t("activity.results" if grain == "week" else "activity.results_at"),
                         grain=grain, height=240)
    won = time_chart(view, series, [("deals_won", BY_ID["deals_won"].label[view.lang], "line")], "count",
                     label=BY_ID["deals_won"].label[view.lang], grain=grain, height=200)
    return render(request, "activity.html", view, state, page="activity", title=view.t("activity.title"),
                  notes=notes, act_tiles=tiles_from(view, total, TABLE_IDS), act_table=table, weekly=weekly,
                  results=results, won=won,
                  per_week_formula=view.t("activity.per_week_formula", n=view.fmt(weeks, "ratio")))
