"""POST /api/v1/import takes the same files as the CLI: CRM exports, Excel, zips, a mapping; format and skip_invalid."""

from __future__ import annotations

import io
import zipfile

import httpx
import openpyxl
import pytest

import pilotage
from tests.importer.conftest import DATA, EXPORTS
from tests.web.conftest import LiveServer


@pytest.fixture
def api(tmp_path):
    ws = pilotage.connect(str(tmp_path / "api.duckdb"), create=True)
    with LiveServer(ws) as server, httpx.Client(base_url=server.url, timeout=60,
                                                headers={"X-Pilotage-CSRF": "1"}) as client:
        yield client, ws
    ws.close()


def test_upload_crm_exports_and_an_excel_workbook(api):
    client, ws = api
    wb = openpyxl.Workbook()
    wb.active.title = "Companies"
    wb.active.append(["Record ID", "Company name", "Industry"])
    wb.active.append([501, "Dupont SA", "Software"])
    buf = io.BytesIO()
    wb.save(buf)
    files = [("files", ("companies.xlsx", buf.getvalue(), "application/octet-stream")),
             ("files", ("deals.csv", (EXPORTS / "hubspot-deals-fr.csv").read_bytes(), "text/csv"))]
    r = client.post("/api/v1/import", files=files, params={"format": "hubspot"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert {f["source"]: f["entity"] for f in body["files"]} == {"companies.xlsx [Companies]": "companies",
                                                                "deals.csv": "deals"}
    assert "Alice Martin (from deals.csv)" in body["created"]["reps"]
    assert ws.db.fetchall("SELECT account_id FROM opportunities WHERE opportunity_id = '1001'") == [("501",)]


def test_upload_with_skip_invalid_returns_the_rejected_rows(api):
    client, ws = api
    text = (EXPORTS / "pipedrive-deals.csv").read_text() + "14,Bad,abc,EUR,Eve Adams,Umbrella,Pipeline,Lead In,open," \
                                                           "2024-02-06 10:00:00,,,2024-03-01,\n"
    r = client.post("/api/v1/import", files={"files": ("deals.csv", text.encode(), "text/csv")})
    assert r.status_code == 422
    first = r.json()["errors"][0]
    assert {k: first[k] for k in ("file", "line", "column", "reason")} == \
        {"file": "deals.csv", "line": 5, "column": "Deal - Value", "reason": "not a number ('abc')"}
    assert first["hint"].startswith("expected an amount such as 1 234,56 €")  # what to do, as in the terminal
    r = client.post("/api/v1/import", files={"files": ("deals.csv", text.encode(), "text/csv")},
                    params={"skip_invalid": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totals"]["rejected"] == 1 and body["errors_total"] == 1
    assert body["errors"][0]["line"] == 5 and body["errors"][0]["value"] == "abc"
    assert ws.db.fetchall("SELECT count(*) FROM opportunities") == [(3,)]


def test_upload_a_zip_with_a_user_mapping(api):
    client, ws = api
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in ("sales_teams.csv", "accounts.csv", "products.csv", "data_dictionary.csv"):
            z.write(DATA / "maven-crm" / name, name)
        z.writestr("sales_pipeline.csv", "\n".join(
            (DATA / "maven-crm" / "sales_pipeline.csv").read_text().splitlines()[:101]) + "\n")
    mapping = (DATA.parent.parent / "docs" / "mapping-example.yaml").read_bytes()
    r = client.post("/api/v1/import", files=[("files", ("maven.zip", buf.getvalue(), "application/zip")),
                                             ("mapping", ("maven.yaml", mapping, "application/yaml"))])
    assert r.status_code == 200, r.text
    assert ws.db.fetchall("SELECT count(*) FROM opportunities") == [(100,)]


def test_an_upload_that_is_no_export_is_refused(api):
    client, _ = api
    r = client.post("/api/v1/import", files={"files": ("photo.png", b"\x89PNG", "image/png")})
    assert r.status_code == 400 and "expected a .zip or .csv" in r.json()["message"]
    r = client.post("/api/v1/import", files={"files": ("deals.csv", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "text/csv")})
    assert r.status_code == 422 and "deals.csv: not a text file: it is a PNG image" in r.json()["message"]


def test_two_uploaded_files_of_one_name_are_refused_not_one_lost(api):
    """A file of a .zip then a plain file of the same name (or two plain ones): the second would silently replace
    the first; the upload is refused, nothing imported."""
    client, ws = api
    deals = (EXPORTS / "pipedrive-deals.csv").read_bytes()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("deals.csv", deals)
    r = client.post("/api/v1/import", files=[("files", ("crm.zip", buf.getvalue(), "application/zip")),
                                             ("files", ("deals.csv", deals, "text/csv"))])
    assert r.status_code == 400
    assert r.json()["message"].startswith("deals.csv: two files of the upload have that name")
    r = client.post("/api/v1/import", files=[("files", ("deals.csv", deals, "text/csv")),
                                             ("files", ("deals.csv", deals, "text/csv"))])
    assert r.status_code == 400
    assert ws.db.fetchall("SELECT count(*) FROM opportunities") == [(0,)]
