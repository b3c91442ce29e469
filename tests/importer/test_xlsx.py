"""Excel workbooks: several sheets, title rows, merged header cells, formulas read as their values."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

import pilotage
from tests.importer.conftest import imp, one, rows


def with_cached_values(path: Path, values: dict[str, str], sheet: str = "xl/worksheets/sheet1.xml") -> None:
    """Give formula cells the computed value Excel stores when it saves (openpyxl stores none)."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    xml = members[sheet].decode()
    for ref, v in values.items():
        xml, n = re.subn(rf'(<c r="{ref}"[^>]*>\s*<f>[^<]*</f>)\s*<v\s*/>', rf"\g<1><v>{v}</v>", xml)
        assert n == 1, ref
    members[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in members.items():
            z.writestr(n, data)


def workbook(path: Path, *, cached: bool = True) -> Path:
    wb = openpyxl.Workbook()
    deals = wb.active
    deals.title = "Transactions"
    deals["A1"] = "Export HubSpot – janvier 2024"        # a title, merged across the table
    deals.merge_cells("A1:H1")
    deals.append([])
    deals.append(["Record ID", "Deal Stage", "Amount", "Create Date", "Close Date", "Deal owner",
                  "Unit price", "Quantity"])
    deals.append([1001, "Closed Won", "=G4*H4", dt.datetime(2024, 1, 5, 9, 30), dt.date(2024, 1, 31),
                  "Alice Martin", 250.5, 4])
    deals.append([1002, "Closed Lost", "=G5*H5", dt.datetime(2024, 1, 8), dt.date(2024, 2, 13),
                  "Bruno Petit", 100, 3])
    deals.append([1003, "Contract Sent", 7800, dt.datetime(2024, 1, 15), dt.date(2024, 3, 28), "Alice Martin",
                  None, None])
    for r in range(7, 40):  # formatted but empty cells below and right of the data
        deals.cell(row=r, column=1).number_format = "0.00"
        deals.cell(row=r, column=12).number_format = "0.00"
    companies = wb.create_sheet("Entreprises")
    companies.append(["Entreprise", None, "Informations", None])   # group headers, merged
    companies.merge_cells("A1:B1")
    companies.merge_cells("C1:D1")
    companies.append(["Record ID", "Company name", "Industry", "Country/Region"])
    companies.append([501, "Dupont SA", "Software", "France"])
    companies.append([502, "Durand et Fils", "Retail", "France"])
    notes = wb.create_sheet("Notes")
    notes["A1"] = "Exporté par Alice pour le comité du lundi"
    wb.save(path)
    if cached:
        with_cached_values(path, {"C4": "1002", "C5": "300"})
    return path


def test_every_sheet_is_read_by_what_its_headers_say(mem, tmp_path):
    report = imp(mem, workbook(tmp_path / "export.xlsx"))
    how = {f["source"]: (f["format"], f["entity"]) for f in report.files}
    assert how["export.xlsx [Transactions]"] == ("hubspot", "deals")
    assert how["export.xlsx [Entreprises]"] == ("hubspot", "companies")
    notes = {f["source"]: f["notes"] for f in report.files}
    assert "not imported: its headers fit no mapping" in notes["export.xlsx [Notes]"]
    assert "header on row 3: 2 row(s) above it ignored" in notes["export.xlsx [Transactions]"]
    # formulas are read as the values Excel computed: 250.5 x 4 and 100 x 3
    assert rows(mem, "SELECT opportunity_id, amount FROM opportunities ORDER BY 1") == [
        ("1001", Decimal("1002.00")), ("1002", Decimal("300.00")), ("1003", Decimal("7800.00"))]
    # real Excel dates and datetimes
    assert rows(mem, "SELECT created_at, closed_at FROM opportunities WHERE opportunity_id = '1001'") == [
        (dt.datetime(2024, 1, 5, 9, 30), dt.datetime(2024, 1, 31))]
    # the sheet under merged group headers: its own header row is the second one
    assert rows(mem, "SELECT account_id, name, industry FROM accounts ORDER BY 1") == [
        ("501", "Dupont SA", "Software"), ("502", "Durand et Fils", "Retail")]
    # the empty formatted rows below the data are not deals
    assert one(mem, "SELECT count(*) FROM opportunities") == 3


def test_a_formula_saved_without_its_value_is_named(mem, tmp_path):
    f = workbook(tmp_path / "export.xlsx", cached=False)
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(mem, f)
    msg = str(exc.value)
    assert "export.xlsx [Transactions]:4: Amount: formula without a computed value ('=G4*H4')" in msg
    assert "export.xlsx [Transactions]:5: Amount: formula without a computed value ('=G5*H5')" in msg
    assert exc.value.errors_detail[0]["hint"].startswith("the file was saved by a program that does not compute")


def test_merged_header_cells_name_the_columns_they_cover(mem, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Record ID", "Deal Stage", "Amount", None, "Create Date", "Close Date"])  # Amount merged C1:D1
    ws.merge_cells("C1:D1")
    ws.append([1, "Closed Won", 100, "EUR", dt.date(2024, 1, 2), dt.date(2024, 1, 3)])
    wb.save(tmp_path / "deals.xlsx")
    report = imp(mem, tmp_path / "deals.xlsx")
    opp = next(t for t in report.tables if t.table == "opportunities")
    assert opp.inserted == 1
    assert one(mem, "SELECT amount FROM opportunities") == 100


def test_a_workbook_with_no_recognisable_sheet_says_why(mem, tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["Colour", "Size"])
    wb.active.append(["red", "L"])
    wb.save(tmp_path / "other.xlsx")
    with pytest.raises(pilotage.ImportRejected, match=r"other.xlsx \[Sheet\]: format not recognised from the "
                                                      r"headers \(Colour, Size\)"):
        imp(mem, tmp_path / "other.xlsx")
