"""What every page shares: the view (query string), fetching KPIs, labels, tables, tiles, rendering.

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

import datetime as dt
import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
from babel.dates import format_date
from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from pilotage import formatting
from pilotage.budgets import count_periods
from pilotage.catalogue.kpis import BY_ID
from pilotage.catalogue.model import Ratio
from pilotage.engine import periods as P
from pilotage.engine.query import MAX_DATE, MIN_DATE, dimensions_of, measures_of, resolve_range, side_by_side
from pilotage.errors import NotInScope, PilotageError
from pilotage.web import assets, data, i18n
from pilotage.web.charts import PLOTLY_CONFIG, period_label
from pilotage.web.cache import stale_served
from pilotage.web.state import State

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parents[1] / "templates"))
TEMPLATES.env.globals["asset"] = assets.url

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
       ("goals", "/objectifs"), ("challenges", "/challenges"), ("me", "/moi"), ("activity", "/activite"),
       ("customers", "/clients"), ("pricing", "/prix"), ("forecast", "/previsions"), ("clv", "/valeur-client"),
       ("catalogue", "/catalogue"))



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
    to_date: str | None = None  # month, quarter, year: the period is under way (compared on pace)
    data_end: dt.date | None = None  # set when the data stops before today: presets follow it

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

    def fmt_compact(self, v, unit: str) -> str:
        """155,2 M€ on a card; the exact figure goes in its title (hover)."""
        return formatting.fmt_compact(v, unit, self.locale, self.currency)

    def fmt_table(self, v, unit: str) -> str:
        """A table cell: amounts from 1 000 up without cents."""
        if unit == "money" and v is not None and not formatting.missing(v) and abs(float(v)) >= 1000:
            return formatting.fmt_whole(v, self.locale, self.currency)
        return self.fmt(v, unit)

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
        d = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise PageError(400, i18n.t("error.bad_date", lang, what=what, value=value)) from None
    if not MIN_DATE <= d <= MAX_DATE:  # the dates the engine handles (years 1 or 9999 overflow the ranges)
        raise PageError(400, i18n.t("error.date_range", lang, what=what, value=value, min=MIN_DATE.isoformat(),
                                    max=MAX_DATE.isoformat()))
    return d


def preset_range(preset: str, today: dt.date, fiscal_start: int = 1, ref=None) -> tuple[dt.date, dt.date]:
    """[start, end) of a period preset (:func:`pilotage.periods.preset_window`): complete periods,
    or the current one up to today included; ``ref`` places "today" at the data's last day."""
    from pilotage import periods as HP

    w = HP.preset_window(preset, ref or HP.Reference(today, None), fiscal_start)
    return w.start, w.end


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
    to_date, data_end = None, None
    if period == "custom":
        start = _parse_date(from_raw, t("filters.from"), lang) if from_raw else None
        end = _parse_date(to_raw, t("filters.to"), lang) if to_raw else None
        start, end = resolve_range(start, end, today)
    else:
        from pilotage import periods as HP

        ref = data.reference(state, today)
        w = HP.preset_window(period, ref, settings.fiscal_year_start)
        start, end, to_date = w.start, w.end, w.to_date
        data_end = ref.data_end if ref.stale else None
    if end <= start:
        raise PageError(400, t("error.empty_range", start=start.isoformat(), end=end.isoformat()))
    grain_param = (q.get("grain") or "").strip() or None
    if grain_param is not None and grain_param not in P.GRAINS:
        raise PageError(400, t("error.bad_choice", what=t("filters.grain"), value=grain_param,
                               choices=", ".join(P.GRAINS)))
    grain = grain_param or auto_grain(start, end)
    n_periods = count_periods(start, end, grain)  # arithmetic: listing 100,000 days takes seconds
    if n_periods <= MAX_PERIODS + 2:
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
                fiscal_start=settings.fiscal_year_start, week_start=settings.week_start,
                to_date=to_date, data_end=data_end)


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
        try:
            df = data.kpi(state, g, grain=grain, by=list(by), start=start or view.start, end=end or view.end,
                          filters=dict(f))
        except NotInScope:  # none of these is the user's to see: they show as not available, the page stays
            continue
        out = df if out is None else side_by_side(out, df, keys)
    if out is None:  # nothing in scope: no rows, every figure not available
        out = pd.DataFrame(columns=keys + ids) if keys else pd.DataFrame({i: [float("nan")] for i in ids})
    for i in ids:  # a KPI left out of scope is a column of "not available", not a missing column
        if i not in out.columns:
            out[i] = float("nan")
    if keys and len(groups) > 1:
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



# --------------------------------------------------------------------------- tables
def _cell(view: View, value, unit: str, small: bool = False) -> dict:
    try:  # the raw figure, for sorting in the browser (Decimal amounts too)
        sort = None if value is None or isinstance(value, (str, bool)) else float(value)
    except (TypeError, ValueError):
        sort = None
    exact = view.fmt(value, unit)
    text = view.fmt_table(value, unit)
    return {"text": text, "num": True, "small": small and value is not None, "na": value is None, "sort": sort,
            "title": exact if exact != text else None}


def show_all(request: Request) -> bool:
    """``all=1``: the tables of the page list every row ("+103 autres valeurs · tout afficher")."""
    return (request.query_params.get("all") or "").strip() == "1"


def kpi_table(state: State, view: View, df: pd.DataFrame | None, ids: list[str], *, dim: str | None,
              caption: str, sort: str | None = None, limit: int | None = None, total: pd.DataFrame | None = None,
              first_col: str | None = None, link_filters: dict | None = None, extra_cols=(),
              flag_small: bool = True, row_link=None) -> dict:
    """A real table: one row per value of ``dim`` (or per period), one column per KPI.

    ``row_link``: value of ``dim`` -> the address its name links to (a rep's scorecard), or None."""
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
                cells.append(_cell(view, clean(r.get(i)), unit, flag_small and is_small(r, i)))
            raw = r.get(dim) if label else None
            title = str(raw) if raw is not None and str(raw) != head_text else None  # the id on hover
            href = row_link(raw) if row_link is not None and clean(raw) is not None else None
            rows.append({"head": head_text, "cells": cells, "title": title, "href": href})
    foot = None
    if total is not None and len(total):
        r = total.to_dict(orient="records")[0]
        foot = {"head": view.t("common.total"),
                "cells": [{"text": "", "num": False} for _ in extra_cols]
                + [_cell(view, clean(r.get(i)), BY_ID[i].unit, flag_small and is_small(r, i)) for i in ids]}
    more_url = view.here(all=1) if more else None
    return {"caption": caption, "head": head, "rows": rows, "foot": foot, "more": more, "more_url": more_url,
            "has_small": any(c.get("small") for row in rows for c in row["cells"])}


def clean(v):
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
            "text": view.fmt_compact(value, BY_ID[kpi_id].unit), "exact": view.fmt(value, BY_ID[kpi_id].unit),
            "na": value is None, "sub": sub,
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
        "range_text": _range_text(view), "period_notes": period_notes(view), "plotly_config": json.dumps(PLOTLY_CONFIG),
        "show_filters": True,
        "stale": bool((stale_served.get() or {}).get("stale")),
    }
    context.update(ctx)
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status)


def period_notes(view: View) -> list[str]:
    """What the reader must know about the period: the data stops earlier, the period is under way."""
    out = []
    if view.data_end is not None:
        out.append(view.t("period.data_end", date=view.date(view.data_end, "long")))
    if view.to_date:
        out.append(view.t("period.to_date"))
    return out


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


def cards_for(state: State, view: View, ids: list[str], compare: str, notes: Notes | None = None) -> dict:
    groups: dict[tuple, list[str]] = {}
    for i in ids:
        groups.setdefault(tuple(sorted(kpi_filters(view.filters, i).items())), []).append(i)
        if notes is not None:
            for d in view.filters:
                if d not in dimensions_of(BY_ID[i]):
                    notes.add(d, i)
    out = {}
    for f, g in groups.items():
        for c in data.focus_cards(state, ids=g, start=view.start, end=view.end, filters=dict(f), compare=compare,
                                  to_date=view.to_date, today=view.today):
            out[c["id"]] = c
    return out


def change_badge(view: View, card: dict | None, label: str) -> dict:
    if card and card.get("immature"):  # a cohort still playing out: said, not compared (pilotage.periods)
        return {"label": label, "text": view.t("common.immature_short"), "cls": "neutral", "arrow": "◔",
                "sr": view.t("common.immature")}
    if not card or card.get("change") is None:
        return {"label": label, "text": "—", "cls": "neutral", "arrow": "", "sr": ""}
    ch = card["change"]
    arrow = "▲" if ch > 0 else "▼" if ch < 0 else "="
    good = card.get("good")
    cls = "neutral" if good is None or ch == 0 else "good" if good else "bad"
    sr = "" if cls == "neutral" else view.t("common.improving" if good else "common.worsening")
    return {"label": label, "text": view.fmt_change(ch, card["change_kind"]), "cls": cls, "arrow": arrow, "sr": sr}
