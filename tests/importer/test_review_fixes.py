"""Fixes after review: what a user checks (the total, the message, the row that must not exist)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from pilotage.errors import ImportRejected
from tests.importer.conftest import imp, one, rows, write

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "mapping-example.yaml"
PIPELINE = ("opportunity_id,sales_agent,product,account,deal_stage,engage_date,close_date,{amount}\n"
            "A1,Ann Lee,GTX Pro,Acme,Won,2017-01-02,2017-02-01,1000\n"
            "A2,Bob Ray,GTX Pro,Acme,Lost,2017-01-03,2017-02-02,\n"
            "A3,Ann Lee,GTX Pro,Acme,Engaging,2017-01-04,,\n")


# 1. a required column whose header is absent is an error, not its default on every row
def test_missing_amount_header_is_an_error_naming_the_header(mem, tmp_path):
    f = write(tmp_path / "sales_pipeline.csv", PIPELINE.format(amount="deal_value"))
    with pytest.raises(ImportRejected) as exc:
        imp(mem, f, mapping=EXAMPLE)
    assert "no column for amount: expected a header such as 'close_value'" in str(exc.value)
    assert one(mem, "SELECT count(*) FROM opportunities") == 0


def test_amount_header_present_empty_cells_take_the_default_with_a_note(mem, tmp_path):
    f = write(tmp_path / "sales_pipeline.csv", PIPELINE.format(amount="close_value"))
    report = imp(mem, f, mapping=EXAMPLE)
    assert one(mem, "SELECT sum(amount) FROM opportunities") == Decimal("1000.00")
    assert "close_value: 2 empty cell(s) set to '0' (the mapping's default)" in report.files[0]["notes"]


HUBSPOT = ("ID de fiche d'informations;Phase de la transaction;Montant;Date de création;Date de fermeture;"
           "Propriétaire de la transaction;Entreprise associée\n")


# 2. won/lost told by the whole stage name, never a part of it
def test_stage_keywords_match_whole_names_only(mem, tmp_path):
    f = write(tmp_path / "transactions.csv", HUBSPOT + "\n".join([
        "1;Won;100;02/01/2024;15/01/2024;Alice;A",           # line 2: won (keyword)
        "2;Perdu;200;02/01/2024;15/01/2024;Alice;A",         # line 3: lost (keyword)
        "3;Closed-Won;300;02/01/2024;15/01/2024;Alice;A",    # line 4: won (punctuation ignored)
        "4;Non gagné;400;02/01/2024;15/01/2024;Alice;A",     # line 5: unknown
        "5;Not won;500;02/01/2024;15/01/2024;Alice;A",       # line 6: unknown
        "6;Won back later;600;02/01/2024;15/01/2024;Alice;A",  # line 7: unknown
    ]) + "\n")
    report = imp(mem, f, skip_invalid=True)
    assert rows(mem, "SELECT opportunity_id, status FROM opportunities ORDER BY 1") == [
        ("1", "won"), ("2", "lost"), ("3", "won")]
    assert one(mem, "SELECT sum(amount) FROM opportunities WHERE status = 'won'") == Decimal("400.00")
    bad = sorted((e["line"], e["value"]) for e in report.errors if "stage not in" in e["reason"])
    assert bad == [(5, "Non gagné"), (6, "Not won"), (7, "Won back later")]
    assert all("--show-mapping hubspot" in e["hint"] for e in report.errors if "stage not in" in e["reason"])


# 4. with --skip-invalid, reps and accounts named only on rejected rows are not created
def test_skip_invalid_creates_no_rep_or_account_from_rejected_rows(mem, tmp_path):
    f = write(tmp_path / "transactions.csv", HUBSPOT + "\n".join([
        "1;Fermé gagné;100;02/01/2024;15/01/2024;Alice Martin;Dupont SA",
        "2;Fermé gagné;douze;02/01/2024;15/01/2024;Zoé Rejet;Rejet SARL",      # bad amount
        "3;Fermé gagné;300;02/01/2024;15/01/2024;Alice Martin;Rejet2 SARL",    # bad stage below
        "4;Étape inconnue;400;02/01/2024;15/01/2024;Yves Rejet;Rejet2 SARL",
    ]) + "\n")
    report = imp(mem, f, skip_invalid=True)
    assert rows(mem, "SELECT opportunity_id FROM opportunities ORDER BY 1") == [("1",), ("3",)]
    assert rows(mem, "SELECT name FROM reps ORDER BY 1") == [("Alice Martin",)]
    assert rows(mem, "SELECT name FROM accounts ORDER BY 1") == [("Dupont SA",), ("Rejet2 SARL",)]
    assert sorted(report.created["reps"]) == ["Alice Martin (from transactions.csv)"]
    assert sorted(report.created["accounts"]) == ["Dupont SA (from transactions.csv)",
                                                  "Rejet2 SARL (from transactions.csv)"]


# 6. line breaks as CR alone (Excel for the old Mac)
def test_csv_with_cr_only_line_breaks(mem, tmp_path):
    lines = ["Record ID;Deal Stage;Amount;Create Date;Close Date;Deal owner",
             "1;Closed Won;100;05/01/2024;20/01/2024;Alice",
             '2;Closed Lost;"1 250,50";06/01/2024;21/01/2024;Bruno',
             "3;Closed Won;douze;07/01/2024;22/01/2024;Alice"]
    f = tmp_path / "deals.csv"
    f.write_bytes("\r".join(lines).encode("cp1252") + b"\r")
    report = imp(mem, f, skip_invalid=True)
    assert rows(mem, "SELECT opportunity_id, amount FROM opportunities ORDER BY 1") == [
        ("1", Decimal("100.00")), ("2", Decimal("1250.50"))]
    assert [(e["line"], e["value"], e["reason"]) for e in report.errors] == [(4, "douze", "not a number")]


# 7. a Salesforce report saved as .xlsx: the totals row and the confidentiality footer are not data
def test_salesforce_xlsx_report_footer_is_not_data(mem, tmp_path):
    import datetime as dt

    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Opportunities"
    ws.append(["Opportunity Pipeline"])
    ws.append([])
    ws.append(["Opportunity Owner", "Account Name", "Opportunity Name", "Stage", "Amount", "Created Date",
               "Close Date"])
    ws.append(["Carol White", "Acme", "Acme - 200", "Closed Won", 24000, dt.datetime(2023, 12, 4),
               dt.datetime(2024, 1, 31)])
    ws.append(["Dan Brown", "Initech", "Initech pilot", "Qualification", 3250.5, dt.datetime(2024, 1, 5),
               dt.datetime(2024, 2, 20)])
    ws.append([])
    ws.append(["Total", None, None, None, 27250.5])
    ws.append([])
    ws.append(["Confidential Information - Do Not Distribute"])
    ws.append(["Copyright (c) 2000-2024 salesforce.com, inc. All rights reserved."])
    wb.save(tmp_path / "report.xlsx")
    report = imp(mem, tmp_path / "report.xlsx")  # all or nothing: any error would raise
    assert rows(mem, "SELECT opportunity_id, status, amount FROM opportunities ORDER BY 1") == [
        ("Acme - 200", "won", Decimal("24000.00")), ("Initech pilot", "open", Decimal("3250.50"))]
    assert "3 footer line(s) after the data ignored" in report.files[0]["notes"]


# 10. the message counts every error, not the first ones kept for display
def test_rejection_message_gives_the_true_error_count(mem, tmp_path):
    body = "".join(f"{i};Fermé gagné;douze;02/01/2024;15/01/2024;Alice;A\n" for i in range(1, 3001))
    f = write(tmp_path / "transactions.csv", HUBSPOT + body)
    errors = tmp_path / "errors.csv"
    with pytest.raises(ImportRejected) as exc:
        imp(mem, f, errors_path=errors)
    msg = str(exc.value)
    assert "(3,000 error(s))" in msg
    assert "… and 2,980 more" in msg
    assert f"every error is listed in {errors}" in msg
    assert exc.value.total == 3000
    assert len(errors.read_text(encoding="utf-8-sig").splitlines()) == 3001  # header + every error


# 8. a folder holding only a CRM export named opportunities.csv: its headers say it is a HubSpot export
def test_folder_with_crm_export_named_like_a_canonical_table(mem, tmp_path):
    import shutil

    from tests.importer.conftest import EXPORTS
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(EXPORTS / "hubspot-deals-fr.csv", folder / "opportunities.csv")
    report = imp(mem, folder)
    assert [(f["format"], f["entity"]) for f in report.files] == [("hubspot", "deals")]
    assert one(mem, "SELECT count(*) FROM opportunities") == 4
    assert one(mem, "SELECT sum(amount) FROM opportunities WHERE status = 'won'") == Decimal("12500.00")


def test_canonical_folder_still_needs_its_required_files(mem, tmp_path):
    folder = tmp_path / "canonical"
    write(folder / "opportunities.csv", "opportunity_id,owner_rep_id,created_at,stage,status,amount\n"
                                        "o1,r1,2024-01-02,S,open,10\n")
    with pytest.raises(ImportRejected, match="missing required file reps.csv"):
        imp(mem, folder)


# 3. Excel number cells are numbers, whatever the headers' language: 1.125 is not 1125
def test_excel_number_cells_in_a_french_workbook(mem, tmp_path):
    import datetime as dt

    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ID de fiche d'informations", "Phase de la transaction", "Montant", "Date de création",
               "Date de fermeture"])
    for i, amount in enumerate([1.125, 2.5, 1500, 1234.75], start=1):
        ws.append([i, "Fermé gagné", amount, dt.datetime(2024, 1, 5), dt.datetime(2024, 1, 20)])
    wb.save(tmp_path / "transactions.xlsx")
    imp(mem, tmp_path / "transactions.xlsx")
    got = dict(rows(mem, "SELECT opportunity_id, amount FROM opportunities"))
    assert got["1"] in (Decimal("1.12"), Decimal("1.13"))  # cents: rounded, never 1125
    assert (got["2"], got["3"], got["4"]) == (Decimal("2.50"), Decimal("1500.00"), Decimal("1234.75"))
    assert one(mem, "SELECT sum(amount) FROM opportunities") < 2740


# 11. the currency sign is decided per column
def test_unsigned_amounts_take_the_currency_their_column_shows(mem, tmp_path):
    f = write(tmp_path / "deals.csv",
              "Record ID,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"
              '1,Closed Won,"$1,000.00",2024-01-02,2024-01-10,Alice\n'
              '2,Closed Won,"1,000",2024-01-02,2024-01-11,Alice\n'
              "3,Closed Won,(234.00),2024-01-02,2024-01-12,Alice\n")
    imp(mem, f)
    # the column shows "$" once: the two unsigned amounts are dollars too, not euros
    assert rows(mem, "SELECT opportunity_id, amount, currency FROM opportunities ORDER BY 1") == [
        ("1", Decimal("1000.00"), "USD"), ("2", Decimal("1000.00"), "USD"), ("3", Decimal("-234.00"), "USD")]


def test_a_column_with_two_currencies_leaves_unsigned_cells_in_the_workspace_currency(mem, tmp_path):
    f = write(tmp_path / "deals.csv",
              "Record ID,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"
              "1,Closed Won,$100.00,2024-01-02,2024-01-10,Alice\n"
              "2,Closed Won,£200.00,2024-01-02,2024-01-11,Alice\n"
              "3,Closed Won,300.00,2024-01-02,2024-01-12,Alice\n")
    imp(mem, f)
    assert rows(mem, "SELECT opportunity_id, currency FROM opportunities ORDER BY 1") == [
        ("1", "USD"), ("2", "GBP"), ("3", None)]
