"""Helpers for the files Pilotage writes (CSV, Excel): cells that a spreadsheet cannot mistake for formulas.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel or LibreOffice when the file is opened ("CSV
injection"): ``=HYPERLINK(...)`` in a deal name exported by Pilotage must stay
text. :func:`safe_cell` prefixes such a cell with an apostrophe, which the
spreadsheet shows as the text itself. Numbers (int, float, Decimal) are left
alone, so a negative amount stays a number.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_cell(value):
    """The value to write in an exported cell: text that could run as a formula gets a leading '."""
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date, dt.datetime, dt.time)):
        return value
    text = str(value)
    if text.startswith(DANGEROUS_FIRST):
        return "'" + text
    return text


def safe_row(values) -> list:
    """:func:`safe_cell` over a row."""
    return [safe_cell(v) for v in values]


# --------------------------------------------------------------------------- tables for a spreadsheet
# Column names as a French reader expects them (English keeps the ids, which read as English).
HEADERS_FR = {
    "role": "rôle", "fact": "données", "period": "période", "numerator": "numérateur", "denominator": "dénominateur",
    "account": "compte", "account_id": "compte", "achieved": "réalisé", "activity_id": "activité",
    "advanced": "étape suivante atteinte", "amount": "montant", "answered_at": "répondu le", "at": "date",
    "campaign": "campagne", "churned": "parti", "closed_at": "clôturée le", "comp": "rémunération",
    "converted_at": "converti le", "cost": "coût", "created_at": "créé le", "currency": "devise",
    "cycle_days": "cycle (jours)", "ended_at": "fin le", "first_at": "premier achat le", "gap": "écart",
    "lead_id": "lead", "leads_n": "leads", "likes": "mentions j'aime", "list_price": "prix catalogue",
    "mean_comp": "prix concurrents moyen", "metric": "indicateur", "net": "net", "nps_score": "note NPS",
    "occurred_at": "date", "opportunity_id": "opportunité", "order_id": "commande", "ordered_at": "commandé le",
    "period_start": "début de période", "pipeline": "pipeline", "probability": "probabilité",
    "product": "produit", "qualified_at": "qualifié le", "quota_id": "quota", "reached": "étape atteinte",
    "referral_id": "recommandation", "referred_at": "recommandé le", "region": "région", "remaining": "reste à faire",
    "rep": "commercial", "segment": "segment", "source": "source", "stage": "étape", "started_on": "lancée le",
    "status": "statut", "survey_id": "enquête", "target": "objectif", "team": "équipe", "type": "type",
    "views": "vues", "weighted": "pondéré", "won_revenue": "CA signé", "kind": "nature", "industry": "secteur",
    "expected_close_date": "clôture prévue le", "proposal_sent_at": "proposition envoyée le",
    "lost_reason": "motif de perte", "margin": "marge", "unconverted": "non converti", "has_content": "contenu",
}


def header(column: str, lang: str) -> str:
    """A column's header in ``lang``: French words in French, else the id itself."""
    return HEADERS_FR.get(column, column) if lang == "fr" else column


def _plain(value):
    """A cell's value with pandas' missing markers (NaN, NaT, None, pd.NA) as None, numpy scalars as Python."""
    if value is None:
        return None
    try:
        import pandas as pd

        if value is pd.NaT or (not isinstance(value, (str, bytes, list, tuple)) and pd.isna(value)):
            return None
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
    except (ImportError, TypeError, ValueError):
        pass
    if hasattr(value, "item") and not isinstance(value, (dt.date, dt.datetime)):
        value = value.item()
    if isinstance(value, dt.datetime) and (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
        return value.date()
    return value


def _csv_text(value, lang: str) -> str:
    """One CSV cell: empty for a missing value, a decimal comma in French, formulas neutralised."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return ({"fr": "oui", "en": "true"} if value else {"fr": "non", "en": "false"})[lang if lang == "fr" else "en"]
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value).replace(".", ",") if lang == "fr" else str(value)
    if isinstance(value, float):
        text = f"{value:.10g}" if abs(value) < 1e15 else repr(value)
        return text.replace(".", ",") if lang == "fr" else text
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(safe_cell(str(value)))


def table_csv(columns: list[str], rows, lang: str = "fr") -> str:
    """A table as CSV text for a spreadsheet in ``lang``'s usual settings.

    French Excel reads ``;`` as the separator and ``,`` as the decimal mark; it needs the UTF-8
    byte order mark to read accents. So: French -> ``;``, decimal commas, French headers, BOM;
    English -> ``,``, decimal points, the column ids, BOM. Missing values (None, NaN, NaT) are
    empty cells; text that could run as a formula is neutralised (:func:`safe_cell`).
    """
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";" if lang == "fr" else ",", lineterminator="\r\n")
    w.writerow([header(c, lang) for c in columns])
    for r in rows:
        w.writerow([_csv_text(v, lang) for v in r])
    return "\ufeff" + buf.getvalue()


def table_xlsx(columns: list[str], rows, lang: str = "fr", sheet: str = "Pilotage") -> bytes:
    """A table as an Excel workbook (openpyxl): numbers stay numbers, dates dates, missing values
    empty; text starting like a formula is stored as text, never as a formula."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    ws.append([header(c, lang) for c in columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        values = []
        for v in r:
            v = _plain(v)
            if isinstance(v, Decimal):
                v = float(v)
            elif v is not None and not isinstance(v, (bool, int, float, dt.date, dt.datetime)):
                v = str(v)
            values.append(v)
        ws.append(values)
        for cell in ws[ws.max_row]:
            if cell.data_type == "f":  # "=HYPERLINK(...)" in a deal name: text, not a formula
                cell.data_type = "s"
            if isinstance(cell.value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"
    for col in ws.columns:
        width = max(len(str(c.value)) if c.value is not None else 0 for c in col[:200])
        ws.column_dimensions[col[0].column_letter].width = min(max(width + 2, 8), 50)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def frame_table(df) -> tuple[list[str], list[list]]:
    """(columns, rows) of a pandas DataFrame."""
    return [str(c) for c in df.columns], df.itertuples(index=False, name=None)


ROLE_WORDS_FR = {"numerator": "numérateur", "denominator": "dénominateur", "value": "valeur",
                 "earlier": "période antérieure", "extra": "complément"}


def explain_table(ex: dict, lang: str = "en") -> tuple[list[str], list[list]]:
    """(columns, rows) of the records behind a figure (:func:`pilotage.service.explain`): one row per
    record, its role (numerator, denominator...) and fact first, the union of the sections' columns."""
    import re
    columns: list[str] = []
    for s in ex["sections"]:
        for c in s["rows"].columns:
            if c not in columns:
                columns.append(c)
    rows = []
    for s in ex["sections"]:
        for r in s["rows"].to_dict(orient="records"):
            role = s["role"] if lang != "fr" else re.sub(
                r"[a-z]+", lambda m: ROLE_WORDS_FR.get(m.group(0), m.group(0)), s["role"])
            rows.append([role, s["fact"], *[r.get(c) for c in columns]])
    return ["role", "fact", *columns], rows
