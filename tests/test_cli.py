"""The CLI contract, run as a user runs it: a real process, its stdout, stderr and exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import pilotage


def run(*args, check=False):
    p = subprocess.run([sys.executable, "-m", "pilotage.cli", *args], capture_output=True, text=True, timeout=120)
    if check and p.returncode:
        raise AssertionError(p.stderr)
    return p


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("cli") / "cli.duckdb")
    with pilotage.connect(path, create=True) as ws:
        ws.load({
            "teams": [{"team_id": "t1", "name": "PME"}],
            "reps": [{"rep_id": "r1", "name": "Alice", "team_id": "t1"},
                     {"rep_id": "r2", "name": "Bruno", "team_id": "t1"}],
            # 200 leads in January 2024, 50 of them converted (the seeds' example: 25 %)
            "leads": [{"lead_id": f"l{i}", "created_at": "2024-01-15 10:00:00",
                       "source": "linkedin" if i % 2 else "event", "owner_rep_id": "r1" if i < 100 else "r2",
                       "converted_at": "2024-02-01" if i < 50 else None} for i in range(200)],
            "opportunities": [
                {"opportunity_id": "o1", "owner_rep_id": "r1", "created_at": "2024-01-02", "stage": "S",
                 "status": "won", "amount": "1234.56", "closed_at": "2024-02-10 10:00:00"},
                {"opportunity_id": "o2", "owner_rep_id": "r2", "created_at": "2024-01-03", "stage": "S",
                 "status": "won", "amount": "100", "closed_at": "2024-03-10 10:00:00"},
            ],
        })
    return path


def test_kpi_json_shape(db):
    p = run("kpi", "lead_conversion_rate", "leads", "--grain", "month", "--by", "rep",
            "--from", "2024-01-01", "--to", "2024-03-01", "--format", "json", "--db", db, check=True)
    rows = json.loads(p.stdout)
    jan_r1 = next(r for r in rows if r["period"] == "2024-01-01" and r["rep"] == "r1")
    # r1 owns leads 0..99: converted are 0..49 => 50 of 100
    assert jan_r1["lead_conversion_rate"] == 0.5
    assert jan_r1["lead_conversion_rate_numerator"] == 50
    assert jan_r1["lead_conversion_rate_denominator"] == 100
    assert jan_r1["leads"] == 100
    feb_r2 = next(r for r in rows if r["period"] == "2024-02-01" and r["rep"] == "r2")
    assert feb_r2["lead_conversion_rate"] is None and feb_r2["leads"] == 0
    assert len(rows) == 4  # 2 months x 2 reps


def test_kpi_table_uses_french_formats(db):
    p = run("kpi", "lead_conversion_rate", "revenue", "--from", "2024-01-01", "--to", "2024-03-01",
            "--db", db, check=True)
    assert "25,0" in p.stdout and "%" in p.stdout  # 50 / 200
    assert "1\u202f234,56" in p.stdout or "1 234,56" in p.stdout  # revenue in February
    assert "Taux de conversion des leads" in p.stdout


def test_kpi_csv(db):
    p = run("kpi", "revenue", "--grain", "month", "--from", "2024-01-01", "--to", "2024-04-01",
            "--format", "csv", "--db", db, check=True)
    assert p.stdout.splitlines() == ["period,revenue", "2024-01-01,0.0", "2024-02-01,1234.56", "2024-03-01,100.0"]


def test_catalogue_in_english(db):
    p = run("kpis", "--lang", "en", "--format", "json", check=True)
    cat = {k["id"]: k for k in json.loads(p.stdout)}
    assert cat["win_rate"]["label"] == "Win rate"
    assert cat["win_rate"]["unit"] == "rate"


def test_explain_shows_formula_and_records(db):
    p = run("explain", "revenue", "--period", "2024-02", "--rep", "r1", "--db", db, check=True)
    assert "somme des montants des affaires signées" in p.stdout
    assert "o1" in p.stdout and "o2" not in p.stdout
    assert "1 record(s)" in p.stdout


@pytest.mark.parametrize("args, message", [
    (["kpi", "revenu"], "unknown KPI 'revenu' (did you mean revenue"),
    (["kpi", "nps", "--by", "rep"], "nps cannot be cut by rep"),
    (["kpi", "revenue", "--from", "2024-02-30"], "start: '2024-02-30' is not a date"),
    (["kpi", "revenue", "--grain", "fortnight"], "unknown grain 'fortnight'"),
    (["kpi", "revenue", "--where", "colour"], "expected dimension=value"),
])
def test_errors_are_one_clear_line_and_exit_2(db, args, message):
    p = run(*args, "--db", db)
    assert p.returncode == 2
    assert message in p.stderr.replace("\n", " ")
    assert "Traceback" not in p.stderr


def test_no_database_is_an_error_not_an_empty_answer(tmp_path):
    p = run("kpi", "revenue", "--db", str(tmp_path / "nothing.duckdb"))
    assert p.returncode == 2
    assert "no database at" in p.stderr
    assert not (tmp_path / "nothing.duckdb").exists()


def test_python_api_gives_arrow_too(db):
    with pilotage.connect(db, read_only=True) as ws:
        t = ws.kpi("lead_conversion_rate", start="2024-01-01", end="2024-02-01", arrow=True)
    assert t.column("lead_conversion_rate").to_pylist() == [0.25]  # 50 of 200
    assert t.column("lead_conversion_rate_denominator").to_pylist() == [200]


@pytest.mark.parametrize("args, message", [
    (["kpi"], "Missing argument"),
    (["kpi", "revenue", "--grain"], "requires an argument"),
    (["kpi", "revenue", "--bogus"], "No such option"),
])
def test_usage_errors_are_one_line_and_exit_2(db, args, message):
    p = run(*args)
    assert p.returncode == 2
    assert message in p.stderr and "Traceback" not in p.stderr


def test_a_dimension_given_twice_counts_once(db):
    p = run("kpi", "leads", "--by", "rep,rep", "--from", "2024-01-01", "--to", "2024-02-01",
            "--format", "json", "--db", db, check=True)
    assert {r["rep"]: r["leads"] for r in json.loads(p.stdout)} == {"r1": 100, "r2": 100}


def test_dates_out_of_range_and_too_many_periods_are_refused(db):
    p = run("kpi", "revenue", "--from", "1677-01-01", "--to", "1678-01-01", "--db", db)
    assert p.returncode == 2 and "outside the dates Pilotage handles" in p.stderr
    p = run("kpi", "revenue", "--grain", "day", "--from", "1901-01-01", "--to", "2199-01-01", "--db", db)
    assert p.returncode == 2 and "choose a coarser grain" in p.stderr


def test_explain_periods_follow_the_fiscal_year(tmp_path):
    from pilotage.service import parse_period

    import datetime as dt
    # fiscal year starting in April: "2025" is April 2025 - March 2026, Q1 is April - June
    assert parse_period("2025", 4) == (dt.date(2025, 4, 1), dt.date(2026, 4, 1))
    assert parse_period("2025-Q1", 4) == (dt.date(2025, 4, 1), dt.date(2025, 7, 1))
    assert parse_period("2025-Q4", 4) == (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    assert parse_period("2025-Q1") == (dt.date(2025, 1, 1), dt.date(2025, 4, 1))


def test_focus_must_name_known_kpis(tmp_path):
    db = str(tmp_path / "f.duckdb")
    p = run("settings", "--set", "focus=revenue,foo", "--db", db)
    assert p.returncode == 2 and "unknown KPI id(s) in focus: foo" in p.stderr


def test_csv_output_neutralises_formulas(tmp_path):
    db = str(tmp_path / "f.duckdb")
    with pilotage.connect(db, create=True) as ws:
        ws.load({"reps": [{"rep_id": "=HYPERLINK(\"http://x\")", "name": "Mallory"}],
                 "leads": [{"lead_id": "l1", "created_at": "2024-01-10", "source": "web",
                            "owner_rep_id": "=HYPERLINK(\"http://x\")"}],
                 "opportunities": []})
    p = run("kpi", "leads", "--by", "rep", "--from", "2024-01-01", "--to", "2024-02-01",
            "--format", "csv", "--db", db, check=True)
    import csv as csv_module

    rows = list(csv_module.reader(p.stdout.splitlines()))
    assert rows[1][0] == "'=HYPERLINK(\"http://x\")"  # shown as text, never run
    assert float(rows[1][1]) == 1


# --------------------------------------------------------------------------- import: hints in the terminal
AMBIGUOUS_DEALS = ("Deal ID,Deal Name,Deal Stage,Amount,Create Date,Deal owner\n"
                   "1,Chairs,Appointment Scheduled,100,03/04/2024,Alice Martin\n"
                   "2,Desks,Qualified To Buy,200,05/02/2024,Bruno Petit\n")


def test_import_prints_the_hint_of_an_ambiguous_date_column_and_following_it_works(tmp_path):
    import datetime as dt

    deals = tmp_path / "deals.csv"
    deals.write_text(AMBIGUOUS_DEALS, encoding="utf-8")
    db, errors = str(tmp_path / "x.duckdb"), str(tmp_path / "deals.errors.csv")
    p = run("import", str(deals), "--db", db, "--errors", errors)
    assert p.returncode == 2
    lines = p.stderr.splitlines()
    k = next(i for i, line in enumerate(lines) if "deals.csv: Create Date: dates such as '03/04/2024' (line 2) "
                                                  "read as day/month or month/day" in line)
    # the hint, on the line after its error, indented; the error file is still named
    assert lines[k + 1] == ("  hint: pass --date-order dmy (or mdy), or add date_order: dmy to the column in a "
                            "mapping file")
    assert lines[-1] == f"every error is listed in {errors}"
    with pilotage.connect(db, create=True) as ws:
        assert ws.db.fetchall("SELECT count(*) FROM opportunities") == [(0,)]
    # following the hint: day/month
    p = run("import", str(deals), "--db", db, "--errors", errors, "--date-order", "dmy")
    assert p.returncode == 0, p.stderr
    with pilotage.connect(db, create=True) as ws:
        assert ws.db.fetchall("SELECT opportunity_id, created_at FROM opportunities ORDER BY 1") == [
            ("1", dt.datetime(2024, 4, 3)), ("2", dt.datetime(2024, 2, 5))]


def test_import_prints_each_distinct_hint_once(tmp_path):
    # an unknown stage, then 25 amounts that are not numbers: 20 errors listed, two hints, each once
    rows = ["Deal ID,Deal Name,Deal Stage,Amount,Create Date,Deal owner",
            "1,Chairs,Assigned dynamically,100,2024-01-02,Alice Martin"]
    rows += [f"{i},Deal {i},Appointment Scheduled,abc,2024-01-{i:02d},Alice Martin" for i in range(2, 27)]
    deals = tmp_path / "deals.csv"
    deals.write_text("\n".join(rows) + "\n", encoding="utf-8")
    p = run("import", str(deals), "--db", str(tmp_path / "x.duckdb"), "--errors", str(tmp_path / "errors.csv"))
    assert p.returncode == 2
    lines = p.stderr.splitlines()
    assert "error: import rejected, nothing was written (26 error(s)):" in lines
    hints = [line for line in lines if line.startswith("  hint: ")]
    assert len(hints) == 2
    stage = next(i for i, line in enumerate(lines) if line.startswith("deals.csv:2: Deal Stage: stage not in the "))
    assert lines[stage + 1].startswith("  hint: add it under stages: in a mapping file")
    amount = next(i for i, line in enumerate(lines) if line.startswith("deals.csv:3: Amount: not a number ('abc')"))
    assert lines[amount + 1] == ("  hint: expected an amount such as 1 234,56 €, 1.234,56, 1,234.56, (1 234) "
                                 "or 12,5 %")
    assert lines[amount + 2].startswith("deals.csv:4: Amount: not a number ('abc')")   # not repeated
    assert "… and 6 more" in lines


def test_json_money_has_no_binary_noise(tmp_path):
    """0.10 + 0.20 + 1,234,567.01 + 0.07 won: revenue 1,234,567.38 (not 1234567.3800000001), mean 308,641.845."""
    path = str(tmp_path / "money.duckdb")
    with pilotage.connect(path, create=True) as ws:
        ws.load({"reps": [{"rep_id": "r1", "name": "A"}], "leads": [], "opportunities": [
            {"opportunity_id": f"o{i}", "owner_rep_id": "r1", "created_at": "2024-01-02", "stage": "S",
             "status": "won", "amount": a, "closed_at": "2024-01-10"}
            for i, a in enumerate(["0.10", "0.20", "1234567.01", "0.07"])]})
    p = run("kpi", "revenue", "avg_deal_size", "--from", "2024-01-01", "--to", "2024-02-01", "--format", "json",
            "--db", path, check=True)
    row = json.loads(p.stdout)[0]
    assert row["revenue"] == 1234567.38 and row["avg_deal_size"] == 308641.845


def test_import_output_to_a_file_has_no_progress_residue(tmp_path):
    """Redirected (a script, a cron job), the progress bar stays out: stderr holds the notes, nothing before."""
    deals = tmp_path / "deals.csv"
    deals.write_text("Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"
                     "1,Alpha,Closed Won,1000,2024-02-01,2024-02-20,Alice Martin\n", encoding="utf-8")
    p = run("import", str(deals), "--db", str(tmp_path / "x.duckdb"), check=True)
    assert p.stderr == "" or not p.stderr.startswith("\n"), repr(p.stderr[:80])
    assert "deals.csv: hubspot deals" in p.stdout.splitlines()[0]


def test_a_dry_run_into_a_new_database_creates_no_file(tmp_path):
    deals = tmp_path / "deals.csv"
    deals.write_text("Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"
                     "1,Alpha,Closed Won,1000,2024-02-01,2024-02-20,Alice Martin\n", encoding="utf-8")
    db = tmp_path / "new.duckdb"
    p = subprocess.run([sys.executable, "-m", "pilotage.cli", "import", str(deals), "--db", str(db), "--dry-run"],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "60"})
    assert p.returncode == 0, p.stderr
    assert "dry run: nothing written" in p.stdout
    # (a narrow terminal: one line per table) rows, would be inserted, updated, unchanged, rejected
    assert "deals.csv -> opportunities: 1 rows, 1 inserted, 0 updated, 0 unchanged, 0 rejected" in p.stdout
    assert not db.exists()


def test_error_files_land_next_to_each_input_without_overwriting(tmp_path):
    # issue #9: deals.csv and deals.tsv of one folder used to share ./deals.errors.csv
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "deals.csv").write_text("Deal ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"
                                      "1,A,Closed Won,douze,2024-01-05,2024-01-20,Ann Lee\n", encoding="utf-8")
    (folder / "deals.tsv").write_text("Deal ID\tDeal Name\tDeal Stage\tAmount\tCreate Date\tClose Date\tDeal owner\n"
                                      "2\tB\tClosed Won\ttreize\t2024-01-05\t2024-01-20\tBob Ray\n", encoding="utf-8")
    db = str(tmp_path / "x.duckdb")
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    for name in ("deals.csv", "deals.tsv"):
        p = subprocess.run([sys.executable, "-m", "pilotage.cli", "import", str(folder / name), "--db", db],
                           capture_output=True, text=True, timeout=120, cwd=elsewhere)
        assert p.returncode == 2
    assert "douze" in (folder / "deals.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert "treize" in (folder / "deals.tsv.errors.csv").read_text(encoding="utf-8-sig")
    assert not list(elsewhere.iterdir())  # nothing in the working directory
    # --errors DIR: the file goes to that folder, under the same name
    chosen = tmp_path / "errs"
    chosen.mkdir()
    p = run("import", str(folder / "deals.csv"), "--db", db, "--errors", str(chosen))
    assert p.returncode == 2 and (chosen / "deals.csv.errors.csv").exists()
    assert str(chosen / "deals.csv.errors.csv") in p.stderr


def test_dashboard_compare_month_is_a_clear_error_not_a_traceback(db):
    p = run("dashboard", "--compare", "month", "--db", db)
    assert p.returncode == 2
    assert p.stderr.strip() == ("error: --compare 'month': expected previous (the previous period) "
                                "or year (the same period a year earlier)")
    assert "Traceback" not in p.stderr


def test_lang_en_formats_numbers_in_english(db):
    # the workspace locale is fr_FR; --lang en shows English labels AND English digits
    p = run("kpi", "lead_conversion_rate", "revenue", "--from", "2024-01-01", "--to", "2024-03-01",
            "--lang", "en", "--db", db, check=True)
    assert "Lead conversion rate" in p.stdout
    assert "25.0%" in p.stdout  # 50 / 200
    assert "€1,234.56" in p.stdout  # o1, won in February
    assert "25,0" not in p.stdout and "1\u202f234,56" not in p.stdout


def test_explain_prints_readable_filters_and_figures(db):
    p = run("explain", "lead_conversion_rate", "--period", "2024-01", "--rep", "r1", "--lang", "en",
            "--db", db, check=True)
    text = " ".join(p.stdout.split())  # a narrow terminal folds the title line
    assert "2024-01-01 → 2024-02-01 (rep = r1)" in text  # not {'rep': ('r1',)}
    assert "{" not in p.stdout and "('" not in p.stdout
    assert "= 50.0% = 50 / 100" in text  # r1's leads 0..99, 0..49 converted


def test_kpis_yaml_and_unknown_format(db):
    import yaml

    p = run("kpis", "--format", "yaml", "--lang", "en", check=True)
    rows = yaml.safe_load(p.stdout)
    assert next(r for r in rows if r["id"] == "pipeline_coverage")["label"] == "Pipeline coverage"
    p = run("kpis", "--format", "xml")
    assert p.returncode == 2 and "unknown format 'xml': expected table, json or yaml" in p.stderr


def test_help_has_plain_types_and_a_version():
    p = run("import", "--help", check=True)
    assert "<bool>" not in p.stdout and "<str>" not in p.stdout and "<path>" not in p.stdout
    assert "PATH" in p.stdout
    p = run("--version", check=True)
    assert p.stdout.strip() == f"pilotage {pilotage.__version__}"


def test_python_api_warns_on_unknown_filter_values(db):
    with pilotage.connect(db, read_only=True) as ws:
        with pytest.warns(UserWarning, match="rep 'r9': no such value in reps"):
            df = ws.kpi("revenue", start="2024-01-01", end="2024-04-01", filters={"rep": ["r1", "r9"]})
        assert df["revenue"].iloc[0] == pytest.approx(1234.56)  # r1's o1
        assert any("r9" in w for w in df.attrs["warnings"])
    p = run("kpi", "revenue", "--from", "2024-01-01", "--to", "2024-04-01", "--where", "rep=r9", "--db", db)
    assert "warning: rep 'r9': no such value in reps" in p.stderr
