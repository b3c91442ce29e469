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
from babel.numbers import get_decimal_symbol, get_group_symbol

from pilotage import formatting

if TYPE_CHECKING:
    from pilotage.web.pages.common import View

PALETTE = ("#1f5fa8", "#d9730d", "#2a8a50", "#b8323f", "#7452b8", "#0b8794", "#b08d00", "#c2418f",
           "#3d7a1f", "#8c564b", "#17becf", "#9e9ac8", "#e7969c")
MAX_SERIES = 6  # more colours than that cannot be told apart: the rest is grouped as "Autres"
OTHERS_COLOUR = "#9ca3af"


def colours(keys) -> dict:
    """One colour per key (a product, a source) whatever the chart: keys in a stable order
    (sorted as text), the first MAX_SERIES get PALETTE's colours, the others the grey of "Autres"."""
    ordered = sorted({str(k) for k in keys})
    return {k: PALETTE[i] if i < MAX_SERIES else OTHERS_COLOUR for i, k in enumerate(ordered)}

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
        return {}  # ticks computed by chart(): 15 M€, never plotly's SI "15M" or "800m"
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
        meta={"unit": unit, "locale": view.locale, "currency": view.currency, "empty": view.t("common.no_data_chart")},
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


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]: steps of 1, 2, 2.5 or 5 times a power of ten."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi - lo <= 0:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw - 1e-12)
    first = math.floor(lo / step + 1e-9) * step
    ticks = [first]
    while ticks[-1] < hi - 1e-9 * step:
        ticks.append(ticks[-1] + step)
    return ticks


def _axis_values(fig: go.Figure, axis: str) -> list[float]:
    """The plotted values along ``axis`` ("x" or "y"), stacked bars summed per category."""
    stacked = fig.layout.barmode in ("stack", "relative")
    sums: dict = {}
    out: list[float] = []
    for tr in fig.data:
        if tr.type not in ("bar", "scatter"):
            continue
        on = "x" if getattr(tr, "orientation", None) == "h" else "y"
        if on != axis or (axis == "y" and tr.yaxis not in (None, "y")):
            continue
        cats = (tr.y if axis == "x" else tr.x) or ()
        vals = (tr.x if axis == "x" else tr.y) or ()
        for i, v in enumerate(vals):
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            if stacked and tr.type == "bar":
                key = cats[i] if i < len(cats) else i
                sums[key] = sums.get(key, 0.0) + float(v)
            else:
                out.append(float(v))
    return out + list(sums.values())


def _has_data(fig: go.Figure) -> bool:
    for tr in fig.data:
        if tr.type not in ("bar", "scatter"):
            return True  # histograms, funnels: drawn as they are
        for v in list(tr.y or ()) + list(tr.x if getattr(tr, "orientation", None) == "h" else ()):
            if v is not None and not (isinstance(v, float) and math.isnan(v)) and not isinstance(v, str):
                return True
    return False


def chart(fig: go.Figure, label: str, height: int) -> dict:
    """The figure as JSON for the page. Money and count axes get ticks in the view's locale
    (15 M€, 12 k; €15M, 12K), computed here rather than by plotly's SI format ("800m");
    a chart with no value at all is replaced by "pas de données pour cette période"."""
    meta = dict(fig.layout.meta or {}) if isinstance(fig.layout.meta, dict) else {}
    fig.layout.meta = None
    if meta and not _has_data(fig):
        return {"id": f"chart-{next(_counter)}", "json": "{}", "label": label, "height": height,
                "empty": meta.get("empty")}
    unit = meta.get("unit")
    if unit in ("money", "count"):
        axis = "x" if any(getattr(tr, "orientation", None) == "h" for tr in fig.data) else "y"
        ax = fig.layout.xaxis if axis == "x" else fig.layout.yaxis
        values = _axis_values(fig, axis)
        if values and ax.visible is not False and (unit == "money" or max(map(abs, values)) >= 1000):
            ticks = nice_ticks(min(values), max(values))
            text = [formatting.fmt_whole(v, meta["locale"], meta["currency"])
                    if unit == "money" and abs(v) < 1000 and float(v).is_integer()
                    else formatting.fmt_compact(v, unit, meta["locale"], meta["currency"]) for v in ticks]
            ax.update(tickmode="array", tickvals=ticks, ticktext=text, ticksuffix="", tickprefix="",
                      range=[ticks[0], ticks[-1] + (ticks[-1] - ticks[0]) * 0.03])
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
    layout["meta"]["unit"] = unit
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
