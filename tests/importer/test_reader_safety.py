"""Files that must not crash, flood the terminal or lose data: same names in a .zip, deep JSON, huge cells,
Salesforce tree JSON with nested child records."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

import pilotage
from pilotage.importer import readers
from pilotage.importer.files import import_path
from tests.importer.conftest import imp, one, rows, write

ROOT = Path(__file__).resolve().parents[2]
HEADER = "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"


# 1. a .zip holding jan/deals.csv and feb/deals.csv: both land, each named by its folder
def test_a_zip_with_two_files_of_the_same_name_keeps_both(mem, tmp_path):
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("exports/jan/deals.csv", HEADER + "1,Licences,Closed Won,1200,2024-01-05,2024-01-20,Ann Lee\n")
        z.writestr("exports/feb/deals.csv", HEADER + "2,Audit,Closed Won,800,2024-02-06,2024-02-21,Bob Ray\n"
                                                      "3,Formation,Closed Won,douze,2024-02-07,2024-02-22,Ann Lee\n")
    errors = tmp_path / "exports.errors.csv"
    report = imp(mem, archive, skip_invalid=True, errors_path=errors)
    assert sorted(f["source"] for f in report.files) == ["feb/deals.csv", "jan/deals.csv"]
    assert sorted(t.source for t in report.tables if t.table == "opportunities") == ["feb/deals.csv",
                                                                                     "jan/deals.csv"]
    assert rows(mem, "SELECT opportunity_id FROM opportunities ORDER BY 1") == [("1",), ("2",)]
    with open(errors, encoding="utf-8-sig", newline="") as fh:
        listed = list(csv.DictReader(fh))
    assert [(e["file"], e["line"], e["column"]) for e in listed] == [("feb/deals.csv", "3", "Amount")]
    # without --skip-invalid the message names the file by its folder too
    with pytest.raises(pilotage.ImportRejected, match=r"feb/deals\.csv:3: Amount: "):
        imp(mem, archive)


def test_a_zipped_folder_of_unique_names_is_extracted_as_before(tmp_path):
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("exports/deals.csv", HEADER)
        z.writestr("exports/old/companies.csv", "Record ID,Company name\n")
    into = tmp_path / "x"
    into.mkdir()
    got = readers.extract_zip(archive, into, "exports.zip")
    assert sorted(p.name for p in got) == ["companies.csv", "deals.csv"]
    assert not (into / readers.SOURCES_FILE).exists()
    assert readers.shown_name(into / "deals.csv") == "deals.csv"


# 2. [[[[... 200,000 levels: refused with a message, no RecursionError, no traceback
def deep_json(tmp_path) -> Path:
    f = tmp_path / "Opportunities.json"
    f.write_text("[" * 200_000)
    return f


def test_deeply_nested_json_is_refused(mem, tmp_path):
    with pytest.raises(pilotage.ImportRejected,
                       match=r"Opportunities\.json: JSON nested deeper than [\d,]+ levels: not a CRM export"):
        import_path(mem, deep_json(tmp_path))


def test_deeply_nested_json_on_the_command_line(tmp_path):
    f = deep_json(tmp_path)
    r = subprocess.run([sys.executable, "-m", "pilotage.cli", "import", str(f), "--db", str(tmp_path / "w.duckdb"),
                        "--errors", str(tmp_path / "errors.csv")],
                       capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert "RecursionError" not in r.stderr + r.stdout
    assert "Opportunities.json: JSON nested deeper than" in r.stderr
    assert len(r.stderr) < 1000


def test_a_deeply_nested_data_plan_does_not_crash(mem, tmp_path):
    write(tmp_path / "deals.csv", HEADER + "1,Licences,Closed Won,1200,2024-01-05,2024-01-20,Ann Lee\n")
    (tmp_path / "data-plan.json").write_text("[" * 200_000)
    imp(mem, tmp_path)
    assert one(mem, "SELECT count(*) FROM opportunities") == 1


def test_a_data_plan_reads_only_files_of_its_folder(mem, tmp_path):
    outside = write(tmp_path / "secret" / "deals.csv",
                    HEADER + "9,Secret,Closed Won,1,2024-01-05,2024-01-20,Ann Lee\n")
    folder = tmp_path / "export"
    write(folder / "deals.csv", HEADER + "1,Licences,Closed Won,1200,2024-01-05,2024-01-20,Ann Lee\n")
    (folder / "data-plan.json").write_text(json.dumps([{"sobject": "Opportunity",
                                                         "files": ["deals.csv", "../secret/deals.csv",
                                                                   str(outside), 42]}]))
    report = imp(mem, folder)
    assert rows(mem, "SELECT opportunity_id FROM opportunities") == [("1",)]
    assert "data-plan.json lists ../secret/deals.csv, which is not in the folder" in report.notes


# 3. a 1 MiB bad cell: the message quotes 200 characters of it, the error file keeps it whole
def test_a_huge_bad_value_is_shortened_in_messages(mem, tmp_path):
    big = "a" * (1 << 20)
    f = write(tmp_path / "deals.csv", HEADER + f"1,Licences,Closed Won,{big},2024-01-05,2024-01-20,Ann Lee\n")
    errors = tmp_path / "deals.errors.csv"
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(mem, f, errors_path=errors)
    msg = str(exc.value)
    assert len(msg) < 5_000
    assert "deals.csv:2: Amount: " in msg
    assert f"'{'a' * 200}…' (1,048,576 characters)" in msg
    assert all(len(d["value"]) < 300 for d in exc.value.errors_detail)  # the API's errors too
    with open(errors, encoding="utf-8-sig", newline="") as fh:
        listed = list(csv.DictReader(fh))
    assert listed[0]["raw value"] == big


def test_a_huge_bad_value_on_the_command_line(tmp_path):
    big = "a" * (1 << 20)
    f = write(tmp_path / "deals.csv", HEADER + f"1,Licences,Closed Won,{big},2024-01-05,2024-01-20,Ann Lee\n")
    r = subprocess.run([sys.executable, "-m", "pilotage.cli", "import", str(f), "--db", str(tmp_path / "w.duckdb")],
                       capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 2
    assert "deals.csv:2: Amount: " in r.stderr and "(1,048,576 characters)" in r.stderr
    assert len(r.stderr) + len(r.stdout) < 5_000


def test_any_long_reason_line_is_cut_in_the_message():
    exc = pilotage.ImportRejected([("deals.csv", 2, "Amount", "x" * 100_000 + "\nsecond line")])
    assert len(str(exc)) < 3_000
    assert str(exc).count("\n") == 2  # as many lines as the reason had: the CLI puts hints under them
    assert exc.errors[0][3].startswith("x" * 100_000)  # the error itself is kept whole


# 4. a row over 16 MiB (a 20 MiB cell): refused, naming the line and the column
@pytest.mark.parametrize("quoted", [True, False])
def test_a_row_over_the_limit_is_refused(mem, tmp_path, quoted):
    cell = "x" * (20 << 20)
    cell = f'"{cell}"' if quoted else cell
    f = write(tmp_path / "deals.csv", HEADER + "1,Licences,Closed Won,1200,2024-01-05,2024-01-20,Ann Lee\n"
                                     f"2,{cell},Closed Won,800,2024-01-06,2024-01-21,Bob Ray\n")
    t0 = time.perf_counter()
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(mem, f)
    msg = str(exc.value)
    assert "deals.csv:3: Deal Name: a row of 20.0 MiB: above the 16 MiB a CRM export's row holds" in msg
    assert len(msg) < 1_000
    assert time.perf_counter() - t0 < 30
    assert one(mem, "SELECT count(*) FROM opportunities") == 0


def test_a_row_under_the_limit_still_imports(mem, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_ROW_BYTES", 2000)
    note = "n" * 1500
    f = write(tmp_path / "deals.csv", "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Notes\n"
                                      f'1,Licences,Closed Won,1200,2024-01-05,2024-01-20,"{note}"\n'
                                      f"2,Audit,Closed Won,800,2024-01-06,2024-01-21,{note}\n")
    imp(mem, f)
    assert one(mem, "SELECT count(*) FROM opportunities") == 2
    f.write_text(f.read_text() + f"3,Formation,Closed Won,500,2024-01-07,2024-01-22,{note}{note}\n")
    with pytest.raises(pilotage.ImportRejected, match=r"deals\.csv:4: Notes: a row of 0\.0 MiB: above"):
        imp(mem, f)


def test_a_long_note_with_a_line_break_imports(mem, tmp_path):
    # the line numbers are then counted by the csv module, whose default limit is 128 KiB a field
    note = "n" * 200_000
    f = write(tmp_path / "deals.csv", "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Notes\n"
                                      f'1,Licences,Closed Won,1200,2024-01-05,2024-01-20,"{note}\nsecond line"\n'
                                      "2,Audit,Closed Won,800,2024-01-06,2024-01-21,\n")
    imp(mem, f)
    assert one(mem, "SELECT count(*) FROM opportunities") == 2


# 5. sf data export tree of a query with a subquery: the children nested in their parents
NESTED = {"records": [
    {"attributes": {"type": "Account", "referenceId": "AccountRef1"}, "Name": "Acme", "Industry": "Energy",
     "BillingAddress": {"city": "Paris"},
     "Opportunities": {"records": [
         {"attributes": {"type": "Opportunity", "referenceId": "OpportunityRef1"}, "Name": "Acme renewal",
          "StageName": "Closed Won", "CloseDate": "2024-01-20", "Amount": 1200},
         {"attributes": {"type": "Opportunity", "referenceId": "OpportunityRef2"}, "Name": "Acme audit",
          "StageName": "Prospecting", "CloseDate": "2024-05-20", "Amount": 300}]}},
    {"attributes": {"type": "Account", "referenceId": "AccountRef2"}, "Name": "Globex", "Industry": "Retail",
     "Opportunities": {"records": [
         {"attributes": {"type": "Opportunity", "referenceId": "OpportunityRef3"}, "Name": "Globex pilot",
          "StageName": "Closed Lost", "CloseDate": "2024-02-10", "Amount": 800}]}},
    {"attributes": {"type": "Account", "referenceId": "AccountRef3"}, "Name": "Initech", "Industry": "Software"},
]}


def test_salesforce_tree_json_with_nested_child_records(mem, tmp_path):
    f = write(tmp_path / "Accounts.json", json.dumps(NESTED))
    sheets = readers.read_path(f)
    assert [(s.source, s.sobject, s.num_rows) for s in sheets] == [
        ("Accounts.json", "Account", 3), ("Accounts.json [Opportunities]", "Opportunity", 3)]
    assert sheets[1].data.column("AccountId").to_pylist() == ["AccountRef1", "AccountRef1", "AccountRef2"]
    assert sheets[0].notes == ["nested field(s) ignored: BillingAddress"]
    report = imp(mem, f)
    how = {x["source"]: x["entity"] for x in report.files}
    assert how == {"Accounts.json": "accounts", "Accounts.json [Opportunities]": "opportunities"}
    assert rows(mem, "SELECT a.name, o.status, o.amount FROM opportunities o JOIN accounts a USING (account_id) "
                     "ORDER BY o.amount") == [("Acme", "open", 300), ("Globex", "lost", 800),
                                              ("Acme", "won", 1200)]
    assert one(mem, "SELECT count(*) FROM accounts") == 3


def test_nested_child_records_keep_their_own_parent_reference(tmp_path):
    doc = {"records": [{"attributes": {"type": "Account", "referenceId": "AccountRef1"}, "Name": "Acme",
                        "Opportunities": {"records": [
                            {"attributes": {"type": "Opportunity", "referenceId": "O1"}, "Name": "x",
                             "AccountId": "@AccountRef9"}]}}]}
    sheets = readers.read_path(write(tmp_path / "Accounts.json", json.dumps(doc)))
    assert sheets[1].data.column("AccountId").to_pylist() == ["AccountRef9"]


def test_the_flat_tree_export_is_read_as_before():
    folder = ROOT / "tests" / "data" / "salesforce-samples" / "lwc-recipes"
    sheets = readers.read_path(folder / "Opportunities.json")
    assert [(s.source, s.sobject, s.num_rows) for s in sheets] == [("Opportunities.json", "Opportunity", 20)]


def test_an_unclosed_quote_is_named_as_such(mem, tmp_path):
    """'2,"Beta,...' never closes its quote: the csv reader takes the next lines into that value; the error says
    so, instead of only '2 fields where the header has 7'."""
    from tests.importer.conftest import imp, write

    f = write(tmp_path / "deals.csv",
              "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"
              "1,Alpha,Closed Won,1000,2024-02-01,2024-02-20,Alice Martin\n"
              '2,"Beta,Closed Won,2000,2024-02-02,2024-02-21,Alice Martin\n'
              "3,Gamma,Closed Won,3000,2024-02-03,2024-02-22,Alice Martin\n"
              "4,Delta,Closed Won,4000,2024-02-04,2024-02-23,Alice Martin\n")
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(mem, f)
    assert exc.value.errors == [("deals.csv", 3, "row", "2 fields where the header has 7: a double quote opened on "
                                                        "this line takes in the next 2 line(s) (an unclosed quote?)")]
