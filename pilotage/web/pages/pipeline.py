"""The pipeline: funnels per pipeline, open pipeline by stage, proposals, sales cycle, lost reasons."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilotage.web import data
from pilotage.web.charts import PALETTE, bar_chart, base_layout, chart, time_chart
from pilotage.web.pages.common import (
    DIST_MAX_ROWS,
    Notes,
    clean,
    fetch,
    kpi_filters,
    kpi_label,
    labeller,
    page,
    parse_view,
    render,
    tiles_from,
    val,
)
from pilotage.web.state import StateDep

router = APIRouter(include_in_schema=False)

PIPE_TIME = ["opportunities_created", "proposals_sent", "proposal_conversion_rate", "win_rate", "close_rate",
             "sales_cycle_days"]


def funnel_rows(df: pd.DataFrame, stage_list: list[dict]) -> dict[str, list[dict]]:
    """Per pipeline, its stages in their declared order (stages.position) with how many
    opportunities reached each and how many dropped there.

    ``df`` holds stage_conversion by pipeline and stage: for stage k, the denominator is
    the opportunities that reached k and the numerator those that went on to k+1; the
    last stage has no trial of its own and is reached by the successes of the one before.
    """
    out: dict[str, list[dict]] = {}
    if df is None or not len(df) or "stage_conversion_denominator" not in df.columns:
        return out
    trials = {(r["pipeline"], r["stage"]): r for r in df.to_dict(orient="records")}
    pipelines: dict[str, list[dict]] = {}
    for st in sorted(stage_list, key=lambda x: (x["pipeline"], x["position"])):
        pipelines.setdefault(st["pipeline"], []).append(st)
    for pipe, stages in pipelines.items():
        rows = []
        for i, st in enumerate(stages):
            r = trials.get((pipe, st["stage"]))
            if i < len(stages) - 1:
                reached = (r or {}).get("stage_conversion_denominator") or 0
                rows.append({"stage": st["stage"], "reached": reached,
                             "advanced": (r or {}).get("stage_conversion_numerator") or 0,
                             "rate": clean((r or {}).get("stage_conversion")),
                             "small": bool((r or {}).get("stage_conversion_small_sample"))})
            else:
                rows.append({"stage": st["stage"], "reached": rows[-1]["advanced"] if rows else 0,
                             "advanced": None, "rate": None, "small": False, "last": True})
        if not rows or not rows[0]["reached"]:
            continue
        first = rows[0]["reached"]
        for r in rows:
            r["dropped"] = (r["reached"] - r["advanced"]) if r.get("advanced") is not None else None
            r["of_first"] = r["reached"] / first if first else None
        out[pipe] = rows
    return out


@router.get("/pipeline", response_class=HTMLResponse)
@page
def pipeline_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    notes = Notes()
    pipe_label = labeller(state, view, "pipeline")
    stages = fetch(state, view, ["stage_conversion", "open_pipeline", "weighted_pipeline"],
                   by=["pipeline", "stage"], notes=notes)
    funnel = funnel_rows(stages, data.stages(state))
    funnels = []
    for pipe, rows in funnel.items():
        last_stage = rows[-1]["stage"]
        names = [r["stage"] or view.t("pipeline.last_stage") for r in rows]
        fig = go.Figure(go.Funnel(
            y=names, x=[r["reached"] for r in rows], marker={"color": PALETTE[0]},
            textinfo="value+percent initial", texttemplate="%{value:,.0f} (%{percentInitial:.0%})",
            customdata=[view.fmt(r["reached"], "count") for r in rows],
            hovertemplate="%{y} : %{customdata}<extra></extra>", connector={"fillcolor": "#dbe6f3"}),
            layout=base_layout(view, height=60 + 52 * len(rows), legend=False, hovermode="closest",
                           yaxis={"type": "category", "rangemode": "normal", "ticksuffix": ""},
                           xaxis={"type": "linear", "visible": False}))
        table = {
            "caption": f"{view.t('pipeline.funnel')} – {view.t('pipeline.name')} {pipe_label(pipe)}",
            "head": [{"text": view.t("pipeline.stage"), "num": False},
                     {"text": view.t("pipeline.reached"), "num": True},
                     {"text": view.t("pipeline.to_next"), "num": True,
                      "href": view.url("/kpi/stage_conversion")},
                     {"text": view.t("pipeline.dropoff"), "num": True}],
            "rows": [{"head": r["stage"] or view.t("pipeline.last_stage"), "cells": [
                {"text": view.fmt(r["reached"], "count"), "num": True},
                ({"text": view.fmt(r["rate"], "rate"), "num": True, "small": r["small"]} if not r.get("last")
                 else {"text": "—", "num": True}),
                ({"text": view.fmt(r["dropped"], "count"), "num": True} if r["dropped"] is not None
                 else {"text": "—", "num": True})]} for r in rows],
            "foot": None, "more": 0, "has_small": any(r["small"] for r in rows)}
        funnels.append({"name": pipe_label(pipe), "chart": chart(fig, table["caption"], 60 + 52 * len(rows)),
                        "table": table, "last_stage": last_stage})

    # open and weighted pipeline by stage (at the end of the range)
    by_stage = stages.groupby(stages["stage"].astype(object), sort=False)[["open_pipeline", "weighted_pipeline"]] \
        .sum(min_count=1).reset_index() if len(stages) else pd.DataFrame(columns=["stage"])
    order = [r["stage"] for rows in funnel.values() for r in rows if r["stage"]]
    order = list(dict.fromkeys(order))
    if len(by_stage):
        by_stage["_o"] = by_stage["stage"].map(lambda s: order.index(s) if s in order else len(order))
        by_stage = by_stage.sort_values("_o", kind="stable")
        by_stage = by_stage[(by_stage["open_pipeline"].fillna(0) != 0) | (by_stage["weighted_pipeline"].fillna(0) != 0)]
    stage_names = [str(s) for s in by_stage["stage"]] if len(by_stage) else []
    open_chart = bar_chart(view, stage_names, [
        (kpi_label(view, "open_pipeline"), list(by_stage["open_pipeline"]) if len(by_stage) else []),
        (kpi_label(view, "weighted_pipeline"), list(by_stage["weighted_pipeline"]) if len(by_stage) else [])],
        "money", label=view.t("pipeline.by_stage"), height=300)
    pipe_totals = fetch(state, view, ["open_pipeline", "weighted_pipeline"] + PIPE_TIME, notes=notes)
    over_time = fetch(state, view, PIPE_TIME, grain=view.grain)
    proposals_chart = time_chart(view, over_time, [("proposals_sent", kpi_label(view, "proposals_sent"), "bar")],
                                 "count", label=kpi_label(view, "proposals_sent"), height=240)
    proposal_rate_chart = time_chart(
        view, over_time, [("proposal_conversion_rate", kpi_label(view, "proposal_conversion_rate"), "line"),
                          ("win_rate", kpi_label(view, "win_rate"), "line")],
        "rate", label=kpi_label(view, "proposal_conversion_rate"), height=240)
    cycle_time = time_chart(view, over_time, [("sales_cycle_days", view.t("pipeline.mean"), "line"),
                                              ("sales_cycle_days_median", view.t("pipeline.median"), "line")],
                            "days", label=view.t("pipeline.cycle"), height=240)

    # distributions from the records behind close_rate: won deals' cycle, lost deals' reasons
    ex = data.explain(state, "close_rate", start=view.start, end=view.end,
                      filters=kpi_filters(view.filters, "close_rate"), limit=DIST_MAX_ROWS)
    closed = next((s for s in ex["sections"] if s["role"] == "denominator"), None)
    rows = closed["rows"] if closed is not None else pd.DataFrame(columns=["status", "cycle_days", "lost_reason"])
    truncated = closed is not None and closed["total"] > len(rows)
    won_cycles = pd.to_numeric(rows.loc[rows["status"] == "won", "cycle_days"], errors="coerce").dropna() \
        if "cycle_days" in rows.columns else pd.Series([], dtype=float)
    hist = go.Figure(go.Histogram(x=list(won_cycles.astype(float)), nbinsx=30, marker={"color": PALETTE[0]},
                                  hovertemplate="%{x} j : %{y}<extra></extra>" if view.lang == "fr"
                                  else "%{x} d: %{y}<extra></extra>", name=view.t("pipeline.deals")),
                     layout=base_layout(view, height=260, legend=False, hovermode="closest", bargap=0.05,
                                    xaxis={"type": "linear", "title": {"text": view.t("pipeline.cycle_days")},
                                           "ticksuffix": ""},
                                    yaxis={"title": {"text": view.t("pipeline.deals")}}))
    cycle_hist = chart(hist, view.t("pipeline.cycle_hist"), 260)
    lost = rows[rows["status"] == "lost"] if "status" in rows.columns else rows.iloc[0:0]
    reasons = lost["lost_reason"].astype(object).where(lost["lost_reason"].notna(), None) \
        .map(lambda r: r if r not in (None, "") else view.t("common.unknown")).value_counts() \
        if len(lost) else pd.Series([], dtype=int)
    n_lost = int(reasons.sum()) if len(reasons) else 0
    lost_table = {
        "caption": view.t("pipeline.lost"),
        "head": [{"text": view.t("pipeline.reason"), "num": False}, {"text": view.t("pipeline.deals"), "num": True},
                 {"text": view.t("common.share"), "num": True}],
        "rows": [{"head": str(reason), "cells": [{"text": view.fmt(n, "count"), "num": True},
                                                 {"text": view.fmt(n / n_lost, "rate"), "num": True}]}
                 for reason, n in reasons.items()],
        "foot": {"head": view.t("common.total"), "cells": [{"text": view.fmt(n_lost, "count"), "num": True},
                                                             {"text": "", "num": True}]} if n_lost else None,
        "more": 0, "has_small": False}
    lost_chart = bar_chart(view, [str(r) for r in reasons.index], [(view.t("pipeline.deals"), list(reasons.values))],
                           "count", label=view.t("pipeline.lost"), height=60 + 36 * max(len(reasons), 1),
                           horizontal=True)
    return render(request, "pipeline.html", view, state, page="pipeline", title=view.t("pipeline.title"),
                  notes=notes, funnels=funnels, open_chart=open_chart, proposals_chart=proposals_chart,
                  proposal_rate_chart=proposal_rate_chart, cycle_time=cycle_time, cycle_hist=cycle_hist,
                  lost_table=lost_table, lost_chart=lost_chart, n_won=len(won_cycles),
                  truncated=view.t("pipeline.truncated", n=view.fmt(DIST_MAX_ROWS, "count")) if truncated else None,
                  top_tiles=tiles_from(view, pipe_totals, ["open_pipeline", "weighted_pipeline",
                                                           "opportunities_created", "win_rate"]),
                  proposal_tiles=tiles_from(view, pipe_totals, ["proposals_sent", "proposal_conversion_rate"]),
                  cycle_tiles=tiles_from(view, pipe_totals, ["sales_cycle_days", "close_rate"]),
                  cycle_median=view.fmt(val(pipe_totals, "sales_cycle_days_median"), "days"))
