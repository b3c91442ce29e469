"""/api/v1/goals and /api/v1/challenges over real HTTP (the CLI's shapes), and the quota backtest on the demo."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from pilotage.goals import suggest as SG
from tests.goals.test_goals import AS_OF, load
from tests.web.conftest import LiveServer


@pytest.fixture
def small(duck):
    load(duck)
    with LiveServer(duck) as server, httpx.Client(base_url=server.url, timeout=60,
                                                  headers={"X-Pilotage-CSRF": "1"}) as client:
        yield client


def test_goals_and_challenges_api(small):
    r = small.post("/api/v1/goals", json={"kpi": "revenue", "period": "2025-03", "target": 20000, "rep": "r1"})
    assert r.status_code == 201, r.text
    rows = small.get("/api/v1/goals", params={"period": "2025-03", "rep": "r1", "as_of": AS_OF}).json()
    # as in the CLI: 6000 / 20000 = 30 %, pace 6000 × 31 / 10 = 18600 -> 93 %: at risk
    g = next(x for x in rows if x["source"] == "set")
    assert (g["value"], g["attainment"], g["pace_value"], g["status"]) == (6000, 0.3, 18600, "at_risk")
    bad = small.post("/api/v1/goals", json={"kpi": "revenue", "period": "2025-13", "target": 1})
    assert bad.status_code == 422 and "expected a fiscal year, quarter, month or ISO week" in bad.json()["message"]
    assert small.get("/api/v1/goals", params={"as_of": "03/10/2025"}).status_code == 422
    c = small.post("/api/v1/challenges", json={"name": "Mars", "kpi": "revenue", "start": "2025-03-01",
                                               "end": "2025-04-01", "rewards": ["1:bonus:500"], "budget": 400})
    assert c.status_code == 422 and "over the budget of 400.00" in c.json()["message"]
    c = small.post("/api/v1/challenges", json={"name": "Mars", "kpi": "revenue", "start": "2025-03-01",
                                               "end": "2025-04-01", "rewards": ["1:bonus:500"]}).json()
    # March has ended (today is later): reading it freezes it; r1 (6000) first, r2 (1500) second, r3 none
    shown = small.get(f"/api/v1/challenges/{c['challenge_id']}").json()
    assert shown["status"] == "closed"
    assert [(x["participant_id"], x["rank"], x["score"]) for x in shown["leaderboard"]] == \
        [("r1", 1, 6000), ("r2", 2, 1500), ("r3", None, None)]
    assert [(e["participant_id"], e["amount"]) for e in small.get("/api/v1/challenges/ledger").json()] == \
        [("r1", 500.0)]
    assert small.get("/api/v1/challenges/nope").status_code == 422
    assert small.post(f"/api/v1/challenges/{c['challenge_id']}/close").status_code == 400  # already closed


def test_backtest_on_the_demo_data(live):
    """The machinery, not a lucky number: each replayed quarter scores the reps employed then, with data
    before it only; shares are shares; the baseline needs last year's figure, so it scores no more reps."""
    end = dt.date(2026, 7, 1)
    b = SG.backtest(live.ws, periods=3, today=end)
    # the quarter running on 1 July 2026 (Q3) is not complete: the last three complete ones are replayed
    assert [p["period"] for p in b["periods"]] == ["2025-Q4", "2026-Q1", "2026-Q2"]
    for p in b["periods"]:
        s, base = p["suggested"], p["last_year_plus_10"]
        assert s["reps"] >= 5 and 0 <= s["met_share"] <= 1 and 0 <= s["within_20_share"] <= 1
        assert base["reps"] <= s["reps"]
    assert b["overall"]["suggested"]["reps"] == sum(p["suggested"]["reps"] for p in b["periods"])
    # a harder percentile can only lower the share met (same forecasts, higher targets)
    hard = SG.backtest(live.ws, periods=3, today=end, percentile=0.8)
    assert hard["overall"]["suggested"]["met_share"] <= b["overall"]["suggested"]["met_share"]
    # suggestions for the next quarter: reasons and inputs for each rep; a company target spread in proportion
    s = SG.suggest(live.ws, "2026-Q3", company_target=1_000_000, today=end)
    assert s["reps"] and all(r["reasons"] and r["inputs"]["periods_of_history"] >= 0 for r in s["reps"])
    assert sum(r["allocated"] for r in s["reps"]) == pytest.approx(1_000_000, abs=0.05 * len(s["reps"]))
    one = s["reps"][0]
    assert one["allocated"] == pytest.approx(1_000_000 * one["suggested"] / s["total_suggested"], abs=0.01)


def test_suggested_quotas_of_an_unknown_kpi_are_a_404_with_its_name(small):
    # found by schemathesis: a KPI id that is not in the catalogue was a 500 (KeyError)
    for params in ({"kpi": "x,y"}, {"kpi": "x,y", "backtest": "true"}):
        r = small.get("/api/v1/goals/suggest", params=params)
        assert r.status_code == 404, r.text
        assert r.json() == {"error": "UnknownKpi",
                            "message": "unknown KPI 'x,y': see `pilotage kpis` for the catalogue"}
