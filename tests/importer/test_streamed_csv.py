"""A canonical CSV is streamed block by block into the checks' scratch database and handed to the
workspace in batches (docs/import.md, "Memory"). Blocks and batches are made tiny here so that a few
hundred rows cross many of them: every row must land once, errors must name the right line, and a bad
block far into a file must fail the import whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilotage.errors import ImportRejected
from pilotage.importer import canonical
from tests.test_import import counts, folder

N = 600  # leads, so that leads.csv (about 30 KB) spans about 30 blocks of 1 KiB
NO_DEALS = "opportunity_id,lead_id,owner_rep_id,created_at,stage,status,amount,closed_at\n"


@pytest.fixture(autouse=True)
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(canonical, "CSV_BLOCK_BYTES", 1024)
    monkeypatch.setattr(canonical, "BATCH_ROWS", 50)


def leads(n: int = N, bad: dict[int, str] | None = None) -> str:
    out = ["lead_id,created_at,source,owner_rep_id,converted_at"]
    for i in range(n):
        out.append((bad or {}).get(i, f"l{i},2024-01-{1 + i % 28:02d} 09:00:00,web,r{1 + i % 2},"
                                      + ("2024-02-01" if i % 4 == 0 else "")))
    return "\n".join(out) + "\n"


def test_every_row_of_a_file_read_in_many_blocks_lands_once(ws, tmp_path):
    report = ws.import_folder(folder(tmp_path, leads=leads(), opportunities=NO_DEALS))
    lead_report = next(t for t in report.tables if t.table == "leads")
    assert (lead_report.rows, lead_report.inserted) == (N, N)
    assert counts(ws)["leads"] == N
    # a lead in four converted: 150 of 600 (hand count: i = 0, 4, ..., 596)
    assert ws.db.fetchall("SELECT count(*) FROM leads WHERE converted_at IS NOT NULL") == [(150,)]
    # imported again across the same blocks: nothing changes
    again = ws.import_folder(folder(tmp_path, leads=leads(), opportunities=NO_DEALS))
    assert again.totals()["unchanged"] == again.totals()["rows"]


def test_an_error_deep_in_the_file_names_its_line_and_lands_nothing(ws, tmp_path):
    # row 500 is line 502 (the header is line 1); a quoted line break before it shifts it to 503
    text = leads(bad={3: 'l3,2024-01-04,"web\nsite",r1,', 500: "l500,2024-13-45,web,r1,"})
    with pytest.raises(ImportRejected) as e:
        ws.import_folder(folder(tmp_path, leads=text, opportunities=NO_DEALS))
    assert [(err[1], err[2]) for err in e.value.errors] == [(503, "created_at")]
    assert counts(ws) == {}


def test_a_short_row_deep_in_the_file_fails_the_import_with_its_line(duck, tmp_path):
    text = leads(bad={450: "l450,2024-01-04"})
    with pytest.raises(ImportRejected) as e:
        duck.import_folder(folder(tmp_path, leads=text, opportunities=NO_DEALS))
    assert "2 fields where the header has 5" in str(e.value)
    assert counts(duck) == {}


def test_invalid_utf8_deep_in_the_file_is_a_clear_error(duck, tmp_path):
    d = folder(tmp_path, leads=leads(), opportunities=NO_DEALS)
    data = (d / "leads.csv").read_bytes().replace(b"l400,", b"l\xff400,")
    (d / "leads.csv").write_bytes(data)
    with pytest.raises(ImportRejected, match="not valid UTF-8"):
        duck.import_folder(d)
    assert counts(duck) == {}


def test_the_scratch_folder_is_removed_after_an_import(duck, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    duck.import_folder(folder(tmp_path, leads=leads(), opportunities=NO_DEALS))
    with pytest.raises(ImportRejected):
        duck.import_folder(folder(tmp_path, leads=leads(bad={7: "l7,x,web,r1,"}), opportunities=NO_DEALS))
    assert not list(Path(tmp_path).glob("pilotage-check-*"))



def test_a_check_that_needs_more_than_the_scratch_limit_is_run_again_with_more(monkeypatch):
    import duckdb

    # no temporary folder: nothing can spill, so 8 MB is too little for two million distinct ids
    con = duckdb.connect(config={"memory_limit": "8MB", "temp_directory": ""})
    monkeypatch.setattr(canonical, "SCRATCH_MEMORY", 8 << 20)
    monkeypatch.setattr(canonical, "SCRATCH_MEMORY_MAX", 8 << 20)
    sql = "SELECT count(DISTINCT 'o' || i) FROM range(2000000) t(i)"
    with pytest.raises(duckdb.OutOfMemoryException):
        canonical._Scratch(con).execute(sql)
    monkeypatch.setattr(canonical, "SCRATCH_MEMORY_MAX", 4 << 30)
    scratch = canonical._Scratch(con)
    assert scratch.execute(sql).fetchone() == (2_000_000,)
    assert scratch.limit > 8 << 20
