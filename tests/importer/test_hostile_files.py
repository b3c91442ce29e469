"""The hostile-file corpus (tests/data/hostile/): each file is refused with an error naming the file, the line
and the cell, nothing is written, and the same on DuckDB and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

import pilotage
from pilotage.errors import ImportRejected

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"


# `ws` (tests/conftest.py): one workspace on DuckDB, one on PostgreSQL


def _folder(tmp_path: Path, hostile: str | None = None) -> Path:
    folder = tmp_path / "in"
    shutil.copytree(HOSTILE / "base", folder)
    if hostile:
        table = hostile.split(".")[1]
        shutil.copy(HOSTILE / hostile, folder / f"{table}.csv")
    return folder


def _errors(ws, folder) -> list[tuple]:
    with pytest.raises(ImportRejected) as info:
        ws.import_path(folder)
    assert ws.row_counts()["reps"] == 0  # nothing written
    return info.value.errors


@pytest.mark.parametrize("hostile, line, column, reason", [
    ("duplicate-header.reps.csv", 1, "name", "the header names this column 2 times"),
    ("nul-in-value.reps.csv", 2, "name", "holds a NUL character"),
    ("dates-out-of-range.leads.csv", 2, "created_at", "outside the dates Pilotage handles (1900-01-01 to 2200-01-01)"),
    ("non-finite.exchange_rates.csv", 2, "rate", "not a finite number"),
    ("underscore-number.products.csv", 2, "list_price", "not a number"),
])
def test_each_hostile_file_is_a_clear_error(ws, tmp_path, hostile, line, column, reason):
    errors = _errors(ws, _folder(tmp_path, hostile))
    f, ln, col, why = errors[0]
    assert (f, ln, col) == (f"{hostile.split('.')[1]}.csv", line, column)
    assert reason in why


def test_every_out_of_range_date_is_named(tmp_path):
    """Years 1, 1899, 2201 and 9999 (lines 2-5) refused, the 2024 lead (line 6) not."""
    with pilotage.connect(":memory:") as w:
        errors = _errors(w, _folder(tmp_path, "dates-out-of-range.leads.csv"))
    assert sorted(e[1] for e in errors) == [2, 3, 4, 5]


@pytest.mark.parametrize("make, said", [
    (lambda p: os.symlink("/dev/zero", p), r"not a regular file \(a device\)"),
    (lambda p: os.mkfifo(p), "FIFO"),
    (lambda p: os.symlink(p.name, p), "symbolic link loop"),
])
def test_only_regular_files_are_read(tmp_path, make, said):
    folder = _folder(tmp_path)
    (folder / "reps.csv").unlink()
    make(folder / "reps.csv")
    t0 = time.monotonic()
    with pilotage.connect(":memory:") as w:
        with pytest.raises(ImportRejected, match=said):
            w.import_path(folder)
    assert time.monotonic() - t0 < 10  # refused before reading: /dev/zero never ends


def test_a_deal_closed_before_it_was_created_is_kept_with_a_note(ws, tmp_path):
    report = ws.import_path(_folder(tmp_path, "closed-before-created.opportunities.csv"))
    assert report.totals()["inserted"] == 3
    assert any("1 row(s) with closed_at before created_at (line(s) 2), kept" in n for n in report.notes)


def test_the_valid_base_folder_imports(tmp_path):
    with pilotage.connect(":memory:") as w:
        assert w.import_path(_folder(tmp_path)).totals()["inserted"] == 3
