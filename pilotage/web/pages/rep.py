"""One rep's scorecard: their KPIs with their change, the trend, their goals and their deals.

Scope: a rep sees only their own scorecard, a manager the reps of their teams, an
admin (and single-user mode) every rep. A rep out of the user's scope gets a 403
page that says so and shows no figure (the same page whether the rep exists or
not, so it reveals nothing). Every figure is the KPI engine's over the rep's cut
(the ``rep`` filter, intersected with the user's scope by the service layer); the
deals are the records behind ``open_pipeline`` and ``close_rate``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import quote

import pandas as pd
import plotly.graph_objects as go
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pilotage.auth.web import user_of
from pilotage.catalogue.kpis import BY_ID
from pilotage.engine import periods as P
from pilotage.web import data, i18n
from pilotage.web.charts import PALETTE, base_layout, chart, period_label, series_trace, sparkline
from pilotage.web.pages.common import (
    PageError,
    View,
    cards_for,
    change_badge,
    clean,
    counts_ratio,
    fetch,
    labeller,
    page,
    parse_view,
    render,
)
from pilotage.web.state import State, StateDep

router = APIRouter(include_in_schema=False)

REP_IDS = ["revenue", "deals_won", "win_rate", "avg_deal_size", "sales_cycle_days", "quota_attainment",
           "open_pipeline", "pipeline_coverage", "activities", "activities_per_won_deal"]
DEALS_SHOWN = 10  # per table; the KPI page lists them all
DEALS_READ = 500  # records read to pick the most recent closed deals / largest open ones


def rep_url(view: View, rep_id) -> str:
    """The scorecard of a rep, in the view's period and language (the rep filter dropped: the path says it)."""
    return view.url(f"/commercial/{quote(str(rep_id), safe='')}", rep=None, page=None)


def _spark_range(view: View) -> tuple[dt.date, dt.date]:
    last = P.floor(view.end - dt.timedelta(days=1), view.grain, view.fiscal_start, view.week_start)
    return P.step(last, view.grain, -11), view.end


def _goals(state: State, request: Request, view: View, rep_id: str) -> list[dict]:
    """The rep's goals (set in the app or imported quotas) overlapping the view's range, evaluated at its
    last day: :func:`pilotage.goals.service.progress`, scoped to the user."""
    from pilotage.goals import service as goals

    user = user_of(request)
    as_of = min(view.end - dt.timedelta(days=1), view.today)
    rows = data._cached(state, "rep_goals", lambda ws: goals.progress(ws, period="all", rep=rep_id, as_of=as_of,
                                                                      user=user),
                        user=user, rep=rep_id, as_of=as_of)
    start, end = view.start.isoformat(), view.end.isoformat()
    rows = [g for g in rows if g["period_start"] < end and g["period_end"] > start]
    rows.sort(key=lambda g: g["period_start"], reverse=True)
    out = []
    for g in rows[:12]:
        k = BY_ID[g["kpi"]]
        link = view.url(f"/kpi/{g['kpi']}", rep=rep_id, period="custom", from_=g["period_start"],
                        to=g["period_end"])
        att = g.get("attainment")
        out.append({"kpi": k.label[view.lang], "href": link, "period": g["period"],
                    "target": view.fmt_table(g["target"], k.unit), "value": view.fmt_table(g.get("value"), k.unit),
                    "value_na": g.get("value") is None,
                    "attainment": view.fmt(att, "rate"), "width": round(min(att or 0, 1.5) / 1.5 * 100, 1),
                    "reached": att is not None and att >= 1,
                    "status": view.t(f"rep.status.{g['status']}"), "status_key": g["status"]})
    return out


def _deal_rows(state: State, view: View, frame: pd.DataFrame, sort: str, names: dict) -> list[dict]:
    if frame is None or not len(frame):
        return []
    d = frame.sort_values(sort, ascending=False, na_position="last", kind="stable").head(DEALS_SHOWN)
    out = []
    for r in d.to_dict(orient="records"):
        acc = clean(r.get("account_id"))
        out.append({"id": str(r["opportunity_id"]), "account": names.get(str(acc), str(acc)) if acc else "",
                    "account_id": str(acc) if acc else None,
                    "amount": view.fmt_table(clean(r.get("amount")), "money"),
                    "amount_sort": float(r["amount"]) if clean(r.get("amount")) is not None else None,
                    "stage": str(r.get("stage") or ""),
                    "status": i18n.value_label("status", r.get("status"), view.lang),
                    "status_key": str(r.get("status") or ""),
                    "date": view.date(pd.Timestamp(r[sort]).date(), "short") if clean(r.get(sort)) is not None
                    else ""})
    return out


def _deals(state: State, view: View, rep_id: str) -> dict:
    """Open deals at the end of the range (largest first) and deals closed in it (latest first)."""
    f = {"rep": rep_id}
    open_ex = data.explain(state, "open_pipeline", start=view.start, end=view.end, filters=f, limit=DEALS_READ)
    closed_ex = data.explain(state, "close_rate", start=view.start, end=view.end, filters=f, limit=DEALS_READ)
    open_rows = next((s for s in open_ex["sections"] if s["role"] == "value"), None)
    closed_rows = next((s for s in closed_ex["sections"] if s["role"] == "denominator"), None)
    accounts = set()
    for s in (open_rows, closed_rows):
        if s is not None and len(s["rows"]):
            accounts |= {str(a) for a in s["rows"]["account_id"].dropna()}
    names = data.account_names(state, sorted(accounts)) if accounts else {}
    return {
        "open": _deal_rows(state, view, open_rows["rows"] if open_rows else None, "amount", names),
        "open_total": open_rows["total"] if open_rows else 0,
        "open_url": view.url("/kpi/open_pipeline", rep=rep_id),
        "closed": _deal_rows(state, view, closed_rows["rows"] if closed_rows else None, "closed_at", names),
        "closed_total": closed_rows["total"] if closed_rows else 0,
        "closed_url": view.url("/kpi/close_rate", rep=rep_id),
    }


def _cards(state: State, view: View, rep_id: str) -> list[dict]:
    cards_now = cards_for(state, view, REP_IDS, view.compare)
    s_start, s_end = _spark_range(view)
    spark = fetch(state, view, REP_IDS, grain=view.grain, start=s_start, end=s_end)
    out = []
    for i in REP_IDS:
        k = BY_ID[i]
        c = cards_now.get(i) or {}
        v = c.get("value")
        card = {"id": i, "label": k.label[view.lang], "url": view.url(f"/kpi/{i}", rep=rep_id),
                "text": view.fmt_compact(v, k.unit), "exact": view.fmt(v, k.unit), "na": v is None,
                "small": bool(c.get("small_sample")) and v is not None,
                "changes": [change_badge(view, c, view.t(f"compare.{view.compare}"))],
                "sub": None, "target": None, "warn": None, "ignored": [],
                "spark": sparkline(view, spark, i, k.unit, f"{k.label[view.lang]} : {view.t('overview.sparkline')}")}
        if counts_ratio(i) and c.get("denominator"):
            card["sub"] = (f"{view.fmt(c.get('numerator'), 'count')} {view.t('common.of')} "
                           f"{view.fmt(c.get('denominator'), 'count')}")
        att = (cards_now.get("quota_attainment") or {}).get("value")
        if i == "pipeline_coverage" and v is None and att is not None and att >= 1:
            card["sub"] = view.t("rep.coverage_met")  # empty because nothing is left to cover, said so
        out.append(card)
    return out


def _trend(state: State, view: View) -> dict:
    """The rep's revenue per period, with the comparison period's as a line (as on the overview)."""
    rev = fetch(state, view, ["revenue"], grain=view.grain)
    cs, ce = P.shift_range(view.start, view.end, "year" if view.compare == "year" else "period")
    before = fetch(state, view, ["revenue"], grain=view.grain, start=cs, end=ce)
    x = [period_label(view, d, view.grain) for d in rev["period"]]
    cmp_values = list(before["revenue"])[:len(x)]
    cmp_values += [None] * (len(x) - len(cmp_values))
    fig = go.Figure([
        series_trace(view, "bar", x, list(rev["revenue"]), "money", view.t("overview.revenue_now"), PALETTE[0]),
        series_trace(view, "line", x, cmp_values, "money", view.t(f"compare.{view.compare}"), "#6b7280"),
    ], layout=base_layout(view, height=300, unit="money"))
    return chart(fig, view.t("rep.trend"), 300)


@router.get("/commercial/{rep_id}", response_class=HTMLResponse)
@page
def rep_page(request: Request, state: StateDep, rep_id: str):
    lang = i18n.norm_lang(request.query_params.get("lang"))
    asked = (request.query_params.get("rep") or "").strip()
    base = parse_view(request, state)
    if asked and asked != rep_id:  # another rep chosen in the filter bar: that rep's scorecard
        return RedirectResponse(rep_url(base, asked), status_code=303)
    names = dict(data.dimension_values(state, "rep"))  # the reps this user may see, by name
    if rep_id not in names:
        user = user_of(request)
        if user is not None and user.role != "admin":  # never says whether that rep exists
            raise PageError(403, i18n.t("rep.not_yours", lang))
        raise PageError(404, i18n.t("rep.unknown", lang, id=rep_id))
    view = dataclasses.replace(base, filters={**base.filters, "rep": rep_id})
    team_of = labeller(state, view, "team")
    team_id = data.rep_team(state, rep_id)
    name = names[rep_id]
    return render(request, "rep.html", view, state, page="rep", title=name, rep_id=rep_id,
                  team=team_of(team_id) if team_id else None,
                  team_url=view.url("/equipe", rep=None, team=team_id) if team_id else None,
                  cards=_cards(state, view, rep_id), trend_chart=_trend(state, view),
                  goals=_goals(state, request, view, rep_id), deals=_deals(state, view, rep_id),
                  activity_url=view.url("/activite", rep=rep_id))
