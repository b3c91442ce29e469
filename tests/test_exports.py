"""Exports a spreadsheet opens cleanly (issue #9): French Excel CSV and .xlsx, formulas neutralised."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys

import numpy as np
import openpyxl
import pandas as pd

from pilotage.exports import explain_table, table_csv, table_xlsx

COLUMNS = ["opportunity_id", "amount", "closed_at", "lost_reason", "won"]
ROWS = [
    ["o1", 1234.56, pd.Timestamp("2024-02-10 10:30:00"), None, True],
    ["o2", np.float64("nan"), pd.NaT, '=HYPERLINK("http://evil")', False],
    ["o3", -12.5, pd.Timestamp("2024-03-01"), "@SUM(A1)", np.bool_(True)],
]


def test_french_csv_opens_in_french_excel():
    text = table_csv(COLUMNS, ROWS, lang="fr")
    assert text.startswith("\ufeff")  # the byte order mark: accents read right
    lines = text.removeprefix("\ufeff").split("\r\n")
    assert lines[0] == "opportunité;montant;clôturée le;motif de perte;won"
    assert lines[1] == "o1;1234,56;2024-02-10 10:30:00;;oui"  # decimal comma, no "None"
    # NaN and NaT empty, the formula neutralised (and quoted, as CSV quotes a cell holding quotes)
    assert lines[2] == 'o2;;;"\'=HYPERLINK(""http://evil"")";non'
    assert lines[3] == "o3;-12,5;2024-03-01;'@SUM(A1);oui"  # a negative number stays a number
    assert "NaT" not in text and "nan" not in text


def test_english_csv_keeps_commas_and_ids():
    lines = table_csv(COLUMNS, ROWS, lang="en").removeprefix("\ufeff").split("\r\n")
    assert lines[0] == "opportunity_id,amount,closed_at,lost_reason,won"
    assert lines[1] == "o1,1234.56,2024-02-10 10:30:00,,true"


def test_xlsx_keeps_numbers_and_dates_and_stores_formulas_as_text():
    wb = openpyxl.load_workbook(io.BytesIO(table_xlsx(COLUMNS, ROWS, lang="fr")))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0] == ("opportunité", "montant", "clôturée le", "motif de perte", "won")
    assert rows[1] == ("o1", 1234.56, dt.datetime(2024, 2, 10, 10, 30), None, True)
    assert rows[2][:4] == ("o2", None, None, '=HYPERLINK("http://evil")')
    assert all(c.data_type != "f" for row in wb.active.iter_rows() for c in row)


def test_explain_records_in_french():
    ex = {"sections": [{"role": "numerator", "fact": "opportunities",
                        "rows": pd.DataFrame({"opportunity_id": ["o1"], "amount": [5.0]})}]}
    cols, rows = explain_table(ex, "fr")
    assert cols == ["role", "fact", "opportunity_id", "amount"] and rows == [["numérateur", "opportunities", "o1", 5.0]]


def test_cli_writes_csv_and_xlsx_files(tmp_path):
    import pilotage

    db = str(tmp_path / "x.duckdb")
    with pilotage.connect(db, create=True) as ws:
        ws.load({"reps": [{"rep_id": "r1", "name": "Alice"}],
                 "opportunities": [{"opportunity_id": "o1", "owner_rep_id": "r1", "created_at": "2024-01-02",
                                    "stage": "S", "status": "won", "amount": "1234.56",
                                    "closed_at": "2024-02-10 10:00:00"}]})

    def run(*args):
        return subprocess.run([sys.executable, "-m", "pilotage.cli", *args, "--db", db], capture_output=True,
                              text=True, timeout=120)

    out = tmp_path / "rev.csv"
    p = run("kpi", "revenue", "--grain", "month", "--from", "2024-01-01", "--to", "2024-03-01",
            "--format", "csv", "--output", str(out), "--lang", "fr")
    assert p.returncode == 0, p.stderr
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("période;revenue")
    assert lines[1].startswith("2024-01-01;0")  # nothing won in January
    assert lines[2].startswith("2024-02-01;1234,56")  # o1, won in February, with a decimal comma
    xl = tmp_path / "records.xlsx"
    p = run("explain", "revenue", "--period", "2024-02", "--format", "xlsx", "--output", str(xl), "--lang", "en")
    assert p.returncode == 0, p.stderr
    rows = list(openpyxl.load_workbook(xl).active.iter_rows(values_only=True))
    head = rows[0]
    assert rows[1][head.index("opportunity_id")] == "o1" and rows[1][head.index("amount")] == 1234.56
    p = run("kpi", "revenue", "--format", "xlsx")
    assert p.returncode == 2 and "add --output FILE.xlsx" in p.stderr
