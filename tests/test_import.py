"""Import of a canonical CSV folder: checks, atomicity, idempotence, locks, schema upgrades."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import pilotage
from pilotage.store import migrations

REPS = "rep_id,name,email,team_id\nr1,Alice Martin,alice@example.com,t1\nr2,Bruno Petit,,t1\n"
TEAMS = "team_id,name,manager_rep_id\nt1,PME,r1\n"
LEADS = ("lead_id,created_at,source,owner_rep_id,converted_at\n"
         "l1,2024-01-10 09:00:00,LinkedIn,r1,2024-02-01\n"
         "l2,2024-01-11,Cold Email,r2,\n")
OPPS = ("opportunity_id,lead_id,owner_rep_id,created_at,stage,status,amount,closed_at\n"
        "o1,l1,r1,2024-01-12,Signature,won,1200.50,2024-02-01 10:00:00\n"
        "o2,l2,r2,2024-01-13,Proposition,open,800,\n")


def folder(tmp_path: Path, **files: str) -> Path:
    d = tmp_path / "in"
    d.mkdir(exist_ok=True)
    base = {"teams": TEAMS, "reps": REPS, "leads": LEADS, "opportunities": OPPS}
    for name, text in {**base, **files}.items():
        if text is None:
            (d / f"{name}.csv").unlink(missing_ok=True)
        else:
            (d / f"{name}.csv").write_text(text, encoding="utf-8")
    return d


def counts(ws) -> dict[str, int]:
    return {k: v for k, v in ws.row_counts().items() if v}


def test_import_counts_types_and_normalises(ws, tmp_path):
    report = ws.import_folder(folder(tmp_path))
    assert report.totals() == {"rows": 7, "inserted": 7, "updated": 0, "unchanged": 0, "rejected": 0}
    assert counts(ws) == {"teams": 1, "reps": 2, "leads": 2, "opportunities": 2}
    # sources are normalised to lower snake case: "Cold Email" -> cold_email
    df = ws.kpi("leads", by="source", start="2024-01-01", end="2024-02-01")
    assert dict(zip(df["source"], df["leads"], strict=True)) == {"cold_email": 1, "linkedin": 1}
    # the amount kept its cents
    assert ws.kpi("revenue", start="2024-02-01", end="2024-03-01")["revenue"][0] == pytest.approx(1200.50)


def test_postgresql_knows_the_imported_row_counts_at_once(ws, tmp_path):
    """The planner's statistics are updated by the import itself: with none it took a just-filled table for a
    handful of rows and nested loops (the medium demo's quota results: 6.5 s instead of 0.1 s)."""
    if ws.db.engine != "postgres":
        pytest.skip("PostgreSQL's planner statistics")
    ws.import_folder(folder(tmp_path))
    stats = dict(ws.db.fetchall("SELECT c.relname, c.reltuples FROM pg_class c JOIN pg_namespace n "
                                "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
                                (ws.db.schema,)))
    assert {t: stats[t] for t in ("reps", "leads", "opportunities")} == {"reps": 2, "leads": 2, "opportunities": 2}


def test_importing_the_same_folder_twice_changes_nothing(ws, tmp_path):
    d = folder(tmp_path)
    ws.import_folder(d)
    before = counts(ws)
    again = ws.import_folder(d)
    assert again.totals()["inserted"] == 0 and again.totals()["updated"] == 0
    assert again.totals()["unchanged"] == 7
    assert counts(ws) == before


def test_a_changed_row_is_updated_not_duplicated(ws, tmp_path):
    ws.import_folder(folder(tmp_path))
    changed = OPPS.replace("o2,l2,r2,2024-01-13,Proposition,open,800,",
                           "o2,l2,r2,2024-01-13,Signature,won,900,2024-02-15")
    report = ws.import_folder(folder(tmp_path, opportunities=changed))
    opp = next(t for t in report.tables if t.table == "opportunities")
    assert (opp.inserted, opp.updated, opp.unchanged) == (0, 1, 1)
    assert counts(ws)["opportunities"] == 2
    # 1200.50 + 900 won in February
    assert ws.kpi("revenue", start="2024-02-01", end="2024-03-01")["revenue"][0] == pytest.approx(2100.50)


def test_one_bad_row_lands_nothing_and_names_the_row(ws, tmp_path):
    ws.import_folder(folder(tmp_path))
    before = counts(ws)
    bad_leads = LEADS + "l3,2024-13-45,website,r1,\n"  # line 4: not a date
    more_reps = REPS + "r3,Chloé Durand,,t1\n"  # valid, must not land either
    with pytest.raises(pilotage.ImportRejected) as exc:
        ws.import_folder(folder(tmp_path, leads=bad_leads, reps=more_reps))
    msg = str(exc.value)
    assert "leads.csv:4: created_at: not a date or datetime" in msg
    assert "'2024-13-45'" in msg
    assert "nothing was written" in msg
    assert counts(ws) == before


@pytest.mark.parametrize("text, expected", [
    (OPPS + "o3,l1,r9,2024-01-12,Signature,won,10,2024-02-01\n",
     "opportunities.csv:4: owner_rep_id: unknown rep id (not in reps) ('r9')"),
    (OPPS + "o3,l1,r1,2024-01-12,Signature,signed,10,2024-02-01\n",
     "opportunities.csv:4: status: not one of: open, won, lost ('signed')"),
    (OPPS + "o3,l1,r1,2024-01-12,Signature,won,10,\n",
     "opportunities.csv:4: closed_at: required when status is won or lost"),
    (OPPS + "o1,l1,r1,2024-01-12,Signature,won,10,2024-02-01\n",
     "opportunities.csv:4: opportunity_id: duplicate key: also on line 2 ('o1')"),
    (OPPS + "o3,l1,r1,2024-01-12,Signature,won,1 234,2024-02-01\n",
     "opportunities.csv:4: amount: not a number with . as decimal separator ('1 234')"),
    (OPPS + "o3,l1,,2024-01-12,Signature,won,10,2024-02-01\n",
     "opportunities.csv:4: owner_rep_id: required value missing"),
])
def test_rejected_rows_say_file_line_column_and_reason(duck, tmp_path, text, expected):
    with pytest.raises(pilotage.ImportRejected) as exc:
        duck.import_folder(folder(tmp_path, opportunities=text))
    assert expected in str(exc.value)
    assert counts(duck) == {}


def test_line_numbers_follow_quoted_line_breaks(duck, tmp_path):
    reps = 'rep_id,name\nr1,"Alice\nMartin"\nr2,Bruno\n'  # r2 is on line 4
    leads = "lead_id,created_at,source,owner_rep_id\nl1,2024-01-01,web,r1\n"
    opps = ("opportunity_id,owner_rep_id,created_at,stage,status,amount\n"
            "o1,r1,2024-01-01,A,open,1\n")
    with pytest.raises(pilotage.ImportRejected) as exc:
        duck.import_folder(folder(tmp_path, teams=None, reps=reps + "r2,Bruno bis\n",
                                  leads=leads, opportunities=opps))
    assert "reps.csv:5: rep_id: duplicate key: also on line 4" in str(exc.value)


def test_missing_required_file_or_column_is_reported(duck, tmp_path):
    with pytest.raises(pilotage.ImportRejected, match="missing required file leads.csv"):
        duck.import_folder(folder(tmp_path, leads=None))
    with pytest.raises(pilotage.ImportRejected, match="leads.csv:1: source: required column missing"):
        duck.import_folder(folder(tmp_path, leads="lead_id,created_at\nl1,2024-01-01\n"))


def test_unknown_columns_are_reported_as_ignored(duck, tmp_path):
    report = duck.import_folder(folder(tmp_path, reps=REPS.replace("team_id\n", "team_id,favourite_colour\n")
                                       .replace(",t1\n", ",t1,blue\n")))
    reps = next(t for t in report.tables if t.table == "reps")
    assert reps.ignored_columns == ["favourite_colour"]


def test_dry_run_counts_and_writes_nothing(ws, tmp_path):
    report = ws.import_folder(folder(tmp_path), dry_run=True)
    assert report.totals()["inserted"] == 7
    assert counts(ws) == {}


def test_datetimes_with_an_offset_land_in_the_workspace_time_zone(duck, tmp_path):
    leads = ("lead_id,created_at,source\n"
             "l1,2024-03-31T22:30:00Z,web\n"  # 00:30 on April 1st in Paris (summer time)
             "l2,2024-03-31 22:30:00,web\n")  # naive: already Paris time, March 31st
    duck.import_folder(folder(tmp_path, leads=leads, opportunities=OPPS.splitlines()[0] + "\n"))
    df = duck.kpi("leads", grain="month", start="2024-03-01", end="2024-05-01")
    assert list(df["leads"]) == [1, 1]


KILLER = textwrap.dedent("""
    import os, signal, sys
    import pilotage
    ws = pilotage.connect(sys.argv[1], create=True)
    def tick(step, done, total):
        if step == "writing " + sys.argv[3]:
            os.kill(os.getpid(), signal.SIGKILL)
    ws.import_folder(sys.argv[2], progress=tick)
""")


def test_killing_the_process_mid_import_leaves_the_database_as_it_was(tmp_path):
    db = str(tmp_path / "k.duckdb")
    first = folder(tmp_path)
    with pilotage.connect(db, create=True) as ws:
        ws.import_folder(first)
        before = counts(ws)
    second = tmp_path / "second"
    second.mkdir()
    (second / "teams.csv").write_text(TEAMS)
    (second / "reps.csv").write_text(REPS + "r3,Chloé Durand,,t1\n")
    (second / "leads.csv").write_text(LEADS + "l3,2024-01-20,event,r3,\n")
    (second / "opportunities.csv").write_text(OPPS + "o3,l3,r3,2024-01-21,Signature,won,5000,2024-02-02\n")
    script = tmp_path / "killer.py"
    script.write_text(KILLER)
    # killed after reps and leads were written, before opportunities
    proc = subprocess.run([sys.executable, str(script), db, str(second), "opportunities"], timeout=120)
    assert proc.returncode == -9
    with pilotage.connect(db, create=True) as ws:
        assert counts(ws) == before
        assert ws.kpi("revenue", start="2024-02-01", end="2024-03-01")["revenue"][0] == pytest.approx(1200.50)


HOLDER = textwrap.dedent("""
    import sys, time
    import pilotage
    ws = pilotage.connect(sys.argv[1], create=True)
    print("ready", flush=True)
    time.sleep(60)
""")


def test_a_database_held_by_another_process_fails_fast_and_clearly(tmp_path):
    db = str(tmp_path / "held.duckdb")
    pilotage.connect(db, create=True).close()
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    holder = subprocess.Popen([sys.executable, str(script), db], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        t0 = time.perf_counter()
        expected = f"in use by another Pilotage process \\(process {holder.pid}\\)"
        with pytest.raises(pilotage.DatabaseLocked, match=expected):
            pilotage.connect(db, create=True)
        assert time.perf_counter() - t0 < 1.0
    finally:
        holder.kill()
        holder.wait()


def test_an_older_database_is_upgraded_without_losing_anything(tmp_path, monkeypatch):
    db = str(tmp_path / "old.duckdb")
    with pilotage.connect(db, create=True) as ws:
        ws.import_folder(folder(tmp_path))
        before = counts(ws)

    def v2(database):
        database.execute(f"ALTER TABLE {database.q('reps')} ADD COLUMN nickname VARCHAR")

    nxt = migrations.LATEST + 1
    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, (nxt, "rep nickname", v2)])
    monkeypatch.setattr(migrations, "LATEST", nxt)
    with pilotage.connect(db, create=True) as ws:
        assert migrations.current_version(ws.db) == nxt
        assert counts(ws) == before
        assert "nickname" in ws.db.table("reps").columns


def test_a_database_from_a_newer_pilotage_is_refused(tmp_path):
    db = str(tmp_path / "new.duckdb")
    with pilotage.connect(db, create=True) as ws:
        ws.db.execute(f"UPDATE {ws.db.q('pilotage_meta')} SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(pilotage.DatabaseError, match="schema version 99, made by a newer Pilotage"):
        pilotage.connect(db, create=True)


def test_settings_live_in_the_database(tmp_path):
    db = str(tmp_path / "s.duckdb")
    with pilotage.connect(db, create=True) as ws:
        assert ws.settings.currency == "EUR" and ws.settings.locale == "fr_FR"
        ws.set_settings(fiscal_year_start=4, week_start="sunday")
    with pilotage.connect(db, create=True) as ws:
        assert (ws.settings.fiscal_year_start, ws.settings.week_start) == (4, "sunday")


def test_postgres_url_without_server_is_a_clear_error():
    with pytest.raises(pilotage.DatabaseError, match="cannot connect to postgresql://nobody:\\*\\*\\*@127.0.0.1:1/x"):
        pilotage.connect("postgresql://nobody:secret@127.0.0.1:1/x")


def test_env_var_chooses_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("PILOTAGE_DATABASE_URL", str(tmp_path / "env.duckdb"))
    pilotage.connect(create=True).close()
    assert os.path.exists(tmp_path / "env.duckdb")


def test_an_import_by_another_process_is_seen_without_reconnecting(ws, tmp_path):
    """Two workspaces on one database (PostgreSQL: a server and a CLI import)."""
    if ws.db.engine != "postgres":
        pytest.skip("DuckDB allows one writing process: the server is the one that imports")
    ws.import_folder(folder(tmp_path))
    feb = {"start": "2024-02-01", "end": "2024-03-01"}
    assert ws.kpi("revenue", **feb)["revenue"][0] == pytest.approx(1200.50)
    other = pilotage.connect(ws.db.url, schema=ws.db.schema)
    try:
        other.import_folder(folder(tmp_path, opportunities=OPPS.replace("1200.50", "2000")))
    finally:
        other.close()
    assert ws.kpi("revenue", **feb)["revenue"][0] == pytest.approx(2000)


def test_connect_to_a_missing_file_is_the_clis_clear_error_unless_asked_to_create(tmp_path):
    # issue #9: a typo in the path used to create an empty database and give empty figures
    path = tmp_path / "pilotage.duckdb"
    with pytest.raises(pilotage.DatabaseError, match="no database at .*pilotage.duckdb: run `pilotage import DIR`"):
        pilotage.connect(str(path))
    assert not path.exists()
    with pilotage.connect(str(path), create=True) as ws:
        assert ws.row_counts()["opportunities"] == 0
    with pilotage.connect(str(path)) as ws:  # it exists now
        assert ws.settings.currency


def test_an_unknown_reference_is_worded_in_good_english(duck):
    # issue #9: "unknown opportunitie id"
    with pytest.raises(pilotage.ImportRejected) as exc:
        duck.load({"reps": [{"rep_id": "r1", "name": "A"}],
                   "activities": [{"activity_id": "a1", "rep_id": "r1", "type": "call",
                                   "occurred_at": "2024-01-02 10:00:00", "opportunity_id": "nope"}]})
    text = str(exc.value) + " ".join(str(e) for e in getattr(exc.value, "errors_detail", None) or [])
    assert "unknown opportunity id (not in opportunities)" in text
    assert "opportunitie " not in text
