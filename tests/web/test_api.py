"""The REST API over real HTTP: same numbers as the engine, clear 4xx on bad parameters, import."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile

import httpx
import pytest

import pilotage
from tests.test_cli import AMBIGUOUS_DEALS
from tests.web.conftest import LiveServer

CUT = {"from": "2025-07-01", "to": "2026-07-01"}


def test_catalogue_in_both_languages(http):
    fr = {k["id"]: k for k in http.get("/api/v1/kpis").json()}
    en = {k["id"]: k for k in http.get("/api/v1/kpis", params={"lang": "en"}).json()}
    assert fr["lead_conversion_rate"]["label"] == "Taux de conversion des leads"
    assert en["lead_conversion_rate"]["label"] == "Lead conversion rate"
    assert "source" in fr["lead_conversion_rate"]["dimensions"]
    assert http.get("/api/v1/kpis/win_rate").json()["unit"] == "rate"


def test_kpi_query_has_the_cli_json_shape(http, live, tmp_path):
    params = {"ids": "win_rate,revenue", "grain": "quarter", "by": "team", **CUT}
    api = http.get("/api/v1/kpi", params=params).json()
    cli = subprocess.run(
        [sys.executable, "-m", "pilotage.cli", "kpi", "win_rate", "revenue", "--grain", "quarter", "--by", "team",
         "--from", CUT["from"], "--to", CUT["to"], "--format", "json", "--db", live.ws.db.url],
        capture_output=True, text=True, timeout=120)
    if cli.returncode == 2 and ("in use" in cli.stderr or "open for writing" in cli.stderr):
        # the server holds the DuckDB file: compare with the engine itself instead
        df = live.ws.kpi(["win_rate", "revenue"], grain="quarter", by=["team"], start=CUT["from"], end=CUT["to"])
        from pilotage.service import records
        expected = records(df)
    else:
        expected = json.loads(cli.stdout)
    assert api == expected
    row = api[0]
    assert set(row) >= {"period", "team", "win_rate", "win_rate_numerator", "win_rate_denominator", "revenue"}
    # the ratio is the quotient of what it carries
    for r in api:
        if r["win_rate_denominator"]:
            assert r["win_rate"] == pytest.approx(r["win_rate_numerator"] / r["win_rate_denominator"])


def test_ratio_over_the_whole_range_is_not_a_mean_of_team_ratios(http):
    by_team = http.get("/api/v1/kpi", params={"ids": "win_rate", "by": "team", **CUT}).json()
    total = http.get("/api/v1/kpi", params={"ids": "win_rate", **CUT}).json()[0]
    assert total["win_rate_numerator"] == sum(r["win_rate_numerator"] for r in by_team)
    assert total["win_rate_denominator"] == sum(r["win_rate_denominator"] for r in by_team)


def test_filters_change_the_figures(http):
    all_ = http.get("/api/v1/kpi", params={"ids": "leads", **CUT}).json()[0]["leads"]
    linkedin = http.get("/api/v1/kpi", params={"ids": "leads", "where": "source=linkedin", **CUT}).json()[0]["leads"]
    assert 0 < linkedin < all_


@pytest.mark.parametrize("params, status, message", [
    ({"ids": "revenu"}, 404, "unknown KPI 'revenu'"),
    ({"ids": "nps", "by": "rep"}, 422, "nps cannot be cut by rep"),
    ({"ids": "revenue", "from": "2026-02-30"}, 422, "is not a date"),
    ({"ids": "revenue", "grain": "fortnight"}, 422, "grain"),
    ({"ids": "revenue", "where": "colour"}, 422, "expected dimension=value"),
    ({"ids": "revenue", "from": "2026-03-01", "to": "2026-01-01"}, 422, "the range is empty"),
    ({}, 422, "ids"),
])
def test_bad_parameters_get_a_clear_4xx(http, params, status, message):
    r = http.get("/api/v1/kpi", params=params)
    assert r.status_code == status
    body = r.json()
    assert message in body["message"]


def test_explain_gives_the_records_behind_the_figure(http):
    r = http.get("/api/v1/explain/revenue", params={"from": "2026-03-01", "to": "2026-04-01", "limit": 5}).json()
    assert r["formula"].startswith("somme des montants")
    section = r["sections"][0]
    assert len(section["records"]) == 5
    total = http.get("/api/v1/kpi", params={"ids": "deals_won", "from": "2026-03-01", "to": "2026-04-01"}).json()
    assert section["total"] == total[0]["deals_won"]  # revenue is summed over the deals won


def test_openapi_is_served_without_a_cdn(http):
    spec = http.get("/api/v1/openapi.json").json()
    assert "/api/v1/kpi" in spec["paths"]
    docs = http.get("/docs")
    assert docs.status_code == 200
    assert "https://" not in docs.text and "http://" not in docs.text
    assert http.get("/static/swagger/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize("params", [
    {"ids": "revenue", "grain": "day", "from": "1677-01-01", "to": "1678-01-01"},
    {"ids": "revenue", "from": "0001-01-01", "to": "9999-12-31"},
    {"ids": "revenue", "by": "rep,rep", "from": "2026-01-01", "to": "2026-02-01"},
])
def test_odd_parameters_never_give_a_500(http, params):
    r = http.get("/api/v1/kpi", params=params)
    assert r.status_code < 500, r.text


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


BASE = {
    "reps.csv": "rep_id,name\nr1,Alice\n",
    "leads.csv": "lead_id,created_at,source\nl1,2024-01-10,web\n",
    "opportunities.csv": ("opportunity_id,owner_rep_id,created_at,stage,status,amount,closed_at\n"
                          "o1,r1,2024-01-02,S,won,1000,2024-01-20\n"),
}


@pytest.fixture
def fresh(tmp_path):
    ws = pilotage.connect(str(tmp_path / "up.duckdb"), create=True)
    with LiveServer(ws) as server, httpx.Client(base_url=server.url, timeout=60,
                                                headers={"X-Pilotage-CSRF": "1"}) as client:
        yield client
    ws.close()


def test_upload_a_zip_and_see_new_figures_without_restart(fresh):
    jan = {"ids": "revenue", "from": "2024-01-01", "to": "2024-02-01"}
    # no opportunities at all yet: "not available", not 0
    assert fresh.get("/api/v1/kpi", params=jan).json()[0]["revenue"] is None
    r = fresh.post("/api/v1/import", files={"files": ("crm.zip", _zip(BASE), "application/zip")})
    assert r.status_code == 200, r.text
    assert r.json()["totals"]["inserted"] == 3
    assert fresh.get("/api/v1/kpi", params=jan).json()[0]["revenue"] == 1000  # the cache was dropped
    more = dict(BASE)
    more["opportunities.csv"] += "o2,r1,2024-01-03,S,won,500,2024-01-25\n"
    files = [("files", (n, t.encode(), "text/csv")) for n, t in more.items()]
    r = fresh.post("/api/v1/import", files=files)
    assert r.json()["totals"] == {"rows": 4, "inserted": 1, "updated": 0, "unchanged": 3, "rejected": 0}
    assert fresh.get("/api/v1/kpi", params=jan).json()[0]["revenue"] == 1500


def test_upload_with_a_bad_row_lands_nothing_and_names_it(fresh):
    bad = dict(BASE)
    bad["opportunities.csv"] += "o2,r9,2024-01-03,S,won,500,2024-01-25\n"
    r = fresh.post("/api/v1/import", files={"files": ("crm.zip", _zip(bad), "application/zip")})
    assert r.status_code == 422
    body = r.json()
    assert {"file": "opportunities.csv", "line": 3, "column": "owner_rep_id",
            "reason": "unknown rep id (not in reps) ('r9')"} in [
        {k: e[k] for k in ("file", "line", "column", "reason")} for e in body["errors"]]
    assert all("hint" in e for e in body["errors"])
    assert fresh.get("/api/v1/health").json()["counts"]["reps"] == 0


def test_upload_that_is_not_a_zip_or_csv_is_refused(fresh):
    r = fresh.post("/api/v1/import", files={"files": ("crm.zip", b"not a zip", "application/zip")})
    assert r.status_code == 400 and "not a valid zip" in r.json()["message"]
    r = fresh.post("/api/v1/import", files={"files": ("photo.png", b"\x89PNG", "image/png")})
    assert r.status_code == 400 and "expected a .zip or .csv" in r.json()["message"]


def test_zip_bomb_is_refused_without_expanding_it(fresh):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("leads.csv", b"0" * (600 * 2**20))  # 600 MiB of zeros, a few hundred KB zipped
    r = fresh.post("/api/v1/import", files={"files": ("bomb.zip", buf.getvalue(), "application/zip")})
    assert r.status_code == 400 and "expands beyond" in r.json()["message"]


def test_cli_import_while_the_server_runs(tmp_path):
    """The server holds the DuckDB file: a plain import says so at once; --server hands it the files."""
    db = str(tmp_path / "served.duckdb")
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in BASE.items():
        (folder / name).write_text(text)
    ws = pilotage.connect(db, create=True)
    with LiveServer(ws) as server:
        cli = [sys.executable, "-m", "pilotage.cli", "import", str(folder)]
        plain = subprocess.run([*cli, "--db", db], capture_output=True, text=True, timeout=60)
        assert plain.returncode == 2
        assert "in use by another Pilotage process" in plain.stderr and "--server" in plain.stderr
        sent = subprocess.run([*cli, "--server", server.url], capture_output=True, text=True, timeout=60)
        assert sent.returncode == 0, sent.stderr
        assert "opportunities.csv" in sent.stdout
        jan = {"ids": "revenue", "from": "2024-01-01", "to": "2024-02-01"}
        assert httpx.get(server.url + "/api/v1/kpi", params=jan).json()[0]["revenue"] == 1000
        # a rejected import through the server prints the same hint as a local one
        deals = tmp_path / "deals.csv"
        deals.write_text(AMBIGUOUS_DEALS, encoding="utf-8")
        errors = tmp_path / "deals.errors.csv"
        refused = subprocess.run([sys.executable, "-m", "pilotage.cli", "import", str(deals), "--server", server.url,
                                  "--errors", str(errors)], capture_output=True, text=True, timeout=60)
        assert refused.returncode == 2
        lines = refused.stderr.splitlines()
        k = next(i for i, line in enumerate(lines) if "Create Date: dates such as '03/04/2024'" in line)
        assert lines[k + 1].startswith("  hint: pass --date-order dmy (or mdy)")
        # the error file is written here, as by a local import, and the message says where
        assert lines[-1] == f"every error is listed in {errors}"
        with open(errors, encoding="utf-8-sig") as fh:
            listed = list(csv.DictReader(fh))
        assert [(r["file"], r["column"], r["raw value"]) for r in listed] == \
            [("deals.csv", "Create Date", "03/04/2024")]
        assert listed[0]["hint"].startswith("pass --date-order dmy")
        # a row error through the API carries its raw value and hint
        bad = tmp_path / "bad.csv"
        bad.write_text("Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"
                       "1,Alpha,Closed Won,douze,2024-02-01,2024-02-20,Alice Martin\n", encoding="utf-8")
        with open(bad, "rb") as fh:
            body = httpx.post(server.url + "/api/v1/import", files={"files": ("bad.csv", fh, "text/csv")},
                              headers={"X-Pilotage-CSRF": "1"}, timeout=60).json()
        assert body["errors_total"] == 1
        assert {k: body["errors"][0][k] for k in ("line", "column", "value")} == \
            {"line": 2, "column": "Amount", "value": "douze"}
        assert body["errors"][0]["hint"].startswith("expected an amount such as")
    ws.close()


def test_several_workers_on_a_duckdb_file_are_refused(tmp_path):
    p = subprocess.run([sys.executable, "-m", "pilotage.cli", "serve", "--workers", "2",
                        "--db", str(tmp_path / "w.duckdb")], capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "DuckDB allows one writing process" in p.stderr


def test_an_unknown_dimension_or_a_bad_date_is_a_422_that_says_why(http):
    r = http.get("/api/v1/dimensions/0")
    assert r.status_code == 422
    assert r.json()["error"] == "InvalidParameters" and "'rep'" in r.json()["message"]
    r = http.get("/api/v1/forecast/pipeline", params={"to": "null"})  # was a 500 (found by schemathesis)
    assert r.status_code == 422
    assert r.json()["message"].startswith("to:")


def test_the_openapi_document_declares_the_error_answers(http):
    doc = http.get("/api/v1/openapi.json").json()
    for path in ("/api/v1/kpi", "/api/v1/goals", "/api/v1/forecast/revenue"):
        responses = doc["paths"][path]["get"]["responses"]
        assert {"400", "401", "403", "404", "413", "422", "503"} <= set(responses), path
        assert responses["403"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ApiError"}
