"""Every probe of issue #11 answers 4xx with a clear message, fast (API: JSON; pages: the error page),
and the responses carry the security headers (real server, real HTTP, the small demo)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.test_cli import run as cli

Y = "from=2025-07-01&to=2026-07-01"


def _json(live, path, status):
    t0 = time.monotonic()
    r = httpx.get(live.url + path, timeout=30)
    assert r.status_code == status, r.text
    assert time.monotonic() - t0 < 10  # refused before any heavy work
    return r.json()["message"]


@pytest.mark.parametrize("path, status, said", [
    ("/api/v1/kpi?ids=win_rate&where=source=a%00b", 400, "control character (U+0000)"),
    ("/api/v1/kpi?ids=revenue&grain=year&from=0001-01-01&to=9999-12-31", 422, "outside the dates"),
    ("/api/v1/kpi?ids=revenue&grain=day&from=0001-01-01&to=9999-12-31", 422, "outside the dates"),
    ("/api/v1/kpi?ids=revenue&grain=day&from=1900-01-01&to=2199-12-31", 422, "109572 day periods"),
    ("/api/v1/explain/win_rate?offset=99999999999999999999999", 422, "offset"),
    ("/api/v1/kpi?ids=" + ",".join(["revenue"] * 4000), 413, "4,000 KPI ids given: at most 200"),
    ("/api/v1/kpi?ids=revenue&by=rep,team,source,campaign,segment,region", 413, "at most 4"),
    # 366 days x (24 reps + 1) x (60 campaigns + 1) x (sources + 1) x 1 KPI > 1,000,000 figures
    ("/api/v1/kpi?ids=revenue&grain=day&by=rep,campaign,product&from=2025-07-01&to=2026-07-01", 413,
     "figures (periods × values of rep, campaign, product"),
])
def test_api_probes_answer_4xx_with_a_message(live, path, status, said):
    assert said in _json(live, path, status)


def test_repeated_ids_count_once(live):
    one = httpx.get(f"{live.url}/api/v1/kpi?ids=revenue&{Y}", timeout=30).json()
    twice = httpx.get(f"{live.url}/api/v1/kpi?ids=revenue,revenue,revenue&{Y}", timeout=30).json()
    assert twice == one


@pytest.mark.parametrize("path, said", [
    ("/?rep=%00", "U+0000"),
    ("/?today=0001-01-01", "1900-01-01"),
    ("/?today=9999-12-31", "2200-01-01"),
    ("/kpi/win_rate?from=0001-01-01&to=9999-12-31&grain=year", "1900-01-01"),
    ("/kpi/win_rate?from=1900-01-01&to=2199-12-31&grain=day", "periods"),
])
def test_page_probes_show_the_error_page(live, path, said):
    t0 = time.monotonic()
    r = httpx.get(live.url + path + "&lang=en", timeout=30)
    assert time.monotonic() - t0 < 10
    assert r.status_code == 400
    assert "text/html" in r.headers["content-type"] and said in r.text
    assert "Traceback" not in r.text


def test_reps_at_quota_share_by_rep(live):
    """Each rep is counted once as their own group: a share of 0 or 1 per rep (was a 500: 'Duplicate column')."""
    rows = httpx.get(f"{live.url}/api/v1/kpi?ids=reps_at_quota_share&by=rep&{Y}", timeout=60).json()
    assert rows and {r["reps_at_quota_share_denominator"] for r in rows if r["reps_at_quota_share"] is not None} == {1}
    assert {r["reps_at_quota_share"] for r in rows if r["reps_at_quota_share"] is not None} <= {0.0, 1.0}
    page = httpx.get(f"{live.url}/kpi/reps_at_quota_share?by=rep&{Y}", timeout=60)
    assert page.status_code == 200


def test_reps_at_quota_share_by_rep_on_the_cli(tmp_path, demo_folder):
    import pilotage

    db = str(tmp_path / "cli.duckdb")
    with pilotage.connect(db, create=True) as ws:
        ws.import_folder(demo_folder)
    p = cli("kpi", "reps_at_quota_share", "--by", "rep", "--from", "2025-07-01", "--to", "2026-07-01",
            "--format", "json", "--db", db)
    assert p.returncode == 0, p.stderr
    assert "REP-0001" in p.stdout


def test_security_headers_on_pages_and_api(live):
    page = httpx.get(live.url + "/catalogue", timeout=30)
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    for r in (page, httpx.get(live.url + "/api/v1/kpis", timeout=30)):
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "same-origin"


def test_a_foreign_host_is_refused(live):
    """DNS rebinding: a page of evil.example re-pointed at 127.0.0.1 sends Host: evil.example."""
    r = httpx.get(live.url + "/api/v1/kpis", headers={"Host": "evil.example"}, timeout=30)
    assert r.status_code == 400
    assert "--allowed-host" in r.json()["message"]
    assert httpx.get(f"http://localhost:{live.port}/api/v1/kpis", timeout=30).status_code == 200
