"""Open deals: slipping, stuck, categories (by hand) and the win-probability backtest machinery."""

from __future__ import annotations

import datetime as dt

import pytest

import pilotage
from pilotage.forecast import deals


@pytest.fixture(scope="module")
def ws():
    """200 closed deals of 2024, each through Qualification then closed 10 days later (won deals enter
    Signature); referral deals win 4 times in 5, cold calls 1 in 5. Plus 3 open deals on 2025-01-31."""
    opps, changes = [], []
    for i in range(200):
        src = "referral" if i % 2 else "cold_call"
        won = (i // 2) % 5 != 0 if src == "referral" else (i // 2) % 5 == 0
        created = dt.datetime(2024, 1, 1) + dt.timedelta(days=i)
        closed = created + dt.timedelta(days=10)
        opps.append({"opportunity_id": f"o{i:03}", "owner_rep_id": "r1" if i < 100 else "r2", "source": src,
                     "created_at": created.isoformat(), "stage": "Signature" if won else "Qualification",
                     "status": "won" if won else "lost", "amount": 1000, "closed_at": closed.isoformat()})
        changes.append({"opportunity_id": f"o{i:03}", "stage": "Qualification", "entered_at": created.isoformat()})
        if won:
            changes.append({"opportunity_id": f"o{i:03}", "stage": "Signature", "entered_at": closed.isoformat()})
    opps += [
        # slipping: expected on 2025-01-15, still open on 2025-01-31 (the data's last date)
        {"opportunity_id": "late", "owner_rep_id": "r1", "source": "referral", "created_at": "2025-01-25",
         "stage": "Qualification", "status": "open", "amount": 5000, "expected_close_date": "2025-01-15",
         "forecast_category": "commit"},
        # stuck: 30 days in Qualification where every closed deal stayed 10 days (p90 = 10)
        {"opportunity_id": "stuck", "owner_rep_id": "r2", "source": "cold_call", "created_at": "2025-01-01",
         "stage": "Qualification", "status": "open", "amount": 3000, "expected_close_date": "2025-02-20",
         "forecast_category": "best_case"},
        {"opportunity_id": "fresh", "owner_rep_id": "r2", "source": "referral", "created_at": "2025-01-31",
         "stage": "Qualification", "status": "open", "amount": 2000, "expected_close_date": "2025-03-10"},
    ]
    changes += [{"opportunity_id": o, "stage": "Qualification", "entered_at": at}
                for o, at in (("late", "2025-01-25"), ("stuck", "2025-01-01"), ("fresh", "2025-01-31"))]
    w = pilotage.connect(":memory:")
    w.load({"teams": [{"team_id": "t1", "name": "T1"}, {"team_id": "t2", "name": "T2"}],
            "reps": [{"rep_id": "r1", "name": "A", "team_id": "t1"}, {"rep_id": "r2", "name": "B", "team_id": "t2"}],
            "opportunities": opps, "stage_changes": changes})
    yield w
    w.close()


def test_slipping_stuck_and_probabilities(ws):
    res = deals.open_deals(ws)
    assert res["as_of"] == "2025-01-31"
    by_id = {d["opportunity_id"]: d for d in res["deals"]}
    assert [k for k, d in by_id.items() if d["slipping"]] == ["late"]
    assert [k for k, d in by_id.items() if d["stuck"]] == ["stuck"]
    assert by_id["stuck"]["days_in_stage"] == 30 and by_id["stuck"]["stage_p90_days"] == 10
    # the stage average: 200 closed deals through Qualification, 100 won -> 0.5
    assert by_id["fresh"]["stage_probability"] == pytest.approx(0.5)
    # the source separates wins (4/5 vs 1/5): a referral deal scores above a cold call, factors name it
    assert by_id["fresh"]["win_probability"] > 0.5 > by_id["stuck"]["win_probability"]
    assert any("source referral ↑" == f for f in by_id["fresh"]["factors"])
    b = res["backtest"]
    # time split at the 80th percentile of close dates: 160 visits before, 40 after
    assert (b["trained"], b["tested"]) == (160, 40)
    assert sum(row["deals"] for row in b["calibration"]) == 40
    # Brier of the 0.5 baseline is exactly 0.25; the source model does better and is used for the weighting
    assert b["baseline_brier"] == pytest.approx(0.25, abs=0.02) and b["brier"] < b["baseline_brier"]
    assert b["beats_baseline"] and by_id["fresh"]["weighted"] == pytest.approx(2000 * by_id["fresh"]["win_probability"],
                                                                              abs=0.2)  # p rounded to 4 places


def test_categories_by_month_and_rep(ws):
    rows = deals.categories(ws, "2025-01-01", "2025-04-01")
    got = {(r["month"], r["category"]): (r["deals"], r["amount"]) for r in rows}
    # nothing won in Q1 2025; open deals by their category (none given -> pipeline) and expected month
    assert got == {("2025-01", "commit"): (1, 5000.0), ("2025-02", "best_case"): (1, 3000.0),
                   ("2025-03", "pipeline"): (1, 2000.0)}
    by_team = deals.categories(ws, "2025-01-01", "2025-04-01", by="team")
    assert {(r["team"], r["category"]) for r in by_team} == {("t1", "commit"), ("t2", "best_case"), ("t2", "pipeline")}
    # 2024: the closed deals of the year (100 won × 1000), by close month
    closed = [r for r in deals.categories(ws, "2024-01-01", "2025-01-01") if r["category"] == "closed"]
    assert sum(r["amount"] for r in closed) == 100 * 1000
