"""`pilotage doctor` run as a user runs it, and reading while another process writes the DuckDB file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pilotage
from tests.test_cli import run
from tests.test_import import HOLDER


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "doc.duckdb")
    with pilotage.connect(path, create=True) as ws:
        ws.load({"reps": [{"rep_id": f"r{i}", "name": f"Rep {i}"} for i in range(3)]})
    return path


def test_doctor_on_a_sound_workspace(db):
    p = run("doctor", "--db", db)
    assert p.returncode == 0, p.stderr
    from pilotage.store.migrations import LATEST

    assert f"schema version {LATEST}" in p.stdout
    assert "integrity: 17 tables read whole, 3 rows" in p.stdout
    assert "free disk space" in p.stdout


KILLED = """
import os, sys
import pilotage
ws = pilotage.connect(sys.argv[1])
ws.db.execute("BEGIN TRANSACTION")
ws.db.execute("CREATE TABLE filler AS SELECT i, md5(i::varchar) || md5((i * 7)::varchar) AS pad "
              "FROM range(1000000) t(i)")
os.kill(os.getpid(), 9)  # an import killed before its commit
"""


def test_doctor_compacts_a_file_a_killed_import_left_large(db, tmp_path):
    script = tmp_path / "killed.py"
    script.write_text(KILLED)
    subprocess.run([sys.executable, str(script), db], timeout=120)
    before = Path(db).stat().st_size
    p = run("doctor", "--db", db)
    assert "unused" in p.stdout and "pilotage doctor --compact" in p.stdout, p.stdout
    p = run("doctor", "--db", db, "--compact")
    assert p.returncode == 0, p.stderr
    assert Path(db).stat().st_size < before / 2
    with pilotage.connect(db, read_only=True) as ws:
        assert ws.row_counts()["reps"] == 3  # nothing lost


def test_no_workspace_is_said_plainly(tmp_path):
    p = run("doctor", "--db", str(tmp_path / "none.duckdb"))
    assert p.returncode == 2 and "no database at" in p.stderr


def test_reading_while_another_process_writes_says_what_to_do(db, tmp_path):
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(script), db], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        p = run("kpi", "revenue", "--db", db)
        assert p.returncode == 2
        assert "Read through that server" in p.stderr or "in use by another" in p.stderr
        d = run("doctor", "--db", db)
        assert d.returncode == 2 and "/api/v1/health" in d.stdout
    finally:
        holder.kill()
        holder.wait()
    assert Path(db).exists()
