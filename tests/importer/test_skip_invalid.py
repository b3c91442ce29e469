"""All or nothing by default; --skip-invalid lands the valid rows; --dry-run writes nothing; the error file."""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal

import pytest

import pilotage
from pilotage.exports import safe_cell, safe_row
from tests.importer.conftest import EXPORTS, imp, one, rows, write

HEADER = "ID de fiche d'informations;Phase de la transaction;Montant;Date de création;Date de fermeture;" \
         "Propriétaire de la transaction\n"
GOOD = ["2001;Fermé gagné;1 000,00 €;02/01/2024;15/01/2024;Alice Martin",
        "2002;Contrat envoyé;2 500,00 €;03/01/2024;28/02/2024;Bruno Petit",
        "2003;Fermé perdu;400,00 €;04/01/2024;20/01/2024;Alice Martin"]
BAD = ["2004;Fermé gagné;douze cents;05/01/2024;16/01/2024;Alice Martin",          # line 5: amount
       "2005;Fermé gagné;=HYPERLINK(\"http://x\");31/02/2024;17/01/2024;Bruno Petit"]  # line 6: both


def export(tmp_path, lines, name="transactions.csv"):
    return write(tmp_path / name, HEADER + "".join(ln + "\n" for ln in lines), "utf-8-sig")


def test_one_bad_row_lands_nothing_and_keeps_what_was_stored(ws, tmp_path):
    imp(ws, EXPORTS / "hubspot-deals-fr.csv")
    before = ws.row_counts()
    errors = tmp_path / "errors.csv"
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(ws, export(tmp_path, GOOD + BAD), errors_path=errors)
    msg = str(exc.value)
    assert "nothing was written" in msg
    assert "transactions.csv:5: Montant: not a number ('douze cents')" in msg
    assert "transactions.csv:6: Date de création: not a date ('31/02/2024')" in msg
    assert f"every error is listed in {errors}" in msg
    assert ws.row_counts() == before


def test_skip_invalid_lands_the_valid_rows_and_lists_the_others(ws, tmp_path):
    errors = tmp_path / "errors.csv"
    report = imp(ws, export(tmp_path, GOOD + BAD), skip_invalid=True, errors_path=errors)
    opp = next(t for t in report.tables if t.table == "opportunities")
    assert (opp.rows, opp.inserted, opp.rejected) == (5, 3, 2)
    assert sorted(r[0] for r in rows(ws, "SELECT opportunity_id FROM opportunities")) == ["2001", "2002", "2003"]
    assert one(ws, "SELECT sum(amount) FROM opportunities") == Decimal("3900.00")
    with open(errors, newline="", encoding="utf-8-sig") as fh:
        got = list(csv.reader(fh))
    assert got[0] == ["file", "line", "column", "raw value", "reason", "hint"]
    body = sorted(tuple(r[:5]) for r in got[1:])
    assert body == [
        ("transactions.csv", "5", "Montant", "douze cents", "not a number"),
        ("transactions.csv", "6", "Date de création", "31/02/2024", "not a date"),
        # a cell that a spreadsheet would run as a formula is written as text
        ("transactions.csv", "6", "Montant", "'=HYPERLINK(\"http://x\")", "not a number"),
    ]
    assert all(r[5] for r in got[1:])  # every error has a hint
    assert report.error_file == str(errors)


def test_a_rejected_row_takes_the_rows_that_point_at_it(mem, tmp_path):
    folder = tmp_path / "canonical"
    write(folder / "reps.csv", "rep_id,name\nr1,Alice\nr2,\n")  # r2 has no name: rejected
    write(folder / "leads.csv", "lead_id,created_at,source\n")
    write(folder / "opportunities.csv", "opportunity_id,owner_rep_id,created_at,stage,status,amount\n"
                                        "o1,r1,2024-01-02,S,open,10\no2,r2,2024-01-03,S,open,20\n")
    report = imp(mem, folder, skip_invalid=True)
    assert {t.table: (t.inserted, t.rejected) for t in report.tables} == {
        "reps": (1, 1), "leads": (0, 0), "opportunities": (1, 1)}
    reasons = {(e["file"], e["line"], e["reason"]) for e in report.errors}
    assert ("reps.csv", 3, "required value missing") in reasons
    assert ("opportunities.csv", 3, "unknown rep id (not in reps)") in reasons


def test_a_missing_column_fails_even_with_skip_invalid(mem, tmp_path):
    f = write(tmp_path / "deals.csv", "Record ID,Deal Stage,Amount\n1,Closed Won,10\n")
    with pytest.raises(pilotage.ImportRejected, match="deals.csv:1: created_at: no column for created_at: expected "
                                                      "a header such as 'Create Date'"):
        imp(mem, f, skip_invalid=True)


def test_dry_run_counts_and_writes_nothing(ws, tmp_path):
    imp(ws, export(tmp_path, GOOD[:2]))
    report = imp(ws, export(tmp_path, [GOOD[0].replace("1 000,00", "1 100,00")] + GOOD[1:] + BAD),
                 dry_run=True, skip_invalid=True)
    opp = next(t for t in report.tables if t.table == "opportunities")
    assert (opp.inserted, opp.updated, opp.unchanged, opp.rejected) == (1, 1, 1, 2)
    assert report.dry_run
    assert one(ws, "SELECT count(*) FROM opportunities") == 2
    assert one(ws, "SELECT amount FROM opportunities WHERE opportunity_id = '2001'") == Decimal("1000.00")


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "pilotage.cli", "import", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env={**__import__("os").environ, "COLUMNS": "200"})


def test_cli_summary_says_where_the_errors_are(tmp_path):
    f = export(tmp_path, GOOD + BAD)
    db = str(tmp_path / "cli.duckdb")
    p = run_cli(str(f), "--db", db, cwd=tmp_path)
    assert p.returncode == 2
    assert "transactions.csv:5: Montant: not a number ('douze cents')" in p.stderr
    default = tmp_path / "transactions.csv.errors.csv"  # next to the input, its full name
    assert f"every error is listed in {default}" in p.stderr
    p = run_cli(str(f), "--db", db, "--skip-invalid", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "2 row(s) rejected and skipped (--skip-invalid); every error is listed in" in p.stdout
    assert str(default) in p.stdout.replace("\n", "")
    assert "transactions.csv: hubspot deals (French headers)" in p.stdout
    assert "reps known only by name, e-mail or id created: " in p.stdout
    assert len(default.read_text(encoding="utf-8-sig").splitlines()) == 4
    p = run_cli(str(f), "--db", db, "--skip-invalid", "--dry-run", "--errors", str(tmp_path / "e.csv"), cwd=tmp_path)
    assert "dry run: nothing written" in p.stdout
    assert "2 row(s) would be rejected and skipped (--skip-invalid)" in p.stdout
    assert (tmp_path / "e.csv").exists()


@pytest.mark.parametrize("value, expected", [
    ("=SUM(A1:A3)", "'=SUM(A1:A3)"), ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"), ("-2", "'-2"),
    ("@cmd", "'@cmd"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("Dupont SA", "Dupont SA"), ("", ""),
    (-2, -2), (Decimal("-1.5"), Decimal("-1.5")), (None, None),
])
def test_exported_cells_cannot_run_as_formulas(value, expected):
    assert safe_cell(value) == expected
    assert safe_row([value, "ok"]) == [expected, "ok"]


def test_duplicate_keys_in_one_file(mem, tmp_path):
    # a deal listed twice identically (one line per associated contact) is one deal
    same = export(tmp_path, GOOD + [GOOD[0]], "twice.csv")
    report = imp(mem, same)
    assert next(t for t in report.tables if t.table == "opportunities").inserted == 3
    assert "1 row(s) identical to an earlier row ignored" in report.files[0]["notes"]
    # two different deals under one id: an error naming both lines
    clash = export(tmp_path, GOOD + [GOOD[0].replace("1 000,00", "9 999,00")], "clash.csv")
    with pytest.raises(pilotage.ImportRejected,
                       match=r"clash.csv:5: ID de fiche d'informations: duplicate key: also on line 2 \('2001'\)"):
        imp(mem, clash)
