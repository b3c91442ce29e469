"""The dashboard pages: server-rendered HTML (Jinja2), plotly charts, French by default.

Every figure comes from :mod:`pilotage.web.data` (the functions the REST API
calls too, cached), so a page and the API cannot disagree. The state of a view
(period, grain, filters, comparison, language) lives in the query string, so a
view can be bookmarked and shared:

- ``period``: a preset (month, last_month, quarter, last_quarter, ytd, 12m) or
  ``custom`` with ``from`` and ``to`` (YYYY-MM-DD, ``to`` excluded); presets are
  computed from today (``today=YYYY-MM-DD`` overrides it, handy for tests);
- ``grain``: day, week, month, quarter, year (automatic from the range when absent);
- ``team``, ``rep``, ``source``, ``segment``, ``pipeline``: filters. A KPI only
  gets the filters its records carry (``dimensions_of``); the others are set
  aside for it and the page says so;
- ``compare``: previous (period) or year (same period last year);
- ``lang``: fr (default) or en.

Numbers follow the workspace locale (1 234,56 €, 25,0 %) when it speaks the
page's language, else that language's usual locale (English pages of a French
workspace show €1,234.56).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, get_currency_symbol, get_decimal_symbol, get_group_symbol
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from pilotage import formatting
from pilotage.catalogue.kpis import BY_ID, SECTION_LABELS, SECTIONS
from pilotage.catalogue.model import Growth, Ratio
from pilotage.engine import periods as P
from pilotage.engine.query import default_range, dimensions_of, measures_of, resolve_range, side_by_side
from pilotage.errors import PilotageError
from pilotage.exports import safe_cell
from pilotage.web import data, i18n
from pilotage.web.app import State, StateDep

router = APIRouter(include_in_schema=False)
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

FILTER_DIMS = ("team", "rep", "source", "segment", "pipeline")
PRESETS = ("month", "last_month", "quarter", "last_quarter", "ytd", "12m", "custom")
DEFAULT_PRESET = "12m"
COMPARES = ("previous", "year")
MAX_PERIODS = 800  # a chart with more points than that is unreadable and slow
RECORDS_PAGE = 25
CSV_MAX_ROWS = 100_000
DIST_MAX_ROWS = 50_000  # rows read for the distributions of the pipeline page
BREAKDOWN_ROWS = 12

NAV = (("overview", "/"), ("leads", "/leads"), ("pipeline", "/pipeline"), ("team", "/equipe"),
       ("customers", "/clients"), ("pricing", "/prix"), ("catalogue", "/catalogue"))

PALETTE = ("#1f5fa8", "#d9730d", "#2a8a50", "#b8323f", "#7452b8", "#5a6872", "#b08d00", "#0b8794",
           "#c2418f", "#3d7a1f", "#8c564b", "#17becf", "#9e9ac8", "#e7969c")

PLOTLY_CONFIG = {
    "displaylogo": False, "displayModeBar": False, "responsive": True, "showTips": False,
    "scrollZoom": False, "doubleClick": False, "typesetMath": False,
    "topojsonURL": "/static/",  # never used (no maps), and never another host
}


class PageError(Exception):
    """A request the page cannot answer: shown as an error page with its status (never a 500)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


# --------------------------------------------------------------------------- the view (query string)
@dataclass
class View:
    path: str
    lang: str
    today: dt.date
    today_given: bool
    period: str
    start: dt.date
    end: dt.date
    grain_param: str | None
    grain: str
    filters: dict[str, str]
    compare: str
    locale: str
    currency: str
    fiscal_start: int = 1
    week_start: str = "monday"
    extra: dict[str, str] = field(default_factory=dict)

    def params(self, **over) -> dict[str, str]:
        p: dict[str, str] = {}
        if self.lang != i18n.DEFAULT_LANG:
            p["lang"] = self.lang
        if self.period != DEFAULT_PRESET:
            p["period"] = self.period
        if self.period == "custom":
            p["from"], p["to"] = self.start.isoformat(), self.end.isoformat()
        if self.grain_param:
            p["grain"] = self.grain_param
        p.update(self.filters)
        if self.compare != "previous":
            p["compare"] = self.compare
        if self.today_given:
            p["today"] = self.today.isoformat()
        for k, v in over.items():
            k = "from" if k == "from_" else k
            if v is None:
                p.pop(k, None)
            else:
                p[k] = str(v)
        return p

    def url(self, path: str, **over) -> str:
        q = urlencode(self.params(**over))
        return path + ("?" + q if q else "")

    def here(self, **over) -> str:
        """This page with other parameters (page-specific ones kept)."""
        return self.url(self.path, **{**self.extra, **over})

    # formatting in the view's locale
    def fmt(self, v, unit: str) -> str:
        return formatting.fmt(v, unit, self.locale, self.currency)

    def fmt_change(self, change, kind: str) -> str:
        return formatting.fmt_change(change, kind, self.locale)

    def date(self, d, fmt: str = "long") -> str:
        return format_date(d, fmt, locale=self.locale)

    def t(self, key: str, **kw) -> str:
        return i18n.t(key, self.lang, **kw)


def number_locale(ws_locale: str, lang: str) -> str:
    return ws_locale if formatting.lang(ws_locale) == lang else {"fr": "fr_FR", "en": "en_US"}[lang]


def _parse_date(value: str, what: str, lang: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise PageError(400, i18n.t("error.bad_date", lang, what=what, value=value)) from None


def preset_range(preset: str, today: dt.date, fiscal_start: int = 1) -> tuple[dt.date, dt.date]:
    """[start, end) of a period preset, relative to ``today`` (the current month, quarter... whole)."""
    month = today.replace(day=1)
    if preset == "month":
        return month, P.add_months(month, 1)
    if preset == "last_month":
        return P.add_months(month, -1), month
    if preset in ("quarter", "last_quarter"):
        q = P.floor(today, "quarter", fiscal_start)
        return (q, P.add_months(q, 3)) if preset == "quarter" else (P.add_months(q, -3), q)
    if preset == "ytd":
        return P.floor(today, "year", fiscal_start), P.add_months(month, 1)
    return default_range(today)


def auto_grain(start: dt.date, end: dt.date) -> str:
    days = (end - start).days
    if days <= 100:
        return "week"
    if days <= 1100:
        return "month"
    return "quarter"


def parse_view(request: Request, state: State, path: str | None = None) -> View:
    q = request.query_params
    lang = i18n.norm_lang(q.get("lang"))
    settings = state.ws.settings
    t = functools.partial(i18n.t, lang=lang)
    today_raw = (q.get("today") or "").strip()
    today = _parse_date(today_raw, "today", lang) if today_raw else dt.date.today()
    period = (q.get("period") or "").strip()
    from_raw, to_raw = (q.get("from") or "").strip(), (q.get("to") or "").strip()
    if not period:
        period = "custom" if (from_raw or to_raw) else DEFAULT_PRESET
    if period not in PRESETS:
        raise PageError(400, t("error.bad_choice", what=t("filters.period"), value=period,
                               choices=", ".join(PRESETS)))
    if period == "custom":
        start = _parse_date(from_raw, t("filters.from"), lang) if from_raw else None
        end = _parse_date(to_raw, t("filters.to"), lang) if to_raw else None
        start, end = resolve_range(start, end, today)
    else:
        start, end = preset_range(period, today, settings.fiscal_year_start)
    if end <= start:
        raise PageError(400, t("error.empty_range", start=start.isoformat(), end=end.isoformat()))
    grain_param = (q.get("grain") or "").strip() or None
    if grain_param is not None and grain_param not in P.GRAINS:
        raise PageError(400, t("error.bad_choice", what=t("filters.grain"), value=grain_param,
                               choices=", ".join(P.GRAINS)))
    grain = grain_param or auto_grain(start, end)
    n_periods = len(P.periods(start, end, grain, settings.fiscal_year_start, settings.week_start))
    if n_periods > MAX_PERIODS:
        raise PageError(400, t("error.too_many_periods", n=n_periods, max=MAX_PERIODS))
    compare = (q.get("compare") or "previous").strip()
    if compare not in COMPARES:
        raise PageError(400, t("error.bad_choice", what=t("filters.compare"), value=compare,
                               choices=", ".join(COMPARES)))
    filters = {d: q[d].strip() for d in FILTER_DIMS if (q.get(d) or "").strip()}
    return View(path=path or request.url.path, lang=lang, today=today, today_given=bool(today_raw),
                period=period, start=start, end=end, grain_param=grain_param, grain=grain, filters=filters,
                compare=compare, locale=number_locale(settings.locale, lang), currency=settings.currency,
                fiscal_start=settings.fiscal_year_start, week_start=settings.week_start)


# --------------------------------------------------------------------------- fetching KPIs
class Notes:
    """Filters set aside for KPIs that cannot take them: dimension -> KPI ids."""

    def __init__(self):
        self.ignored: dict[str, list[str]] = {}

    def add(self, dim: str, kpi_id: str) -> None:
        ids = self.ignored.setdefault(dim, [])
        if kpi_id not in ids:
            ids.append(kpi_id)

    def items(self, lang: str) -> list[dict]:
        return [{"dim": i18n.dimension(d, lang), "kpis": [BY_ID[i].label[lang] for i in ids]}
                for d, ids in self.ignored.items()]


def kpi_filters(filters: dict[str, str], kpi_id: str) -> dict[str, str]:
    dims = dimensions_of(BY_ID[kpi_id])
    return {d: v for d, v in filters.items() if d in dims}


def fetch(state: State, view: View, ids, *, grain: str | None = None, by=(), start=None, end=None,
          filters: dict | None = None, common: bool = False, notes: Notes | None = None) -> pd.DataFrame:
    """``data.kpi`` for ``ids``, each KPI getting only the filters it can take.

    KPIs sharing the same applicable filters go in one engine call. ``common``
    gives every KPI the filters they can all take (one call, consistent ratios).
    """
    ids = list(ids)
    filters = dict(view.filters if filters is None else filters)
    if common:
        dims = set.intersection(*(set(dimensions_of(BY_ID[i])) for i in ids))
        applied = {d: v for d, v in filters.items() if d in dims}
        groups = {tuple(sorted(applied.items())): ids}
    else:
        groups: dict[tuple, list[str]] = {}
        for i in ids:
            groups.setdefault(tuple(sorted(kpi_filters(filters, i).items())), []).append(i)
    if notes is not None:
        for f, g in groups.items():
            for i in g:
                for d in filters:
                    if d not in dict(f):
                        notes.add(d, i)
    keys = (["period"] if grain else []) + list(by)
    out = None
    for f, g in groups.items():
        df = data.kpi(state, g, grain=grain, by=list(by), start=start or view.start, end=end or view.end,
                      filters=dict(f))
        out = df if out is None else side_by_side(out, df, keys)
    if keys and out is not None and len(groups) > 1:
        out = out.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)
    return out


def val(df: pd.DataFrame | None, col: str, i: int = 0):
    if df is None or col not in df.columns or len(df) <= i:
        return None
    v = df[col].iloc[i]
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v.item() if hasattr(v, "item") else v


def is_small(row, kpi_id: str) -> bool:
    v = row.get(f"{kpi_id}_small_sample") if hasattr(row, "get") else None
    return bool(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) else False


def counts_ratio(kpi_id: str) -> bool:
    """A rate made of counts: its numerator and denominator are shown with it (19 sur 46)."""
    k = BY_ID[kpi_id]
    if not isinstance(k.kind, Ratio) or k.unit != "rate":
        return False
    return all(m.agg in ("count", "count_distinct", "count_groups") for m in measures_of(k))


# --------------------------------------------------------------------------- labels
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


def labeller(state: State, view: View, dim: str):
    """value -> label for a dimension (names of reps, teams, campaigns, products; words for codes)."""
    names = {}
    if dim in ("rep", "team", "campaign", "product"):
        names = dict(data.dimension_values(state, dim))

    def label(v) -> str:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return view.t("common.unknown")
        return names.get(str(v)) or i18n.value_label(dim, v, view.lang)

    return label


def kpi_label(view: View, kpi_id: str) -> str:
    return BY_ID[kpi_id].label[view.lang]


# --------------------------------------------------------------------------- charts
_counter = iter(range(1, 1 << 62))


def _separators(locale: str) -> str:
    group = get_group_symbol(locale)
    return get_decimal_symbol(locale) + ("\u00a0" if group.isspace() else group)


def _axis_unit(view: View, unit: str) -> dict:
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


def _plot_values(values, unit: str) -> list:
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        else:
            out.append(float(v) * (100 if unit == "rate" else 1))
    return out


def _layout(view: View, *, height: int = 300, unit: str = "count", legend: bool = True, **kw) -> dict:
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
               "rangemode": "tozero", "tickfont": {"color": "#374151"}, **_axis_unit(view, unit)},
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
    y = _plot_values(values, unit)
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
    layout = _layout(view, height=height, unit=unit, legend=len(series) > 1)
    if stacked:
        layout["barmode"] = "stack"
    fig = go.Figure(traces, layout=layout)
    return chart(fig, label, height)


def bar_chart(view: View, categories: list[str], series: list[tuple], unit: str, *, label: str,
              height: int = 300, horizontal: bool = False) -> dict:
    """series: (name, values)."""
    traces = []
    for n, (name, values) in enumerate(series):
        y = _plot_values(values, unit)
        text = [view.fmt(v, unit) for v in values]
        color = PALETTE[n % len(PALETTE)]
        if horizontal:
            traces.append(go.Bar(y=categories, x=y, orientation="h", name=name, marker={"color": color},
                                 customdata=text, hovertemplate="%{y} : %{customdata}<extra></extra>"))
        else:
            traces.append(go.Bar(x=categories, y=y, name=name, marker={"color": color}, customdata=text,
                                 hovertemplate="%{customdata}"))
    if horizontal:
        layout = _layout(view, height=height, unit="count", legend=len(series) > 1, hovermode="closest",
                         yaxis={"type": "category", "autorange": "reversed", "gridcolor": "rgba(0,0,0,0)",
                                "rangemode": "normal", "ticksuffix": "", "tickprefix": ""},
                         xaxis={"type": "linear", "showgrid": True, "gridcolor": "#e5e7eb",
                                **_axis_unit(view, unit)})
    else:
        layout = _layout(view, height=height, unit=unit, legend=len(series) > 1)
    return chart(go.Figure(traces, layout=layout), label, height)


def sparkline(view: View, df: pd.DataFrame | None, col: str, unit: str, label: str) -> dict | None:
    if df is None or col not in df.columns or df[col].isna().all():
        return None
    x = [period_label(view, d, view.grain) for d in df["period"]]
    values = list(df[col])
    y = _plot_values(values, unit)
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", line={"color": PALETTE[0], "width": 2},
                               fill="tozeroy", fillcolor="rgba(31,95,168,0.10)", connectgaps=True,
                               customdata=[view.fmt(v, unit) for v in values],
                               hovertemplate="%{x} : %{customdata}<extra></extra>"),
                    layout=_layout(view, height=48, unit=unit, legend=False, hovermode="closest",
                                   margin={"l": 0, "r": 0, "t": 2, "b": 2},
                                   xaxis={"visible": False}, yaxis={"visible": False}))
    return chart(fig, label, 48)


# --------------------------------------------------------------------------- tables
def _cell(view: View, value, unit: str, small: bool = False) -> dict:
    return {"text": view.fmt(value, unit), "num": True, "small": small and value is not None,
            "na": value is None}


def kpi_table(state: State, view: View, df: pd.DataFrame | None, ids: list[str], *, dim: str | None,
              caption: str, sort: str | None = None, limit: int | None = None, total: pd.DataFrame | None = None,
              first_col: str | None = None, link_filters: dict | None = None, extra_cols=(),
              flag_small: bool = True) -> dict:
    """A real table: one row per value of ``dim`` (or per period), one column per KPI."""
    label = labeller(state, view, dim) if dim and dim != "period" else None
    head = [{"text": first_col or (i18n.dimension(dim, view.lang) if dim and dim != "period"
                                   else view.t("common.period")), "href": None, "num": False}]
    for extra in extra_cols:
        head.append({"text": extra["label"], "href": None, "num": extra.get("num", False)})
    for i in ids:
        head.append({"text": kpi_label(view, i), "href": view.url(f"/kpi/{i}", **(link_filters or {})),
                     "num": True})
    rows = []
    more = 0
    if df is not None and len(df):
        d = df
        if sort and sort in d.columns:
            d = d.sort_values(sort, ascending=False, na_position="last", kind="stable")
        records = d.to_dict(orient="records")
        if limit and len(records) > limit:
            more = len(records) - limit
            records = records[:limit]
        for r in records:
            head_text = (label(r.get(dim)) if label else period_label(view, r["period"], view.grain)
                         if dim == "period" else "")
            cells = [{"text": ex["value"](r), "num": ex.get("num", False)} for ex in extra_cols]
            for i in ids:
                unit = BY_ID[i].unit
                cells.append(_cell(view, _clean(r.get(i)), unit, flag_small and is_small(r, i)))
            rows.append({"head": head_text, "cells": cells})
    foot = None
    if total is not None and len(total):
        r = total.to_dict(orient="records")[0]
        foot = {"head": view.t("common.total"),
                "cells": [{"text": "", "num": False} for _ in extra_cols]
                + [_cell(view, _clean(r.get(i)), BY_ID[i].unit, flag_small and is_small(r, i)) for i in ids]}
    return {"caption": caption, "head": head, "rows": rows, "foot": foot, "more": more,
            "has_small": any(c.get("small") for row in rows for c in row["cells"])}


def _clean(v):
    if v is None:
        return None
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        return v
    return v.item() if hasattr(v, "item") else v


def tile(view: View, kpi_id: str, value, *, sub: str | None = None, small: bool = False, warn: str | None = None,
         link_filters: dict | None = None, label: str | None = None) -> dict:
    return {"id": kpi_id, "label": label or kpi_label(view, kpi_id),
            "url": view.url(f"/kpi/{kpi_id}", **(link_filters or {})),
            "text": view.fmt(value, BY_ID[kpi_id].unit), "na": value is None, "sub": sub,
            "small": small and value is not None, "warn": warn}


def tiles_from(view: View, df: pd.DataFrame | None, ids: list[str], **kw) -> list[dict]:
    out = []
    for i in ids:
        v = val(df, i)
        sub = None
        if counts_ratio(i) and val(df, f"{i}_denominator"):
            sub = (f"{view.fmt(val(df, f'{i}_numerator'), 'count')} {view.t('common.of')} "
                   f"{view.fmt(val(df, f'{i}_denominator'), 'count')}")
        small = bool(val(df, f"{i}_small_sample")) if f"{i}_small_sample" in (df.columns if df is not None
                                                                                else ()) else False
        out.append(tile(view, i, v, sub=sub, small=small, **kw))
    return out


# --------------------------------------------------------------------------- rendering
def _filter_options(state: State, view: View) -> list[dict]:
    out = []
    for dim in FILTER_DIMS:
        label = labeller(state, view, dim)
        try:
            values = data.dimension_values(state, dim)
        except PilotageError:
            values = []
        choices = [(i, label(i)) for i, _ in values]
        if dim in ("source", "segment", "pipeline"):
            choices.sort(key=lambda c: c[1].lower())
        out.append({"name": dim, "label": view.t(f"filters.{dim}"), "choices": choices,
                    "all": view.t("filters.all" if dim in ("team", "source") else "filters.all_m"),
                    "selected": view.filters.get(dim, "")})
    return out


def _nav(view: View | None, lang: str, current: str | None) -> list[dict]:
    out = []
    for key, path in NAV:
        href = view.url(path, page=None) if view else (path + ("?lang=en" if lang == "en" else ""))
        out.append({"key": key, "href": href, "text": i18n.t(f"nav.{key}", lang), "current": key == current})
    return out


def render(request: Request, template: str, view: View, state: State, *, page: str | None, title: str,
           notes: Notes | None = None, status: int = 200, **ctx) -> HTMLResponse:
    other = "en" if view.lang == "fr" else "fr"
    context = {
        "request": request, "view": view, "lang": view.lang, "t": view.t, "title": title, "page": page,
        "nav": _nav(view, view.lang, page),
        "lang_url": view.here(lang=other if other != i18n.DEFAULT_LANG else None), "other_lang": other,
        "filters": _filter_options(state, view), "presets": PRESETS, "grains": P.GRAINS,
        "compares": COMPARES, "notes": notes.items(view.lang) if notes else [],
        "range_text": _range_text(view), "plotly_config": json.dumps(PLOTLY_CONFIG),
        "show_filters": True,
    }
    context.update(ctx)
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


def _range_text(view: View) -> str:
    last = view.end - dt.timedelta(days=1)
    return f"{view.date(view.start, 'long')} – {view.date(last, 'long')}"


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    lang = i18n.norm_lang(request.query_params.get("lang"))
    title = i18n.t("error.404" if status == 404 else "error.title", lang)
    context = {"request": request, "lang": lang, "t": functools.partial(i18n.t, lang=lang), "title": title,
               "page": None, "nav": _nav(None, lang, None), "show_filters": False, "message": message,
               "status": status, "other_lang": "en" if lang == "fr" else "fr",
               "lang_url": request.url.path + ("" if lang == "en" else "?lang=en"),
               "home": "/" + ("?lang=en" if lang == "en" else ""), "plotly_config": "{}", "notes": []}
    try:
        return TEMPLATES.TemplateResponse(request, "error.html", context, status_code=status)
    except Exception:  # the error page must never fail itself
        import html

        return HTMLResponse(f"<!doctype html><html lang={lang}><title>Pilotage</title>"
                            f"<p role=alert>{html.escape(message)}</p></html>", status_code=status)


def page(fn):
    """Route wrapper: a PageError becomes its error page (400...), not a 500."""
    @functools.wraps(fn)
    def wrapper(request: Request, *args, **kwargs):
        try:
            return fn(request, *args, **kwargs)
        except PageError as exc:
            return error_page(request, exc.status, exc.message)
    return wrapper


# --------------------------------------------------------------------------- overview
def _cards(state: State, view: View, ids: list[str], compare: str, notes: Notes | None = None) -> dict:
    groups: dict[tuple, list[str]] = {}
    for i in ids:
        groups.setdefault(tuple(sorted(kpi_filters(view.filters, i).items())), []).append(i)
        if notes is not None:
            for d in view.filters:
                if d not in dimensions_of(BY_ID[i]):
                    notes.add(d, i)
    out = {}
    for f, g in groups.items():
        for c in data.focus_cards(state, ids=g, start=view.start, end=view.end, filters=dict(f), compare=compare):
            out[c["id"]] = c
    return out


def _change(view: View, card: dict | None, label: str) -> dict:
    if not card or card.get("change") is None:
        return {"label": label, "text": "—", "cls": "neutral", "arrow": "", "sr": ""}
    ch = card["change"]
    arrow = "▲" if ch > 0 else "▼" if ch < 0 else "="
    good = card.get("good")
    cls = "neutral" if good is None or ch == 0 else "good" if good else "bad"
    sr = "" if cls == "neutral" else view.t("common.improving" if good else "common.worsening")
    return {"label": label, "text": view.fmt_change(ch, card["change_kind"]), "cls": cls, "arrow": arrow, "sr": sr}


def spark_range(view: View) -> tuple[dt.date, dt.date]:
    last = P.floor(view.end - dt.timedelta(days=1), view.grain, view.fiscal_start, view.week_start)
    return P.step(last, view.grain, -11), view.end


@router.get("/", response_class=HTMLResponse)
@page
def overview(request: Request, state: StateDep):
    view = parse_view(request, state)
    focus = [i for i in state.ws.settings.focus if i in BY_ID]
    notes = Notes()
    prev = _cards(state, view, focus, "previous", notes)
    year = _cards(state, view, focus, "year")
    s_start, s_end = spark_range(view)
    spark = fetch(state, view, focus, grain=view.grain, start=s_start, end=s_end) if focus else None
    quota = fetch(state, view, ["quota_attainment"])
    cards = []
    for i in focus:
        k = BY_ID[i]
        c = prev.get(i) or {}
        v = c.get("value")
        card = {"id": i, "label": k.label[view.lang], "url": view.url(f"/kpi/{i}"), "text": view.fmt(v, k.unit),
                "na": v is None, "small": bool(c.get("small_sample")) and v is not None,
                "changes": [_change(view, c, view.t("common.vs_previous")),
                            _change(view, year.get(i), view.t("common.vs_year"))],
                "sub": None, "target": None, "warn": None,
                "ignored": [i18n.dimension(d, view.lang) for d in view.filters if d not in dimensions_of(k)],
                "spark": sparkline(view, spark, i, k.unit, f"{k.label[view.lang]} : {view.t('overview.sparkline')}")}
        if counts_ratio(i) and c.get("denominator"):
            card["sub"] = (f"{view.fmt(c.get('numerator'), 'count')} {view.t('common.of')} "
                           f"{view.fmt(c.get('denominator'), 'count')}")
        if i == "revenue" and set(kpi_filters(view.filters, i)) <= {"rep", "team"}:
            att, target = val(quota, "quota_attainment"), val(quota, "quota_attainment_denominator")
            if att is not None and target:
                card["target"] = (f"{view.t('overview.target')} : {view.fmt(target, 'money')} · "
                                  f"{view.t('overview.attained')} {view.fmt(att, 'rate')}")
        if i == "reps_at_quota_share" and v is not None and v < 0.6:
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
    ], layout=_layout(view, height=320, unit="money"))
    revenue_chart = chart(fig, view.t("overview.revenue_chart"), 320)
    return render(request, "overview.html", view, state, page="overview", title=view.t("overview.title"),
                  notes=notes, cards=cards, revenue_chart=revenue_chart,
                  revenue_total=view.fmt(prev["revenue"]["value"] if "revenue" in prev
                                         else val(fetch(state, view, ["revenue"]), "revenue"), "money"))


# --------------------------------------------------------------------------- leads et canaux
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
    for n, s in enumerate(sources):
        part = over_time[over_time["source"].astype(object) == s].set_index("period")["leads"]
        values = [part.get(p) for p in periods]
        traces.append(series_trace(view, "bar", x, values, "count", src(s), PALETTE[n % len(PALETTE)]))
    leads_chart = chart(go.Figure(traces, layout=_layout(view, height=340, unit="count", barmode="stack")),
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
        layout=_layout(view, height=240, unit="count",
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


# --------------------------------------------------------------------------- pipeline
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
                             "rate": _clean((r or {}).get("stage_conversion")),
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
            layout=_layout(view, height=60 + 52 * len(rows), legend=False, hovermode="closest",
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
                     layout=_layout(view, height=260, legend=False, hovermode="closest", bargap=0.05,
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


# --------------------------------------------------------------------------- équipe
LEADER_IDS = ["revenue", "deals_won", "win_rate", "activities", "activities_per_won_deal", "quota_attainment",
              "comp_to_revenue_ratio"]


@router.get("/equipe", response_class=HTMLResponse)
@page
def team_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    notes = Notes()
    reps = fetch(state, view, LEADER_IDS, by=["team", "rep"], common=True, notes=notes)
    teams = fetch(state, view, LEADER_IDS + ["reps_at_quota_share", "revenue_per_rep"], by=["team"], common=True)
    total = fetch(state, view, LEADER_IDS + ["reps_at_quota_share", "revenue_per_rep"], common=True)
    team_name = labeller(state, view, "team")
    if reps is not None and len(reps):
        reps = reps[reps["rep"].notna()]
        reps = reps[~(reps[LEADER_IDS].isna() | (reps[LEADER_IDS] == 0)).all(axis=1)]
        reps = reps.sort_values("revenue", ascending=False, na_position="last", kind="stable").reset_index(drop=True)
        reps["rank"] = range(1, len(reps) + 1)
    leaderboard = kpi_table(state, view, reps, LEADER_IDS, dim="rep", caption=view.t("team.leaderboard"),
                            total=total, extra_cols=[
                                {"label": view.t("team.rank"), "value": lambda r: str(r["rank"]), "num": True},
                                {"label": view.t("team.team"), "value": lambda r: team_name(r.get("team"))}])
    # the rank before the name
    for row in leaderboard["rows"]:
        row["rank"] = row["cells"].pop(0)["text"]
    leaderboard["head"] = [{"text": view.t("team.rank"), "num": True}, leaderboard["head"][0]] + leaderboard["head"][2:]
    if leaderboard["foot"]:
        leaderboard["foot"]["cells"].pop(0)
        leaderboard["foot"]["rank"] = ""
    team_table = kpi_table(state, view, teams, LEADER_IDS + ["reps_at_quota_share", "revenue_per_rep"], dim="team",
                           caption=view.t("team.rollup"), sort="revenue", total=total)
    share = val(total, "reps_at_quota_share")
    quota_tiles = tiles_from(view, total, ["reps_at_quota_share", "quota_attainment", "revenue_per_rep"])
    warn = share is not None and share < 0.6
    if warn:
        quota_tiles[0]["warn"] = view.t("team.quota_warning")
    att = reps[reps["quota_attainment"].notna()].sort_values("quota_attainment", ascending=False) \
        if reps is not None and len(reps) else pd.DataFrame(columns=["rep", "quota_attainment"])
    rep_name = labeller(state, view, "rep")
    values = list(att["quota_attainment"])
    fig = go.Figure(go.Bar(
        y=[rep_name(r) for r in att["rep"]], x=_plot_values(values, "rate"), orientation="h",
        marker={"color": [PALETTE[2] if v >= 1 else PALETTE[3] for v in values]},
        customdata=[view.fmt(v, "rate") for v in values], hovertemplate="%{y} : %{customdata}<extra></extra>",
        text=[view.fmt(v, "rate") for v in values], textposition="outside", cliponaxis=False),
        layout=_layout(view, height=60 + 24 * max(len(att), 1), legend=False, hovermode="closest",
                       yaxis={"type": "category", "autorange": "reversed", "gridcolor": "rgba(0,0,0,0)",
                              "rangemode": "normal"},
                       xaxis={"type": "linear", "showgrid": True, "gridcolor": "#e5e7eb",
                              **_axis_unit(view, "rate")},
                       shapes=[{"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": 100, "x1": 100,
                                "line": {"color": "#111827", "dash": "dot", "width": 1}}]))
    att_chart = chart(fig, view.t("team.attainment_chart"), 60 + 24 * max(len(att), 1))
    return render(request, "team.html", view, state, page="team", title=view.t("team.title"), notes=notes,
                  leaderboard=leaderboard, team_table=team_table, quota_tiles=quota_tiles, quota_warning=warn,
                  share=share, att_chart=att_chart)


# --------------------------------------------------------------------------- clients
CUST_TIME = ["active_customers", "new_customers", "churn_rate", "retention_rate", "nps", "recommendation_rate",
             "upsell_rate"]
VALUE_IDS = ["avg_purchase_value", "purchase_frequency", "customer_lifespan", "clv"]


@router.get("/clients", response_class=HTMLResponse)
@page
def customers_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    notes = Notes()
    over_time = fetch(state, view, CUST_TIME, grain=view.grain, notes=notes)
    totals = fetch(state, view, CUST_TIME + VALUE_IDS)
    by_segment = fetch(state, view, VALUE_IDS + ["active_customers", "churn_rate"], by=["segment"])
    active_chart = time_chart(view, over_time, [("active_customers", kpi_label(view, "active_customers"), "line"),
                                                ("new_customers", kpi_label(view, "new_customers"), "bar")],
                              "count", label=view.t("customers.active_chart"))
    churn_chart = time_chart(view, over_time, [("churn_rate", kpi_label(view, "churn_rate"), "line"),
                                               ("upsell_rate", kpi_label(view, "upsell_rate"), "line"),
                                               ("recommendation_rate", kpi_label(view, "recommendation_rate"),
                                                "line")],
                             "rate", label=view.t("customers.churn_chart"))
    retention_chart = time_chart(view, over_time, [("retention_rate", kpi_label(view, "retention_rate"), "line")],
                                 "rate", label=kpi_label(view, "retention_rate"), height=240)
    nps_chart = time_chart(view, over_time, [("nps", kpi_label(view, "nps"), "bar")], "score",
                           label=kpi_label(view, "nps"), height=240)
    value_table = kpi_table(state, view, by_segment, ["active_customers", "churn_rate"] + VALUE_IDS, dim="segment",
                            caption=view.t("customers.value"), sort="clv", total=totals)
    return render(request, "customers.html", view, state, page="customers", title=view.t("customers.title"),
                  notes=notes, active_chart=active_chart, churn_chart=churn_chart, retention_chart=retention_chart,
                  nps_chart=nps_chart, value_table=value_table,
                  head_tiles=tiles_from(view, totals, ["active_customers", "new_customers", "churn_rate",
                                                       "retention_rate"]),
                  tiles2=tiles_from(view, totals, ["nps", "recommendation_rate", "upsell_rate", "clv"]))


# --------------------------------------------------------------------------- prix
PRICE_IDS = ["price_index", "price_gap"]


@router.get("/prix", response_class=HTMLResponse)
@page
def pricing_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    notes = Notes()
    by_product = fetch(state, view, PRICE_IDS, by=["product"], notes=notes)
    over_time = fetch(state, view, PRICE_IDS, grain=view.grain, by=["product"])
    totals = fetch(state, view, PRICE_IDS)
    name = labeller(state, view, "product")
    table = kpi_table(state, view, by_product, PRICE_IDS, dim="product", caption=view.t("pricing.by_product"),
                      sort="price_index", total=totals, flag_small=False)
    periods = sorted(over_time["period"].unique()) if len(over_time) else []
    x = [period_label(view, d, view.grain) for d in periods]
    charts = []
    for kid, unit, key in (("price_index", "index", "pricing.index_chart"),
                           ("price_gap", "money", "pricing.gap_chart")):
        traces = []
        products = list(by_product.sort_values(kid, ascending=False)["product"]) if len(by_product) else []
        for n, p in enumerate(products):
            part = over_time[over_time["product"].astype(object) == p].set_index("period")[kid]
            traces.append(series_trace(view, "line", x, [part.get(d) for d in periods], unit, name(p),
                                       PALETTE[n % len(PALETTE)]))
        layout = _layout(view, height=320, unit=unit)
        if kid == "price_index":
            layout["yaxis"]["rangemode"] = "normal"
            layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 100, "y1": 100,
                                 "line": {"color": "#6b7280", "dash": "dot", "width": 1}}]
        charts.append(chart(go.Figure(traces, layout=layout), view.t(key), 320))
    return render(request, "pricing.html", view, state, page="pricing", title=view.t("pricing.title"), notes=notes,
                  price_table=table, index_chart=charts[0], gap_chart=charts[1],
                  head_tiles=[tile(view, "price_index", val(totals, "price_index")),
                         tile(view, "price_gap", val(totals, "price_gap"))])


# --------------------------------------------------------------------------- one KPI
def _display(view: View, col: str, v) -> str:
    if v is None:
        return ""
    try:
        if pd.isna(v):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(v, pd.Timestamp) or isinstance(v, dt.datetime):
        ts = pd.Timestamp(v)
        if ts.hour == ts.minute == ts.second == 0:
            return format_date(ts.date(), "short", locale=view.locale)
        return format_datetime(ts.to_pydatetime(), "short", locale=view.locale)
    if isinstance(v, dt.date):
        return format_date(v, "short", locale=view.locale)
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return view.t("common.yes" if v else "common.no")
    if col in ("amount", "cost", "margin", "weighted", "list_price", "mean_comp", "gap", "comp", "achieved",
               "target", "roi_gain"):
        try:
            return view.fmt(float(v), "money")
        except (TypeError, ValueError):
            return str(v)
    if isinstance(v, float) or type(v).__name__ in ("Decimal", "float64"):
        return view.fmt(float(v), "ratio")
    if col in i18n.VALUES:
        return i18n.value_label(col, v, view.lang)
    return str(v)


def records_tables(state: State, view: View, ex: dict, page_no: int) -> list[dict]:
    out = []
    names = {d: labeller(state, view, d) for d in ("rep", "team", "product", "campaign")}
    for s in ex["sections"]:
        rows = s["rows"]
        cols = list(rows.columns)
        body = []
        for r in rows.itertuples(index=False):
            cells = []
            for c, v in zip(cols, r, strict=True):
                text = _display(view, c, v)
                if c in names and text:
                    text = names[c](v)
                cells.append(text)
            body.append(cells)
        pages = max(1, math.ceil(s["total"] / RECORDS_PAGE))
        out.append({"role": view.t(f"kpi.role.{s['role']}"), "fact": s["fact"], "total": s["total"],
                    "total_text": view.t("kpi.records_count", n=view.fmt(s["total"], "count")),
                    "columns": [i18n.column(c, view.lang) for c in cols], "rows": body, "pages": pages})
    return out


@router.get("/kpi/{kpi_id}", response_class=HTMLResponse)
@page
def kpi_page(request: Request, state: StateDep, kpi_id: str):
    lang = i18n.norm_lang(request.query_params.get("lang"))
    if kpi_id not in BY_ID:
        raise PageError(404, i18n.t("error.unknown_kpi", lang, id=kpi_id))
    view = parse_view(request, state)
    k = BY_ID[kpi_id]
    try:
        page_no = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page_no = 1
    notes = Notes()
    f = kpi_filters(view.filters, kpi_id)
    for d in view.filters:
        if d not in f:
            notes.add(d, kpi_id)
    card = data.focus_cards(state, ids=[kpi_id], start=view.start, end=view.end, filters=f,
                            compare=view.compare)[0]
    now = fetch(state, view, [kpi_id])
    trend = fetch(state, view, [kpi_id], grain=view.grain)
    series = [(kpi_id, k.label[view.lang], "line" if k.unit in ("rate", "ratio", "days", "years", "score", "index",
                                                                "money") and k.kind.__class__ is not Growth
               and k.id not in ("revenue", "gross_margin") else "bar")]
    if f"{kpi_id}_median" in trend.columns:
        series.append((f"{kpi_id}_median", view.t("pipeline.median"), "line"))
    trend_chart = time_chart(view, trend, series, k.unit, label=f"{k.label[view.lang]} – {view.t('kpi.trend')}")
    breakdowns = []
    for dim in dimensions_of(k):
        if dim == "stage" and k.unit == "rate" and kpi_id != "stage_conversion":
            continue  # a deal's current stage follows from its outcome (won = last stage): no insight
        df = fetch(state, view, [kpi_id], by=[dim])
        breakdowns.append(kpi_table(state, view, df, [kpi_id], dim=dim,
                                    caption=f"{view.t('kpi.by')} {i18n.dimension(dim, view.lang).lower()}",
                                    sort=kpi_id, limit=BREAKDOWN_ROWS, flag_small=k.section != "pricing"))
    ex = data.explain(state, kpi_id, start=view.start, end=view.end, filters=f, limit=RECORDS_PAGE,
                      offset=(page_no - 1) * RECORDS_PAGE)
    sections = records_tables(state, view, ex, page_no)
    pages = max([s["pages"] for s in sections] or [1])
    view.extra = {"page": str(page_no)} if page_no > 1 else {}
    value = card.get("value")
    counts = None
    if isinstance(k.kind, Ratio) and val(now, f"{kpi_id}_denominator") is not None:
        unit_parts = "count" if counts_ratio(kpi_id) else "ratio"
        counts = {"num": view.fmt(val(now, f"{kpi_id}_numerator"), unit_parts),
                  "den": view.fmt(val(now, f"{kpi_id}_denominator"), unit_parts)}
    interval = None
    if val(now, f"{kpi_id}_low") is not None and k.unit == "rate":
        interval = f"{view.fmt(val(now, f'{kpi_id}_low'), 'rate')} – {view.fmt(val(now, f'{kpi_id}_high'), 'rate')}"
    csv_url = view.url(f"/kpi/{kpi_id}/records.csv", lang=None, grain=None, compare=None)
    return render(request, "kpi.html", view, state, page=None, title=k.label[view.lang], notes=notes, kpi=k,
                  value_text=view.fmt(value, k.unit), value_na=value is None,
                  small=bool(card.get("small_sample")) and value is not None,
                  change=_change(view, card, view.t(f"compare.{view.compare}")), counts=counts, interval=interval,
                  trend_chart=trend_chart, breakdowns=breakdowns, sections=sections, page_no=min(page_no, pages),
                  pages=pages, csv_url=csv_url,
                  prev_url=view.url(request.url.path, page=page_no - 1 if page_no > 2 else None)
                  if page_no > 1 else None,
                  next_url=view.url(request.url.path, page=page_no + 1) if page_no < pages else None,
                  dims=[i18n.dimension(d, view.lang) for d in dimensions_of(k)],
                  section_label=SECTION_LABELS[k.section][view.lang])


def csv_safe(value) -> str:
    """A CSV cell as text, never run as a formula (see pilotage.exports.safe_cell)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, pd.Timestamp):
        return "" if pd.isna(value) else value.isoformat(sep=" ")
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "true" if value else "false"
    if isinstance(value, (int, float)) or type(value).__name__ in ("Decimal", "int64", "float64"):
        return str(value)  # numbers are numbers: -12.5 stays a number
    return safe_cell(str(value))


def records_csv_text(ex: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    columns: list[str] = []
    for s in ex["sections"]:
        for c in s["rows"].columns:
            if c not in columns:
                columns.append(c)
    w.writerow(["role", "fact", *columns])
    for s in ex["sections"]:
        rows = s["rows"]
        for r in rows.to_dict(orient="records"):
            w.writerow([s["role"], s["fact"], *[csv_safe(r.get(c)) for c in columns]])
    return buf.getvalue()


@router.get("/kpi/{kpi_id}/records.csv")
@page
def kpi_records_csv(request: Request, state: StateDep, kpi_id: str):
    lang = i18n.norm_lang(request.query_params.get("lang"))
    if kpi_id not in BY_ID:
        raise PageError(404, i18n.t("error.unknown_kpi", lang, id=kpi_id))
    view = parse_view(request, state)
    ex = data.explain(state, kpi_id, start=view.start, end=view.end, filters=kpi_filters(view.filters, kpi_id),
                      limit=CSV_MAX_ROWS, offset=0)
    name = f"{kpi_id}_{view.start.isoformat()}_{view.end.isoformat()}.csv"
    return Response("\ufeff" + records_csv_text(ex), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --------------------------------------------------------------------------- catalogue
@router.get("/catalogue", response_class=HTMLResponse)
@page
def catalogue_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    entries = data.catalogue(view.lang)
    sections = []
    for s in SECTIONS:
        items = []
        for e in entries:
            if e["section"] != s:
                continue
            items.append({**e, "url": view.url(f"/kpi/{e['id']}"), "unit_text": view.t(f"unit.{e['unit']}"),
                          "better_text": view.t(f"common.better_{e['better']}"),
                          "dims_text": ", ".join(i18n.dimension(d, view.lang) for d in e["dimensions"])
                          or view.t("catalogue.period_only")})
        if items:
            sections.append({"id": s, "label": SECTION_LABELS[s][view.lang], "kpis": items})
    return render(request, "catalogue.html", view, state, page="catalogue", title=view.t("catalogue.title"),
                  sections=sections)
