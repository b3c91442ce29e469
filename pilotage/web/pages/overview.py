"""The overview: the focus KPI cards with sparklines and the revenue progression."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilotage import service
from pilotage.catalogue.kpis import BY_ID
from pilotage.engine import periods as P
from pilotage.engine.query import dimensions_of
from pilotage.web import i18n
from pilotage.web.charts import PALETTE, base_layout, chart, period_label, series_trace, sparkline
from pilotage.web.pages.common import (
    clean,
    labeller,
    Notes,
    View,
    cards_for,
    change_badge,
    counts_ratio,
    fetch,
    kpi_filters,
    page,
    parse_view,
    render,
    val,
)
from pilotage.web.state import StateDep

router = APIRouter(include_in_schema=False)

def spark_range(view: View) -> tuple[dt.date, dt.date]:
    last = P.floor(view.end - dt.timedelta(days=1), view.grain, view.fiscal_start, view.week_start)
    return P.step(last, view.grain, -11), view.end


def quota_bars(state, view: View) -> list[dict]:
    """Quota attainment per team, as progress bars (100 % = the team's target; the bar stops at 150 %)."""
    df = fetch(state, view, ["quota_attainment"], by=["team"])
    if df is None or not len(df):
        return []
    name = labeller(state, view, "team")
    out = []
    for r in df.sort_values("quota_attainment", ascending=False, na_position="last").to_dict(orient="records"):
        v = clean(r.get("quota_attainment"))
        if v is None or r.get("team") is None:
            continue
        out.append({"team": name(r["team"]), "id": str(r["team"]), "text": view.fmt(v, "rate"),
                    "width": round(min(v, 1.5) / 1.5 * 100, 1), "reached": v >= 1})
    return out


@router.get("/", response_class=HTMLResponse)
@page
def overview(request: Request, state: StateDep):
    view = parse_view(request, state)
    focus = [i for i in state.ws.settings.focus if i in BY_ID]
    notes = Notes()
    prev = cards_for(state, view, focus, "previous", notes)
    year = cards_for(state, view, focus, "year")
    s_start, s_end = spark_range(view)
    spark = fetch(state, view, focus, grain=view.grain, start=s_start, end=s_end) if focus else None
    quota = fetch(state, view, ["quota_attainment"])
    cards = []
    for i in focus:
        k = BY_ID[i]
        c = prev.get(i) or {}
        v = c.get("value")
        card = {"id": i, "label": k.label[view.lang], "url": view.url(f"/kpi/{i}"), "text": view.fmt_compact(v, k.unit),
                "exact": view.fmt(v, k.unit),
                "na": v is None, "small": bool(c.get("small_sample")) and v is not None,
                "changes": [change_badge(view, c, view.t("common.vs_previous")),
                            change_badge(view, year.get(i), view.t("common.vs_year"))],
                "sub": None, "target": None, "warn": None,
                "ignored": [i18n.dimension(d, view.lang) for d in view.filters if d not in dimensions_of(k)],
                "spark": sparkline(view, spark, i, k.unit, f"{k.label[view.lang]} : {view.t('overview.sparkline')}")}
        if counts_ratio(i) and c.get("denominator"):
            card["sub"] = (f"{view.fmt(c.get('numerator'), 'count')} {view.t('common.of')} "
                           f"{view.fmt(c.get('denominator'), 'count')}")
        if i == "revenue" and set(kpi_filters(view.filters, i)) <= {"rep", "team"}:
            att, target = val(quota, "quota_attainment"), val(quota, "quota_attainment_denominator")
            if att is not None and target:
                card["target"] = (f"{view.t('overview.target')} : {view.fmt_table(target, 'money')} · "
                                  f"{view.t('overview.attained')} {view.fmt(att, 'rate')}")
        if i == "quota_attainment":
            card["bars"] = quota_bars(state, view)
        if i == "pipeline_coverage" and v is None and (val(quota, "quota_attainment") or 0) >= 1:
            card["sub"] = view.t("rep.coverage_met")  # empty because nothing is left to cover, said so
        if i == "reps_at_quota_share" and service.quotas_too_ambitious(
                v, val(quota, "quota_attainment"), c.get("denominator")):
            card["warn"] = view.t("team.quota_warning")
        cards.append(card)
    # the revenue progression, with the comparison period
    if spark is not None and "revenue" in spark.columns and (s_start, s_end) == (view.start, view.end):
        rev = spark  # the sparklines already hold the revenue of every period of the range
    else:
        rev = fetch(state, view, ["revenue"], grain=view.grain)
    cs, ce = P.shift_range(view.start, view.end, "year" if view.compare == "year" else "period")
    rev_cmp = fetch(state, view, ["revenue"], grain=view.grain, start=cs, end=ce)
    x = [period_label(view, d, view.grain) for d in rev["period"]]
    cmp_values = list(rev_cmp["revenue"])[:len(x)]
    cmp_values += [None] * (len(x) - len(cmp_values))
    fig = go.Figure([
        series_trace(view, "bar", x, list(rev["revenue"]), "money", view.t("overview.revenue_now"), PALETTE[0]),
        series_trace(view, "line", x, cmp_values, "money", view.t(f"compare.{view.compare}"), "#6b7280"),
    ], layout=base_layout(view, height=320, unit="money"))
    revenue_chart = chart(fig, view.t("overview.revenue_chart"), 320)
    return render(request, "overview.html", view, state, page="overview", title=view.t("overview.title"),
                  notes=notes, cards=cards, revenue_chart=revenue_chart,
                  revenue_total=view.fmt_table(prev["revenue"]["value"] if "revenue" in prev
                                         else val(fetch(state, view, ["revenue"]), "revenue"), "money"))
