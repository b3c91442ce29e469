"""Files that are not what they claim are refused with a clear message, without reading them into memory."""

from __future__ import annotations

import io
import json
import re
import resource
import time
import zipfile

import openpyxl
import pytest

import pilotage
from pilotage.importer import readers
from tests.importer.conftest import imp, one, write


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_2_gb_binary_named_csv(mem, tmp_path):
    f = tmp_path / "deals.csv"
    with open(f, "wb") as fh:  # 2 GB of NUL bytes (sparse on disk)
        fh.truncate(2 * 1024 ** 3)
    before, t0 = peak_mb(), time.perf_counter()
    with pytest.raises(pilotage.ImportRejected, match="deals.csv: not a text file: binary content"):
        imp(mem, f)
    assert time.perf_counter() - t0 < 5
    assert peak_mb() - before < 200


@pytest.mark.parametrize("head, what", [
    (b"\x89PNG\r\n\x1a\n", "it is a PNG image"),
    (b"%PDF-1.7\n", "it is a PDF document"),
    (b"PK\x03\x04", "it is a ZIP archive (an Excel .xlsx workbook?) (rename it .xlsx)"),
])
def test_files_that_are_not_text(mem, tmp_path, head, what):
    f = tmp_path / "deals.csv"
    f.write_bytes(head + b"\x00" * 1000)
    with pytest.raises(pilotage.ImportRejected, match=re.escape(f"deals.csv: not a text file: {what}")):
        imp(mem, f)


def test_no_line_break_in_the_first_mebibyte(mem, tmp_path):
    f = tmp_path / "deals.csv"
    f.write_bytes(b"a" * (3 << 20))
    with pytest.raises(pilotage.ImportRejected, match="no line break in the first 1 MiB: not a CSV export"):
        imp(mem, f)


def test_a_zip_bomb(mem, tmp_path):
    bomb = tmp_path / "exports.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deals.csv", b"0" * (64 << 20))  # 64 MiB of zeros: about 64 KB compressed
    assert bomb.stat().st_size < 200_000
    before = peak_mb()
    with pytest.raises(pilotage.ImportRejected,
                       match=r"exports.zip: deals.csv expands [\d,]+ times .*refused as a zip bomb"):
        imp(mem, bomb)
    assert peak_mb() - before < 100
    assert not any(p.name == "deals.csv" for p in tmp_path.rglob("*"))


def test_an_archive_beyond_the_size_allowed(mem, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ZIP_UNCOMPRESSED", 1 << 20)
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("deals.csv", "Record ID,Deal Stage\n" + "1,Closed Won\n" * 200_000)
    with pytest.raises(pilotage.ImportRejected, match=r"the archive expands beyond the 1 MiB allowed"):
        imp(mem, archive)


def xlsx_bytes() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.append(["Record ID", "Deal Stage", "Amount", "Create Date", "Close Date"])
    wb.active.append([1, "Closed Won", 10, "2024-01-02", "2024-01-03"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rewrite_sheet(path, transform) -> None:
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members["xl/worksheets/sheet1.xml"] = transform(members["xl/worksheets/sheet1.xml"])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in members.items():
            z.writestr(n, data)


def test_an_xlsx_bomb(mem, tmp_path):
    f = tmp_path / "export.xlsx"
    rewrite_sheet(f, lambda xml: xml.replace(b"</worksheet>", b" " * (48 << 20) + b"</worksheet>"))
    with pytest.raises(pilotage.ImportRejected, match=r"export.xlsx: xl/worksheets/sheet1.xml expands [\d,]+ times"):
        imp(mem, f)


def test_an_xlsx_with_a_million_empty_rows(mem, tmp_path):
    f = tmp_path / "export.xlsx"
    empty = b"".join(b'<row r="%d"><c r="A%d" s="0"/></row>' % (i, i) for i in range(3, 1_000_003))
    rewrite_sheet(f, lambda xml: xml.replace(b"</sheetData>", empty + b"</sheetData>"))
    before, t0 = peak_mb(), time.perf_counter()
    with pytest.raises(pilotage.ImportRejected, match=r"export.xlsx \[Sheet\]: more than 10,000 empty rows in a row "
                                                      r"after row 2: refused"):
        imp(mem, f)
    assert time.perf_counter() - t0 < 20
    assert peak_mb() - before < 300
    assert one(mem, "SELECT count(*) FROM opportunities") == 0


def test_a_few_empty_rows_after_the_data_are_fine(mem, tmp_path):
    f = tmp_path / "export.xlsx"
    empty = b"".join(b'<row r="%d"><c r="A%d" s="0"/></row>' % (i, i) for i in range(3, 500))
    rewrite_sheet(f, lambda xml: xml.replace(b"</sheetData>", empty + b"</sheetData>"))
    imp(mem, f)
    assert one(mem, "SELECT count(*) FROM opportunities") == 1


def test_json_beyond_the_size_allowed(mem, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_JSON_BYTES", 1000)
    f = write(tmp_path / "Opportunities.json", json.dumps({"records": [{"Name": "x" * 2000}]}))
    with pytest.raises(pilotage.ImportRejected, match="Opportunities.json: 0 MiB of JSON: above the 0 MiB accepted"):
        imp(mem, f)


def test_an_old_xls_workbook(mem, tmp_path):
    f = tmp_path / "export.xls"
    f.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(pilotage.ImportRejected, match=r"old Excel format \(.xls\): save it as .xlsx or as CSV"):
        imp(mem, f)
