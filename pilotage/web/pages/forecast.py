"""Forecasts: *Prévisions* (revenue forecast, coverage, categories, slipping and stuck deals),
*Affaires ouvertes* (win probability per deal and its backtest) and *Valeur client* (BG/NBD
and Gamma-Gamma customer lifetime value).

Every figure comes from :mod:`pilotage.web.data_forecast`, which the /api/v1 forecast routes
call too (same cache, same scope): the page and the API cannot disagree. A figure the user's
scope cannot hold (customer value for a rep or a manager) or that the data cannot give (too
short a history) is shown as not available with the reason; the page still opens.
"""

from __future__ import annotations

import datetime as dt
import math
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import plotly.graph_objects as go
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilotage.auth.web import user_of
from pilotage.errors import NotInScope, PilotageError
from pilotage.forecast import clv as C
from pilotage.forecast import deals as D
from pilotage.web import data_forecast as F
from pilotage.web.charts import PALETTE, base_layout, chart, period_label
from pilotage.web.pages.common import (
    View,
    fetch,
    labeller,
    page,
    parse_view,
    render,
    show_all,
    tiles_from,
    val,
)
from pilotage.web.state import StateDep

router = APIRouter(include_in_schema=False)

MONTHS = (3, 6, 12)  # forecast horizons offered
HISTORY_SHOWN = 24  # months of history drawn before the forecast
LIST_ROWS = 15  # slipping, stuck, deals and customers lists: "tout afficher" shows every row
HORIZONS = (6, 12, 24, 36)  # CLV horizons offered, in months
CATS = ("closed", "commit", "best_case", "pipeline", "omitted")


def _choice(request: Request, name: str, allowed: tuple[int, ...], default: int) -> int:
    try:
        v = int(request.query_params.get(name, default))
    except ValueError:
        return default
    return v if v in allowed else default


def _unavailable(view: View, exc: Exception) -> str:
    """The reason a figure is not shown, in the page's language."""
    if isinstance(exc, NotInScope):
        return view.t("forecast.not_in_scope")
    return view.t("forecast.cannot", reason=str(exc))


def _tile(view: View, label: str, value, unit: str, *, title: str = "", href: str | None = None,
          sub: str | None = None, key: str = "") -> dict:
    na = value is None or (isinstance(value, float) and math.isnan(value))
    text = view.t("forecast.na") if na else (view.fmt_compact(value, unit) if unit in ("money", "count")
                                               else view.fmt(value, unit))
    return {"label": label, "text": text, "exact": "" if na else view.fmt(value, unit), "na": na, "title": title,
            "href": href, "sub": sub, "key": key}


def _months_ahead(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def _quarter(as_of: dt.date, fiscal_start: int) -> tuple[dt.date, dt.date]:
    """[start, end) of the (fiscal) quarter holding ``as_of``."""
    first = as_of.replace(day=1)
    start = _months_ahead(first, -(((as_of.month - fiscal_start) % 12) % 3))
    return start, _months_ahead(start, 3)


def _names(state, view: View):
    return labeller(state, view, "rep")


def _deal_head(view: View) -> list[dict]:
    return [{"text": view.t("deals.account"), "num": False}, {"text": view.t("deals.rep"), "num": False},
            {"text": view.t("deals.stage"), "num": False, "href": view.url("/kpi/stage_conversion")},
            {"text": view.t("deals.amount"), "num": True, "href": view.url("/kpi/open_pipeline")}]


def _deal_cells(view: View, d: dict, rep_name) -> tuple[dict, list[dict]]:
    head = {"head": d.get("account_name") or d["account_id"] or "—",
            "title": f"{d['opportunity_id']} · {d['account_id']}"}
    cells = [{"text": rep_name(d["owner_rep_id"]), "num": False},
             {"text": f"{d['stage']} ({d['pipeline']})", "num": False},
             {"text": view.fmt_table(d["amount"], "money"), "num": True, "sort": d["amount"]}]
    return head, cells


def _limit(rows: list, request: Request) -> tuple[list, int]:
    if show_all(request) or len(rows) <= LIST_ROWS:
        return rows, 0
    return rows[:LIST_ROWS], len(rows) - LIST_ROWS


# --------------------------------------------------------------------------- Prévisions
def revenue_chart(view: View, fc: dict) -> dict:
    """History, forecast and its 80 % and 95 % intervals (bands), one x axis of months."""
    hist = fc["history"][-HISTORY_SHOWN:]
    rows = fc["forecast"]
    lab = [period_label(view, pd.Timestamp(r["month"] + "-01"), "month") for r in hist + rows]
    xh, xf = lab[:len(hist)], lab[len(hist):]
    # the bands and the forecast line start from the last actual month, so the two join
    x0 = xh[-1:] + xf
    last = [hist[-1]["revenue"]] if hist else []

    def fmt(vs):
        return [view.fmt(v, "money") for v in vs]

    band = "rgba(217,115,13,{})"
    traces = [
        go.Scatter(x=x0, y=last + [r["hi95"] for r in rows], mode="lines", line={"width": 0}, showlegend=False,
                   hoverinfo="skip", name="95"),
        go.Scatter(x=x0, y=last + [r["lo95"] for r in rows], mode="lines", line={"width": 0}, fill="tonexty",
                   fillcolor=band.format(0.15), name=view.t("forecast.band95"), hoverinfo="skip"),
        go.Scatter(x=x0, y=last + [r["hi80"] for r in rows], mode="lines", line={"width": 0}, showlegend=False,
                   hoverinfo="skip", name="80"),
        go.Scatter(x=x0, y=last + [r["lo80"] for r in rows], mode="lines", line={"width": 0}, fill="tonexty",
                   fillcolor=band.format(0.30), name=view.t("forecast.band80"), hoverinfo="skip"),
        go.Scatter(x=xh, y=[r["revenue"] for r in hist], mode="lines+markers", name=view.t("forecast.actual"),
                   line={"color": PALETTE[0], "width": 2}, marker={"size": 4},
                   customdata=fmt([r["revenue"] for r in hist]), hovertemplate="%{customdata}"),
        go.Scatter(x=x0, y=last + [r["forecast"] for r in rows], mode="lines+markers",
                   name=view.t("forecast.forecast"), line={"color": PALETTE[1], "width": 2, "dash": "dash"},
                   marker={"size": 5},
                   customdata=fmt(last + [r["forecast"] for r in rows]),
                   hovertemplate="%{customdata}"),
    ]
    layout = base_layout(view, height=320, unit="money", hovermode="x unified",
                         xaxis={"categoryorder": "array", "categoryarray": lab})
    return chart(go.Figure(traces, layout=layout), view.t("forecast.chart"), 320)


def _forecast_table(view: View, fc: dict) -> dict:
    return {"caption": view.t("forecast.table"),
            "head": [{"text": view.t("forecast.month"), "num": False},
                     {"text": view.t("forecast.forecast"), "num": True},
                     {"text": view.t("forecast.int80"), "num": True},
                     {"text": view.t("forecast.int95"), "num": True}],
            "rows": [{"head": period_label(view, pd.Timestamp(r["month"] + "-01"), "month"), "cells": [
                {"text": view.fmt_table(r["forecast"], "money"), "num": True, "sort": r["forecast"]},
                {"text": f"{view.fmt_table(r['lo80'], 'money')} – {view.fmt_table(r['hi80'], 'money')}",
                 "num": True, "sort": r["lo80"]},
                {"text": f"{view.fmt_table(r['lo95'], 'money')} – {view.fmt_table(r['hi95'], 'money')}",
                 "num": True, "sort": r["lo95"]}]} for r in fc["forecast"]],
            "foot": None, "more": 0, "has_small": False}


def backtest_tiles(view: View, bt: dict) -> list[dict]:
    naive = view.t("forecast.naive")
    return [
        _tile(view, "MAPE", bt.get("mape"), "rate", title=view.t("forecast.mape_formula"),
              sub=f"{naive}{view.t('colon')} {view.fmt(bt.get('naive_mape'), 'rate')}" if bt.get("naive_mape")
              is not None else None, key="mape"),
        _tile(view, "MASE", bt.get("mase"), "ratio", title=view.t("forecast.mase_formula"),
              sub=f"{naive}{view.t('colon')} {view.fmt(bt.get('naive_mase'), 'ratio')}" if bt.get("naive_mase")
              is not None else None, key="mase"),
    ]


def backtest_sentence(view: View, bt: dict) -> str:
    if bt.get("better_than_naive") is None:
        return view.t("forecast.bt_short")
    if bt["better_than_naive"]:
        return view.t("forecast.bt_better", origins=bt["origins"], horizon=bt["horizon"])
    return view.t("forecast.bt_naive", origins=bt["origins"], horizon=bt["horizon"])


def _category_head(view: View, first: str) -> list[dict]:
    return ([{"text": first, "num": False}]
            + [{"text": view.t(f"forecast.cat_{c}"), "num": True, "title": view.t(f"forecast.cat_{c}_help")}
               for c in CATS[:4]] + [{"text": view.t("common.total"), "num": True}])


def _category_rows(view: View, table: list[dict], key: str, label) -> list[dict]:
    return [{"head": label(r[key]), "cells": [
        {"text": view.fmt_table(r[c], "money") if r[c] else "—", "num": True, "sort": r[c]} for c in CATS[:4]]
        + [{"text": view.fmt_table(r["total"], "money"), "num": True, "sort": r["total"]}]} for r in table]


def category_chart(view: View, table: list[dict], label) -> dict:
    x = [label(r["month"]) for r in table]
    traces = [go.Bar(x=x, y=[r[c] for r in table], name=view.t(f"forecast.cat_{c}"), marker={"color": PALETTE[i]},
                     customdata=[view.fmt(r[c], "money") for r in table], hovertemplate="%{customdata}")
              for i, c in enumerate(CATS[:4])]
    layout = base_layout(view, height=300, unit="money")
    layout["barmode"] = "stack"
    return chart(go.Figure(traces, layout=layout), view.t("forecast.by_category"), 300)


def coverage_tile(state, view: View, start: dt.date, end: dt.date) -> dict:
    """The catalogue's pipeline_coverage over one quarter, with what it is made of (or why it is empty)."""
    cov = fetch(state, view, ["pipeline_coverage"], start=start, end=end, filters={})
    quarter = f"{view.date(start, 'MMM y')} – {view.date(end - dt.timedelta(days=1), 'MMM y')}"
    t = tiles_from(view, cov, ["pipeline_coverage"],
                   link_filters={"period": "custom", "from": start.isoformat(), "to": end.isoformat()})[0]
    num, den = val(cov, "pipeline_coverage_numerator"), val(cov, "pipeline_coverage_denominator")
    parts = []
    if num is not None:
        parts.append(f"{view.t('forecast.cov_open')}{view.t('colon')} {view.fmt_compact(num, 'money')}")
    if den is not None and den > 0:
        parts.append(f"{view.t('forecast.cov_left')}{view.t('colon')} {view.fmt_compact(den, 'money')}")
    elif den is not None and den < 0:
        parts.append(view.t("forecast.cov_met"))
    elif num is not None:
        parts.append(view.t("forecast.cov_no_target"))
    t["label"] = f"{t['label']}, {quarter}"
    t["sub"] = " · ".join(parts) or None
    return t


@router.get("/previsions", response_class=HTMLResponse)
@page
def forecast_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    months = _choice(request, "months", MONTHS, 6)
    view.extra["months"] = str(months)
    user = user_of(request)
    rep_name = _names(state, view)
    ctx: dict = {"months": months, "month_choices": [{"n": n, "href": view.here(months=n), "current": n == months}
                                                     for n in MONTHS]}
    # the deals' model and the revenue forecast are fitted side by side (a cold page waits for the longer)
    pool = ThreadPoolExecutor(1)
    deals_future = pool.submit(F.open_deals, state, view.lang, user)
    pool.shutdown(wait=False)
    # the revenue forecast and its backtest
    try:
        fc = F.revenue_forecast(state, months, user=user)
        ctx.update(fc=fc, revenue_chart=revenue_chart(view, fc), forecast_table=_forecast_table(view, fc),
                   bt_tiles=backtest_tiles(view, fc["backtest"]), bt_sentence=backtest_sentence(view, fc["backtest"]),
                   next_total=sum(r["forecast"] for r in fc["forecast"]))
        ctx["forecast_tiles"] = [
            _tile(view, view.t("forecast.next_month"), fc["forecast"][0]["forecast"], "money",
                  title=view.t("forecast.model", model=fc["model"]), key="next"),
            _tile(view, view.t("forecast.next_n", n=months), ctx["next_total"], "money",
                  title=view.t("forecast.model", model=fc["model"]), key="total")]
    except PilotageError as exc:
        ctx["fc_error"] = _unavailable(view, exc)
    # the deals: as-of date, slipping and stuck, categories
    try:
        od = deals_future.result()
    except PilotageError as exc:
        od = None
        ctx["deals_error"] = _unavailable(view, exc)
    if od is not None:
        as_of = dt.date.fromisoformat(od["as_of"])
        ctx["as_of"] = view.date(as_of, "long")
        q_start, q_end = _quarter(as_of, view.fiscal_start)
        ctx["coverage_tiles"] = [coverage_tile(state, view, q_start, q_end),
                                 coverage_tile(state, view, q_end, _months_ahead(q_end, 3))]
        end = _months_ahead(as_of.replace(day=1), months + 1)
        cats = F.categories(state, q_start.isoformat(), end.isoformat(), user=user)
        table = D.category_table(cats, "month")

        def month_label(m):
            return view.t("forecast.no_date") if m == "—" else period_label(view, pd.Timestamp(m + "-01"), "month")

        ctx["cat_window"] = f"{view.date(q_start, 'MMM y')} – {view.date(end - dt.timedelta(days=1), 'MMM y')}"
        ctx["category_table"] = {"caption": view.t("forecast.by_category"),
                                 "head": _category_head(view, view.t("forecast.close_month")),
                                 "rows": _category_rows(view, table, "month", month_label), "foot": None,
                                 "more": 0, "has_small": False}
        ctx["category_chart"] = category_chart(view, [r for r in table if r["month"] != "—"], month_label)
        by_rep = sorted(D.category_table(F.categories(state, q_start.isoformat(), end.isoformat(), by="rep",
                                                      user=user), "rep"), key=lambda r: -r["total"])
        by_team = sorted(D.category_table(F.categories(state, q_start.isoformat(), end.isoformat(), by="team",
                                                       user=user), "team"), key=lambda r: -r["total"])
        team_name = labeller(state, view, "team")
        ctx["team_table"] = {"caption": view.t("forecast.by_team"),
                             "head": _category_head(view, view.t("filters.team")),
                             "rows": _category_rows(view, by_team, "team",
                                                    lambda t: view.t("common.unknown") if t == "—" else team_name(t)),
                             "foot": None, "more": 0, "has_small": False}
        shown_reps, more_reps = _limit(by_rep, request)
        ctx["rep_table"] = {"caption": view.t("forecast.by_rep"), "head": _category_head(view, view.t("deals.rep")),
                            "rows": _category_rows(view, shown_reps, "rep", rep_name), "foot": None,
                            "more": more_reps, "more_url": view.here(all=1), "has_small": False}
        slipping = sorted((d for d in od["deals"] if d["slipping"]),
                          key=lambda d: (d["expected_close_date"], -d["amount"]))
        shown, more = _limit(slipping, request)
        rows = []
        for d in shown:
            head, cells = _deal_cells(view, d, rep_name)
            late = (as_of - dt.date.fromisoformat(d["expected_close_date"])).days
            cells += [{"text": view.date(dt.date.fromisoformat(d["expected_close_date"]), "medium"), "num": True,
                       "sort": d["expected_close_date"]},
                      {"text": view.fmt(late, "days"), "num": True, "sort": late}]
            rows.append({**head, "cells": cells})
        ctx["slipping_table"] = {"caption": view.t("forecast.slipping"), "rows": rows, "foot": None, "more": more,
                                 "more_url": view.here(all=1), "has_small": False,
                                 "head": _deal_head(view) + [{"text": view.t("deals.expected_close"), "num": True},
                                                             {"text": view.t("forecast.late"), "num": True}]}
        stuck = sorted((d for d in od["deals"] if d["stuck"]),
                       key=lambda d: (-(d["days_in_stage"] / (d["stage_p90_days"] or 1)), d["opportunity_id"]))
        shown, more = _limit(stuck, request)
        rows = []
        for d in shown:
            head, cells = _deal_cells(view, d, rep_name)
            cells += [{"text": view.fmt(d["days_in_stage"], "days"), "num": True, "sort": d["days_in_stage"]},
                      {"text": view.fmt(d["stage_p90_days"], "days"), "num": True, "sort": d["stage_p90_days"]}]
            rows.append({**head, "cells": cells})
        ctx["stuck_table"] = {"caption": view.t("forecast.stuck"), "rows": rows, "foot": None, "more": more,
                              "more_url": view.here(all=1), "has_small": False,
                              "head": _deal_head(view) + [{"text": view.t("deals.days_in_stage"), "num": True},
                                                          {"text": view.t("forecast.usual"), "num": True,
                                                           "title": view.t("forecast.usual_help")}]}
        ctx["deal_summary"] = D.summary(od["deals"])
    return render(request, "forecast.html", view, state, page="forecast", title=view.t("forecast.title"),
                  show_filters=False, period_notes=[], **ctx)


# --------------------------------------------------------------------------- Affaires ouvertes
def calibration_chart(view: View, bt: dict) -> dict:
    cal = bt.get("calibration") or []
    fig = go.Figure([
        go.Scatter(x=[0, 100], y=[0, 100], mode="lines", line={"color": "#9ca3af", "dash": "dot", "width": 1},
                   name=view.t("deals.perfect"), hoverinfo="skip"),
        go.Scatter(x=[c["predicted"] * 100 for c in cal], y=[c["observed"] * 100 for c in cal], mode="lines+markers",
                   line={"color": PALETTE[0], "width": 2},
                   marker={"size": [6 + min(c["deals"], 200) ** 0.5 for c in cal]},
                   name=view.t("deals.model"),
                   customdata=[f"{view.fmt(c['predicted'], 'rate')} → {view.fmt(c['observed'], 'rate')} "
                               f"({view.fmt(c['deals'], 'count')})" for c in cal],
                   hovertemplate="%{customdata}<extra></extra>")],
        layout=base_layout(view, height=300, unit="rate", hovermode="closest",
                           xaxis={"type": "linear", "range": [0, 100], "ticksuffix": "\u00a0%" if view.lang == "fr"
                                  else "%", "title": {"text": view.t("deals.predicted")}},
                           yaxis={"range": [0, 100], "title": {"text": view.t("deals.observed")}}))
    return chart(fig, view.t("deals.calibration"), 300)


@router.get("/affaires", response_class=HTMLResponse)
@page
def deals_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    user = user_of(request)
    rep_name = _names(state, view)
    ctx: dict = {}
    try:
        od = F.open_deals(state, view.lang, user=user)
    except PilotageError as exc:
        od = None
        ctx["deals_error"] = _unavailable(view, exc)
    if od is not None:
        s = D.summary(od["deals"])
        bt = od["backtest"]
        ctx["as_of"] = view.date(dt.date.fromisoformat(od["as_of"]), "long")
        ctx["summary_tiles"] = [
            _tile(view, view.t("deals.open"), s["deals"], "count", key="deals"),
            _tile(view, view.t("deals.open_amount"), s["amount"], "money", href=view.url("/kpi/open_pipeline"),
                  key="amount"),
            _tile(view, view.t("deals.weighted"), s["weighted"], "money", title=view.t("deals.weighted_help"),
                  key="weighted"),
            _tile(view, view.t("deals.brier"), bt.get("brier"), "ratio", title=view.t("deals.brier_help"),
                  sub=(f"{view.t('deals.baseline')}{view.t('colon')} {view.fmt(bt.get('baseline_brier'), 'ratio')}"
                       if bt.get("baseline_brier") is not None else None), key="brier")]
        ctx["bt"] = bt
        ctx["bt_sentence"] = view.t("deals.bt_better" if bt.get("beats_baseline") else
                                    ("deals.bt_baseline" if bt.get("brier") is not None else "deals.bt_short"),
                                    tested=view.fmt(bt.get("tested"), "count"),
                                    split=view.date(dt.date.fromisoformat(bt["split_at"]), "long")
                                    if bt.get("split_at") else "")
        ctx["calibration_chart"] = calibration_chart(view, bt)
        ctx["calibration_table"] = {
            "caption": view.t("deals.calibration"),
            "head": [{"text": view.t("deals.bin"), "num": False}, {"text": view.t("deals.visits"), "num": True},
                     {"text": view.t("deals.predicted"), "num": True}, {"text": view.t("deals.observed"), "num": True}],
            "rows": [{"head": c["bin"], "cells": [{"text": view.fmt(c["deals"], "count"), "num": True},
                                                  {"text": view.fmt(c["predicted"], "rate"), "num": True},
                                                  {"text": view.fmt(c["observed"], "rate"), "num": True}]}
                     for c in bt.get("calibration") or []], "foot": None, "more": 0, "has_small": False}
        shown, more = _limit(od["deals"], request)
        rows = []
        for d in shown:
            head, cells = _deal_cells(view, d, rep_name)
            cells += [{"text": view.fmt(d["win_probability"], "rate"), "num": True, "sort": d["win_probability"],
                       "na": d["win_probability"] is None},
                      {"text": view.fmt(d["stage_probability"], "rate"), "num": True, "sort": d["stage_probability"]},
                      {"text": view.fmt_table(d["weighted"], "money"), "num": True, "sort": d["weighted"]},
                      {"text": ", ".join(d["factors"]) or "—", "num": False}]
            rows.append({**head, "cells": cells})
        ctx["deals_table"] = {
            "caption": view.t("deals.table"), "rows": rows, "foot": None, "more": more, "more_url": view.here(all=1),
            "has_small": False,
            "head": _deal_head(view) + [
                {"text": view.t("deals.p_win"), "num": True, "title": view.t("deals.p_win_help")},
                {"text": view.t("deals.p_stage"), "num": True, "title": view.t("deals.p_stage_help")},
                {"text": view.t("deals.weighted"), "num": True, "title": view.t("deals.weighted_help")},
                {"text": view.t("deals.factors"), "num": False, "title": view.t("deals.factors_help")}]}
    return render(request, "deals.html", view, state, page="deals", title=view.t("deals.title"), show_filters=False,
                  period_notes=[], **ctx)


# --------------------------------------------------------------------------- Valeur client
def clv_histogram(view: View, rows: list[dict]) -> dict:
    values = [r["clv"] for r in rows]
    fig = go.Figure(go.Histogram(x=values, nbinsx=40, marker={"color": PALETTE[0]}, name=view.t("cvalue.customers"),
                                 hovertemplate="%{x} : %{y}<extra></extra>"),
                    layout=base_layout(view, height=280, legend=False, hovermode="closest", bargap=0.05,
                                       xaxis={"type": "linear", "title": {"text": view.t("cvalue.clv")}},
                                       yaxis={"title": {"text": view.t("cvalue.customers")}}))
    return chart(fig, view.t("cvalue.distribution"), 280)


@router.get("/valeur-client", response_class=HTMLResponse)
@page
def clv_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    horizon = _choice(request, "horizon", HORIZONS, 12)
    view.extra["horizon"] = str(horizon)
    user = user_of(request)
    ctx: dict = {"horizon": horizon, "discount": 0.01,
                 "horizon_choices": [{"n": n, "href": view.here(horizon=n), "current": n == horizon}
                                     for n in HORIZONS]}
    try:
        pool = ThreadPoolExecutor(1)  # the two fits side by side (a cold page waits for the longer)
        fit_future = pool.submit(F.clv_fit, state, None, user)
        pool.shutdown(wait=False)
        rows = F.clv_customers(state, None, horizon, 0.01, user=user)
        fit = fit_future.result()
    except PilotageError as exc:
        rows = None
        ctx["clv_error"] = _unavailable(view, exc)
        ctx["clv_na"] = isinstance(exc, NotInScope)
    if rows is not None:
        tot = C.totals(rows)
        ctx["fit"] = fit
        ctx["until"] = view.date(dt.date.fromisoformat(fit["until"]), "long")
        ctx["head_tiles"] = [
            _tile(view, view.t("cvalue.customers"), tot["customers"], "count", key="customers"),
            _tile(view, view.t("cvalue.clv_total", h=horizon), tot["clv_total"], "money",
                  title=view.t("cvalue.clv_formula"), key="clv_total"),
            _tile(view, view.t("cvalue.clv_mean"), tot["clv_mean"], "money", title=view.t("cvalue.clv_formula"),
                  key="clv_mean"),
            _tile(view, view.t("cvalue.p_alive_mean"), tot["p_alive_mean"], "rate",
                  title=view.t("cvalue.p_alive_help"), key="p_alive")]
        ctx["histogram"] = clv_histogram(view, rows)
        seg = C.by_segment(rows)
        seg_label = labeller(state, view, "segment")
        ctx["segment_table"] = {
            "caption": view.t("cvalue.by_segment"),
            "head": [{"text": view.t("cvalue.segment"), "num": False},
                     {"text": view.t("cvalue.customers"), "num": True},
                     {"text": view.t("cvalue.clv_total_short"), "num": True},
                     {"text": view.t("cvalue.clv_mean"), "num": True},
                     {"text": view.t("cvalue.p_alive_mean"), "num": True}],
            "rows": [{"head": view.t("common.unknown") if g["segment"] == "—" else
                      seg_label(g["segment"]), "cells": [
                          {"text": view.fmt(g["customers"], "count"), "num": True, "sort": g["customers"]},
                          {"text": view.fmt_table(g["clv_total"], "money"), "num": True, "sort": g["clv_total"]},
                          {"text": view.fmt_table(g["clv_mean"], "money"), "num": True, "sort": g["clv_mean"]},
                          {"text": view.fmt(g["p_alive_mean"], "rate"), "num": True, "sort": g["p_alive_mean"]}]}
                     for g in seg], "foot": None, "more": 0, "has_small": False}
        shown, more = _limit(rows, request)
        names = F.account_names(state, [r["account_id"] for r in shown])
        ctx["top_table"] = {
            "caption": view.t("cvalue.top"), "foot": None, "more": more, "more_url": view.here(all=1),
            "has_small": False,
            "head": [{"text": view.t("cvalue.customer"), "num": False},
                     {"text": view.t("cvalue.segment"), "num": False},
                     {"text": view.t("cvalue.purchases"), "num": True, "title": view.t("cvalue.purchases_help")},
                     {"text": view.t("cvalue.p_alive"), "num": True, "title": view.t("cvalue.p_alive_help")},
                     {"text": view.t("cvalue.expected_purchases", h=horizon), "num": True},
                     {"text": view.t("cvalue.avg_spend"), "num": True},
                     {"text": view.t("cvalue.clv"), "num": True, "title": view.t("cvalue.clv_formula")}],
            "rows": [{"head": names.get(r["account_id"], r["account_id"]), "title": r["account_id"], "cells": [
                {"text": seg_label(r["segment"]) if r["segment"] else "—", "num": False},
                {"text": view.fmt(r["frequency"], "count"), "num": True, "sort": r["frequency"]},
                {"text": view.fmt(r["p_alive"], "rate"), "num": True, "sort": r["p_alive"]},
                {"text": view.fmt(r["expected_purchases"], "ratio"), "num": True, "sort": r["expected_purchases"]},
                {"text": view.fmt_table(r["expected_avg_spend"], "money"), "num": True,
                 "sort": r["expected_avg_spend"]},
                {"text": view.fmt_table(r["clv"], "money"), "num": True, "sort": r["clv"]}]} for r in shown]}
        bg, gg = fit["bgnbd"], fit["gamma_gamma"]

        def num(v):
            return view.fmt(v, "ratio")

        ctx["params"] = [("r", num(bg["r"])), ("α", num(bg["alpha"])), ("a", num(bg["a"])), ("b", num(bg["b"])),
                         (view.t("cvalue.loglik"), num(bg["log_likelihood"])),
                         ("p", num(gg["p"])), ("q", num(gg["q"])), ("γ", num(gg["gamma"])),
                         (view.t("cvalue.repeat_buyers"), view.fmt(gg["customers"], "count"))]
    return render(request, "clv.html", view, state, page="clv", title=view.t("cvalue.title"), show_filters=False,
                  period_notes=[], **ctx)
