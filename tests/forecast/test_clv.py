"""Predictive CLV on a shop's transaction log: import, `pilotage clv fit|customers`, /api/v1/clv."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

import pilotage
from pilotage.errors import ImportRejected, PilotageError
from pilotage.forecast import clv
from tests.web.conftest import LiveServer


def run(*args):
    return subprocess.run([sys.executable, "-m", "pilotage.cli", *args], capture_output=True, text=True, timeout=120)


def test_orders_alone_import_with_their_customers(shop_folder, tmp_path):
    with pilotage.connect(str(tmp_path / "s.duckdb"), create=True) as ws:
        report = ws.import_folder(shop_folder)
        counts = ws.row_counts()
        # every purchase kept, every customer id became an account named by its id
        assert counts["orders"] == 6919 and counts["accounts"] == 2357
        assert report.totals()["rejected"] == 0
        # next month's log: a new customer is created, the known ones are not duplicated
        ws.load({"orders": [{"order_id": "n1", "account_id": "new", "ordered_at": "1998-07-01", "amount": 10},
                            {"order_id": "n2", "account_id": "1", "ordered_at": "1998-07-02", "amount": 12}]})
        assert ws.row_counts()["accounts"] == 2358


def test_a_crm_data_set_still_refuses_unknown_accounts(tmp_path):
    with pilotage.connect(str(tmp_path / "c.duckdb"), create=True) as ws:
        ws.load({"reps": [{"rep_id": "r1", "name": "A"}],
                 "opportunities": [{"opportunity_id": "o1", "owner_rep_id": "r1", "created_at": "2024-01-01",
                                    "stage": "won", "status": "won", "amount": 10, "closed_at": "2024-02-01"}]})
        with pytest.raises(ImportRejected, match="unknown account id"):
            ws.load({"orders": [{"order_id": "x", "account_id": "zz", "ordered_at": "2024-01-01", "amount": 1}]})


def test_a_folder_with_neither_orders_nor_deals_is_still_refused(tmp_path):
    (tmp_path / "accounts.csv").write_text("account_id,name\na,A\n")
    with pilotage.connect(":memory:") as ws, pytest.raises(ImportRejected, match="missing required file"):
        ws.import_folder(tmp_path)


def test_cli_fit_reproduces_the_published_estimates(shop_db):
    p = run("clv", "fit", "--until", "1997-09-30", "--format", "json", "--db", shop_db)
    assert p.returncode == 0, p.stderr
    res = json.loads(p.stdout)
    assert res["customers"] == 2357 and res["time_unit"] == "week"
    bg, gg = res["bgnbd"], res["gamma_gamma"]
    # Fader, Hardie & Lee (2005); Fader & Hardie (2013): within 1 %
    for got, want in ((bg["r"], 0.243), (bg["alpha"], 4.414), (bg["a"], 0.793), (bg["b"], 2.426),
                      (bg["log_likelihood"], -9582.4), (gg["p"], 6.25), (gg["q"], 3.74), (gg["gamma"], 15.44)):
        assert got == pytest.approx(want, rel=0.01)
    assert gg["customers"] == 946


def test_cli_customers(shop_db):
    p = run("clv", "customers", "--until", "1997-09-30", "--horizon", "12", "--discount", "0.01",
            "--format", "json", "--db", shop_db)
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert len(rows) == 2357
    keys = {"account_id", "frequency", "recency", "T", "p_alive", "expected_purchases", "expected_avg_spend", "clv"}
    assert keys <= set(rows[0])
    one = next(r for r in rows if r["account_id"] == "1")
    # customer 1 of the papers: x=2, t_x=30.43, T=38.86 weeks, repeat spend 22.35
    assert (one["frequency"], one["recency"], one["T"]) == (2, pytest.approx(30.43, abs=0.01),
                                                            pytest.approx(38.86, abs=0.01))
    assert 0 < one["p_alive"] < 1 and one["expected_purchases"] > 0
    # CLV ≤ undiscounted expected purchases × spend, and sorted highest first
    for r in rows[:50]:
        assert r["clv"] <= r["expected_purchases"] * r["expected_avg_spend"] + 0.01
    assert [r["clv"] for r in rows] == sorted((r["clv"] for r in rows), reverse=True)
    # a longer horizon is worth more; a higher discount rate less
    longer = clv.customers(pilotage.connect(shop_db, read_only=True), "1997-09-30", 24, 0.01)
    dearer = clv.customers(pilotage.connect(shop_db, read_only=True), "1997-09-30", 12, 0.05)
    by_id = {r["account_id"]: r["clv"] for r in rows}
    assert {r["account_id"]: r["clv"] for r in longer}["509"] > by_id["509"] > {
        r["account_id"]: r["clv"] for r in dearer}["509"]


def test_cli_errors_are_one_line(shop_db):
    p = run("clv", "customers", "--until", "1990-01-01", "--db", shop_db)
    assert p.returncode == 2 and "no customer has ordered on or before 1990-01-01" in p.stderr
    with pytest.raises(PilotageError, match="invalid date '30/09/1997'"):
        clv.fit(pilotage.connect(shop_db, read_only=True), "30/09/1997")
    with pilotage.connect(":memory:") as ws, pytest.raises(PilotageError, match="no orders"):
        clv.fit(ws)


def test_api_matches_the_cli(shop_db):
    ws = pilotage.connect(shop_db, read_only=True)
    with LiveServer(ws) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        fit = http.get("/api/v1/clv/fit", params={"until": "1997-09-30"}).json()
        assert fit["bgnbd"]["r"] == pytest.approx(0.243, rel=0.01) and fit["customers"] == 2357
        rows = http.get("/api/v1/clv/customers", params={"until": "1997-09-30", "horizon": 6}).json()
        assert len(rows) == 2357 and rows[0]["clv"] >= rows[-1]["clv"]
        seg = http.get("/api/v1/clv/customers", params={"until": "1997-09-30", "by_segment": True}).json()
        assert seg[0]["customers"] == 2357
        bad = http.get("/api/v1/clv/customers", params={"horizon": 0})
        assert bad.status_code == 422
    ws.close()
