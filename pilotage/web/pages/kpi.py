"""One KPI: its value, trend, breakdowns and the records behind it (with a CSV export)."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
from babel.dates import format_date, format_datetime
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from pilotage.catalogue.kpis import BY_ID, SECTION_LABELS
from pilotage.catalogue.model import Growth, Ratio
from pilotage.engine.query import dimensions_of
from pilotage.exports import safe_cell
from pilotage.web import data, i18n
from pilotage.web.charts import time_chart
from pilotage.web.pages.common import (
    show_all,
    BREAKDOWN_ROWS,
    CSV_MAX_ROWS,
    RECORDS_PAGE,
    Notes,
    PageError,
    View,
    change_badge,
    counts_ratio,
    fetch,
    kpi_filters,
    kpi_table,
    labeller,
    page,
    parse_view,
    render,
    val,
)
from pilotage.web.pages.rep import rep_url
from pilotage.web.state import State, StateDep

router = APIRouter(include_in_schema=False)

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


def role_label(view: View, role: str) -> str:
    """The heading of a records section: value, numerator, denominator, or the KPI a product multiplies."""
    if f"kpi.role.{role}" in i18n.STRINGS:
        return view.t(f"kpi.role.{role}")
    if role in BY_ID:
        return BY_ID[role].label[view.lang]
    return i18n.column(role, view.lang)


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
        out.append({"role": role_label(view, s["role"]), "fact": s["fact"], "total": s["total"],
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
    all_rows = show_all(request)
    breakdowns = []
    for dim in dimensions_of(k):
        if dim == "stage" and k.unit == "rate" and kpi_id != "stage_conversion":
            continue  # a deal's current stage follows from its outcome (won = last stage): no insight
        df = fetch(state, view, [kpi_id], by=[dim])
        breakdowns.append(kpi_table(state, view, df, [kpi_id], dim=dim,
                                    caption=f"{view.t('kpi.by')} {i18n.dimension(dim, view.lang).lower()}",
                                    sort=kpi_id, limit=None if all_rows else BREAKDOWN_ROWS,
                                    flag_small=k.section != "pricing",
                                    row_link=(lambda r: rep_url(view, r)) if dim == "rep" else None))
    ex = data.explain(state, kpi_id, start=view.start, end=view.end, filters=f, limit=RECORDS_PAGE,
                      offset=(page_no - 1) * RECORDS_PAGE)
    sections = records_tables(state, view, ex, page_no)
    pages = max([s["pages"] for s in sections] or [1])
    view.extra = ({"page": str(page_no)} if page_no > 1 else {}) | ({"all": "1"} if all_rows else {})
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
                  change=change_badge(view, card, view.t(f"compare.{view.compare}")), counts=counts, interval=interval,
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


def records_csv_text(ex: dict, lang: str = "en") -> str:
    """The records behind a figure as CSV text (``lang`` fr: ``;``, decimal commas, French headers),
    without the byte order mark: :func:`pilotage.exports.table_csv`."""
    from pilotage.exports import explain_table, table_csv

    return table_csv(*explain_table(ex, lang), lang=lang).removeprefix("\ufeff")


def _records(request: Request, state, kpi_id: str):
    lang = i18n.norm_lang(request.query_params.get("lang"))
    if kpi_id not in BY_ID:
        raise PageError(404, i18n.t("error.unknown_kpi", lang, id=kpi_id))
    view = parse_view(request, state)
    ex = data.explain(state, kpi_id, start=view.start, end=view.end, filters=kpi_filters(view.filters, kpi_id),
                      limit=CSV_MAX_ROWS, offset=0)
    return view, ex, f"{kpi_id}_{view.start.isoformat()}_{view.end.isoformat()}"


@router.get("/kpi/{kpi_id}/records.csv")
@page
def kpi_records_csv(request: Request, state: StateDep, kpi_id: str):
    """The records behind the figure, as a CSV a spreadsheet of the page's language opens cleanly."""
    from pilotage.exports import explain_table, table_csv

    view, ex, name = _records(request, state, kpi_id)
    return Response(table_csv(*explain_table(ex, view.lang), lang=view.lang),
                    media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@router.get("/kpi/{kpi_id}/records.xlsx")
@page
def kpi_records_xlsx(request: Request, state: StateDep, kpi_id: str):
    """The records behind the figure, as an Excel workbook."""
    from pilotage.exports import XLSX_TYPE, explain_table, table_xlsx

    view, ex, name = _records(request, state, kpi_id)
    return Response(table_xlsx(*explain_table(ex, view.lang), lang=view.lang, sheet=kpi_id),
                    media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'})
