"""Leads and channels: leads by source over time, the channel table, campaigns, social selling."""

from __future__ import annotations

import plotly.graph_objects as go
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilotage.web.charts import (
    MAX_SERIES, OTHERS_COLOUR, PALETTE, bar_chart, base_layout, chart, period_label, series_trace, time_chart,
)
from pilotage.web.pages.common import (
    Notes,
    fetch,
    kpi_label,
    kpi_table,
    labeller,
    page,
    parse_view,
    render,
    tile,
    tiles_from,
    val,
)
from pilotage.web.state import StateDep

router = APIRouter(include_in_schema=False)

LEAD_IDS = ["leads", "lead_source_share", "qualification_rate", "lead_conversion_rate"]
ACQ_IDS = ["cost_per_lead", "campaign_roi"]


@router.get("/leads", response_class=HTMLResponse)
@page
def leads_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    notes = Notes()
    src = labeller(state, view, "source")
    over_time = fetch(state, view, LEAD_IDS, grain=view.grain, by=["source"], notes=notes)
    by_source = fetch(state, view, LEAD_IDS, by=["source"])
    acq_by_source = fetch(state, view, ACQ_IDS, by=["source"], notes=notes)
    totals = fetch(state, view, LEAD_IDS + ACQ_IDS + ["cac"], notes=notes)
    by_campaign = fetch(state, view, ACQ_IDS, by=["campaign"])

    # leads by source over time (stacked)
    traces = []
    periods = sorted(over_time["period"].unique()) if len(over_time) else []
    x = [period_label(view, d, view.grain) for d in periods]
    sources = [s for s in by_source.sort_values("leads", ascending=False)["source"]] if len(by_source) else []
    shown, rest = sources[:MAX_SERIES - 1], sources[MAX_SERIES - 1:]
    if len(rest) == 1:
        shown, rest = sources, []
    palette = dict(zip(shown, PALETTE, strict=False))
    for s in shown:
        part = over_time[over_time["source"].astype(object) == s].set_index("period")["leads"]
        values = [part.get(p) for p in periods]
        traces.append(series_trace(view, "bar", x, values, "count", src(s), palette[s]))
    if rest:  # the smallest sources together, as "Autres"
        part = over_time[over_time["source"].astype(object).isin(rest)].groupby("period")["leads"].sum(min_count=1)
        traces.append(series_trace(view, "bar", x, [part.get(p) for p in periods], "count",
                                   f"{view.t('common.others_group')} ({len(rest)})", OTHERS_COLOUR))
    leads_chart = chart(go.Figure(traces, layout=base_layout(view, height=340, unit="count", barmode="stack")),
                        view.t("leads.by_source_time"), 340)

    # one table by channel: volume, share, qualification, conversion, cost per lead, ROI
    table_df = by_source
    if len(acq_by_source):
        table_df = by_source.merge(acq_by_source, on="source", how="outer") if len(by_source) else acq_by_source
    channel_table = kpi_table(state, view, table_df, LEAD_IDS + ACQ_IDS, dim="source",
                              caption=view.t("leads.by_source"), sort="leads", total=totals)
    ranked = by_source.sort_values("leads", ascending=False, kind="stable") if len(by_source) else by_source
    rates_chart = bar_chart(
        view, [src(s) for s in ranked["source"]] if len(ranked) else [],
        [(kpi_label(view, "qualification_rate"), list(ranked["qualification_rate"]) if len(ranked) else []),
         (kpi_label(view, "lead_conversion_rate"), list(ranked["lead_conversion_rate"]) if len(ranked) else [])],
        "rate", label=view.t("leads.by_source"), height=300)

    campaign_table = kpi_table(state, view, by_campaign, ACQ_IDS, dim="campaign", caption=view.t("leads.campaigns"),
                               sort="campaign_roi", limit=15)
    acq_tiles = tiles_from(view, totals, ["cost_per_lead", "cac", "campaign_roi"])

    # social selling: posts of the reps (rep/team filters), leads and deals from LinkedIn
    social = fetch(state, view, ["social_posts"], grain=view.grain, notes=notes)
    social_total = fetch(state, view, ["social_posts"])
    li_filters = {**view.filters, "source": "linkedin"}
    linkedin = fetch(state, view, ["leads", "deals_won", "avg_deal_size", "revenue"], filters=li_filters)
    social_chart = time_chart(view, social, [("social_posts", kpi_label(view, "social_posts"), "bar")], "count",
                              label=view.t("leads.social_posts_chart"), height=240)
    for extra in ("social_posts_views", "social_posts_likes"):
        if extra not in social.columns:  # no activities at all: not available
            social[extra] = float("nan")
    sx = [period_label(view, d, view.grain) for d in social["period"]]
    sv = go.Figure([
        series_trace(view, "line", sx, list(social["social_posts_views"]), "count", view.t("leads.views"), PALETTE[0]),
        series_trace(view, "line", sx, list(social["social_posts_likes"]), "count", view.t("leads.likes"), PALETTE[1],
                     yaxis="y2")],
        layout=base_layout(view, height=240, unit="count",
                       yaxis={"title": {"text": view.t("leads.views"), "font": {"color": PALETTE[0]}}},
                       yaxis2={"title": {"text": view.t("leads.likes"), "font": {"color": PALETTE[1]}},
                               "overlaying": "y", "side": "right", "rangemode": "tozero", "showgrid": False,
                               "fixedrange": True, "automargin": True, "tickmode": "auto", "nticks": 6}))
    social_views = chart(sv, f"{view.t('leads.views')} / {view.t('leads.likes')}", 240)
    social_tiles = [
        tile(view, "social_posts", val(social_total, "social_posts")),
        tile(view, "social_posts", val(social_total, "social_posts_views"), label=view.t("leads.views")),
        tile(view, "social_posts", val(social_total, "social_posts_likes"), label=view.t("leads.likes")),
    ]
    li_tiles = tiles_from(view, linkedin, ["leads", "deals_won", "avg_deal_size", "revenue"],
                          link_filters={"source": "linkedin"})
    return render(request, "leads.html", view, state, page="leads", title=view.t("leads.title"), notes=notes,
                  leads_chart=leads_chart, channel_table=channel_table, rates_chart=rates_chart,
                  campaign_table=campaign_table, acq_tiles=acq_tiles, social_chart=social_chart,
                  social_views=social_views, social_tiles=social_tiles, li_tiles=li_tiles,
                  lead_tiles=tiles_from(view, totals, ["leads", "qualification_rate", "lead_conversion_rate"]))
