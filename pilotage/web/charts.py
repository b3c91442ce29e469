"""Chart helpers of the dashboard: plotly figures in the view's locale, one palette, JSON for the page.

A chart is a dict (id, json, label, height) that the templates turn into a
``<script type="application/json">`` read by static/pilotage.js; no page
module builds plotly layouts by hand beyond what these helpers offer.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_date
from babel.numbers import format_currency, get_currency_symbol, get_decimal_symbol, get_group_symbol

if TYPE_CHECKING:
    from pilotage.web.pages.common import View

PALETTE = ("#1f5fa8", "#d9730d", "#2a8a50", "#b8323f", "#7452b8", "#5a6872", "#b08d00", "#0b8794",
           "#c2418f", "#3d7a1f", "#8c564b", "#17becf", "#9e9ac8", "#e7969c")

PLOTLY_CONFIG = {
    "displaylogo": False, "displayModeBar": False, "responsive": True, "showTips": False,
    "scrollZoom": False, "doubleClick": False, "typesetMath": False,
    "topojsonURL": "/static/",  # never used (no maps), and never another host
}


def period_label(view: View, d, grain: str) -> str:
    d = pd.Timestamp(d).date()
    if grain == "month":
        return format_date(d, "MMM y", locale=view.locale)
    if grain == "quarter":
        q = ((d.month - view.fiscal_start) % 12) // 3 + 1
        return f"{view.t('quarter.short')}{q} {d.year}"
    if grain == "year":
        return str(d.year)
    return format_date(d, "short", locale=view.locale)


_counter = iter(range(1, 1 << 62))


def _separators(locale: str) -> str:
    group = get_group_symbol(locale)
    return get_decimal_symbol(locale) + ("\u00a0" if group.isspace() else group)


def axis_unit(view: View, unit: str) -> dict:
    if unit == "rate":
        return {"ticksuffix": "\u00a0%" if view.lang == "fr" else "%"}
    if unit == "money":
        sym = get_currency_symbol(view.currency, locale=view.locale)
        if format_currency(1, view.currency, locale=view.locale).startswith(sym):
            return {"tickprefix": sym, "tickformat": "~s"}
        return {"ticksuffix": "\u00a0" + sym, "tickformat": "~s"}
    if unit == "days":
        return {"ticksuffix": "\u00a0j" if view.lang == "fr" else " d"}
    return {}


def plot_values(values, unit: str) -> list:
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        else:
            out.append(float(v) * (100 if unit == "rate" else 1))
    return out


def base_layout(view: View, *, height: int = 300, unit: str = "count", legend: bool = True, **kw) -> dict:
    layout = dict(
        template=go.layout.Template(), height=height, separators=_separators(view.locale),
        font={"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 12,
              "color": "#1f2937"},
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        showlegend=legend, legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0,
                                   "font": {"size": 12}, "traceorder": "normal"},
        hovermode="x unified",
        hoverlabel={"bgcolor": "#ffffff", "bordercolor": "#9ca3af", "font": {"color": "#111827"}},
        xaxis={"type": "category", "automargin": True, "fixedrange": True, "showgrid": False,
               "linecolor": "#9ca3af", "tickfont": {"color": "#374151"}},
        yaxis={"automargin": True, "fixedrange": True, "gridcolor": "#e5e7eb", "zerolinecolor": "#9ca3af",
               "rangemode": "tozero", "tickfont": {"color": "#374151"}, **axis_unit(view, unit)},
    )
    for k, v in kw.items():
        if isinstance(v, dict) and isinstance(layout.get(k), dict):
            layout[k] = {**layout[k], **v}
        else:
            layout[k] = v
    return layout


def chart(fig: go.Figure, label: str, height: int) -> dict:
    text = fig.to_json()
    # safe inside <script type="application/json">: no "</" can close the element
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return {"id": f"chart-{next(_counter)}", "json": text, "label": label, "height": height}


def series_trace(view: View, kind: str, x, values, unit: str, name: str, color: str, **kw):
    y = plot_values(values, unit)
    text = [view.fmt(v, unit) for v in values]
    common = dict(x=x, y=y, name=name, customdata=text, hovertemplate="%{customdata}",
                  **kw)
    if kind == "bar":
        return go.Bar(marker={"color": color}, **common)
    return go.Scatter(mode="lines+markers", line={"color": color, "width": 2}, marker={"size": 5},
                      connectgaps=False, **common)


def time_chart(view: View, df: pd.DataFrame, series: list[tuple], unit: str, *, label: str,
               height: int = 300, stacked: bool = False, grain: str | None = None) -> dict:
    """series: (column, name, kind) with kind "bar" or "line"."""
    grain = grain or view.grain
    x = [period_label(view, d, grain) for d in df["period"]] if df is not None and len(df) else []
    traces = []
    for n, (col, name, kind) in enumerate(series):
        values = list(df[col]) if df is not None and col in df.columns else []
        traces.append(series_trace(view, kind, x, values, unit, name, PALETTE[n % len(PALETTE)]))
    layout = base_layout(view, height=height, unit=unit, legend=len(series) > 1)
    if stacked:
        layout["barmode"] = "stack"
    fig = go.Figure(traces, layout=layout)
    return chart(fig, label, height)


def bar_chart(view: View, categories: list[str], series: list[tuple], unit: str, *, label: str,
              height: int = 300, horizontal: bool = False) -> dict:
    """series: (name, values)."""
    traces = []
    for n, (name, values) in enumerate(series):
        y = plot_values(values, unit)
        text = [view.fmt(v, unit) for v in values]
        color = PALETTE[n % len(PALETTE)]
        if horizontal:
            traces.append(go.Bar(y=categories, x=y, orientation="h", name=name, marker={"color": color},
                                 customdata=text, hovertemplate="%{y} : %{customdata}<extra></extra>"))
        else:
            traces.append(go.Bar(x=categories, y=y, name=name, marker={"color": color}, customdata=text,
                                 hovertemplate="%{customdata}"))
    if horizontal:
        layout = base_layout(view, height=height, unit="count", legend=len(series) > 1, hovermode="closest",
                         yaxis={"type": "category", "autorange": "reversed", "gridcolor": "rgba(0,0,0,0)",
                                "rangemode": "normal", "ticksuffix": "", "tickprefix": ""},
                         xaxis={"type": "linear", "showgrid": True, "gridcolor": "#e5e7eb",
                                **axis_unit(view, unit)})
    else:
        layout = base_layout(view, height=height, unit=unit, legend=len(series) > 1)
    return chart(go.Figure(traces, layout=layout), label, height)


def sparkline(view: View, df: pd.DataFrame | None, col: str, unit: str, label: str) -> dict | None:
    if df is None or col not in df.columns or df[col].isna().all():
        return None
    x = [period_label(view, d, view.grain) for d in df["period"]]
    values = list(df[col])
    y = plot_values(values, unit)
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", line={"color": PALETTE[0], "width": 2},
                               fill="tozeroy", fillcolor="rgba(31,95,168,0.10)", connectgaps=True,
                               customdata=[view.fmt(v, unit) for v in values],
                               hovertemplate="%{x} : %{customdata}<extra></extra>"),
                    layout=base_layout(view, height=48, unit=unit, legend=False, hovermode="closest",
                                   margin={"l": 0, "r": 0, "t": 2, "b": 2},
                                   xaxis={"visible": False}, yaxis={"visible": False}))
    return chart(fig, label, 48)
