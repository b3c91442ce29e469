"""What Excel on Windows and the CRMs write: encodings, delimiters, quotes, ragged rows, odd headers."""

from __future__ import annotations

import pytest

import pilotage
from tests.importer.conftest import imp, one, rows, write

HEADER = ["Record ID", "Deal Name", "Deal Stage", "Amount", "Create Date", "Close Date", "Deal owner",
          "Associated Company"]
DEALS = [
    ["1", "Licences", "Closed Won", "1200", "2024-01-05", "2024-01-20", "Hélène Roux", "Société Générale"],
    ["2", "Audit", "Closed Lost", "800", "2024-01-06", "2024-01-21", "Bruno Petit", "Crédit Agricole"],
    ["3", "Formation", "Contract Sent", "500", "2024-01-07", "2024-03-30", "Hélène Roux", "Société Générale"],
]


def export(sep: str = ",", rows_=None, header=None) -> str:
    lines = [header or HEADER] + (rows_ if rows_ is not None else DEALS)
    return "".join(sep.join(r) + "\n" for r in lines)


@pytest.mark.parametrize("encoding, sep", [
    ("utf-8", ","),          # UTF-8 without BOM
    ("utf-8-sig", ";"),      # Excel "CSV UTF-8", French Windows: BOM and semicolons
    ("cp1252", ";"),         # Excel "CSV (séparateur: point-virgule)": Windows-1252
    ("utf-16", "\t"),        # Excel "Texte Unicode": UTF-16 with BOM, tab-separated
    ("utf-16-le", "\t"),     # the same without BOM
])
def test_encodings_and_delimiters(mem, tmp_path, encoding, sep):
    f = write(tmp_path / "deals.csv", export(sep), encoding, "\r\n")
    report = imp(mem, f)
    opp = next(t for t in report.tables if t.table == "opportunities")
    assert (opp.rows, opp.inserted) == (3, 3)
    # accents survived: the owner and the company are found by their exact names
    assert sorted(r[0] for r in rows(mem, "SELECT name FROM reps")) == ["Bruno Petit", "Hélène Roux"]
    assert one(mem, "SELECT count(*) FROM opportunities WHERE account_id = 'Société Générale'") == 2
    assert one(mem, "SELECT sum(amount) FROM opportunities WHERE status = 'won'") == 1200


def test_windows_1252_is_said_in_the_summary(mem, tmp_path):
    f = write(tmp_path / "deals.csv", export(";"), "cp1252")
    report = imp(mem, f)
    assert "read as Windows-1252" in report.files[0]["notes"]


def test_quoted_line_breaks_keep_line_numbers_right(mem, tmp_path):
    text = export(",", [
        ["1", '"Licences\nsur deux lignes"', "Closed Won", "1200", "2024-01-05", "2024-01-20", "A", "X"],
        ["2", "Audit", "Closed Lost", "huit cents", "2024-01-06", "2024-01-21", "B", "Y"],
    ])
    f = write(tmp_path / "deals.csv", text)
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(mem, f)
    # deal 1 spans lines 2-3: deal 2 is on line 4
    assert "deals.csv:4: Amount: not a number ('huit cents')" in str(exc.value)
    assert one(mem, "SELECT count(*) FROM opportunities") == 0


def test_rows_with_too_many_or_too_few_fields_are_named(mem, tmp_path):
    text = export(",") + "4,Extra,Closed Won,10,2024-01-08,2024-01-22,A,X,surplus\n5,Short,Closed Won\n"
    f = write(tmp_path / "deals.csv", text)
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(mem, f)
    msg = str(exc.value)
    assert "deals.csv:5: row: 9 fields where the header has 8" in msg
    assert "deals.csv:6: row: 3 fields where the header has 8" in msg
    # --skip-invalid lands the three good deals and counts the two ragged ones
    report = imp(mem, f, skip_invalid=True)
    opp = next(t for t in report.tables if t.table == "opportunities")
    assert (opp.rows, opp.inserted, opp.rejected) == (5, 3, 2)


def test_padded_and_duplicated_headers(mem, tmp_path):
    header = [" Record ID ", "Deal Name", "\u00a0Deal Stage", "Amount", "Amount", "Create Date", "Close Date",
              "Deal owner"]
    data = [["1", "A", "Closed Won", "100", "999", "2024-01-05", "2024-01-20", "Alice"]]
    f = write(tmp_path / "deals.csv", export(",", data, header))
    report = imp(mem, f)
    assert one(mem, "SELECT amount FROM opportunities") == 100  # the first Amount column
    assert any("duplicated header 'Amount'" in n for n in report.files[0]["notes"])


def test_empty_trailing_rows_and_columns_are_ignored(mem, tmp_path):
    # what Excel writes when cells below and right of the data were once formatted
    text = "".join(";".join(r) + ";;\n" for r in [HEADER] + DEALS) + ";" * 9 + "\n" + ";" * 9 + "\n"
    f = write(tmp_path / "deals.csv", text, "utf-8-sig")
    report = imp(mem, f)
    assert next(t for t in report.tables if t.table == "opportunities").inserted == 3
    assert "2 empty row(s) ignored" in report.files[0]["notes"]


def test_excel_sep_line(mem, tmp_path):
    f = write(tmp_path / "deals.csv", "sep=;\n" + export(";"))
    assert next(t for t in imp(mem, f).tables if t.table == "opportunities").inserted == 3


def test_an_empty_file_is_refused(mem, tmp_path):
    f = write(tmp_path / "deals.csv", "\ufeff\r\n")
    with pytest.raises(pilotage.ImportRejected, match="deals.csv: empty file: a header row is expected"):
        imp(mem, f)
