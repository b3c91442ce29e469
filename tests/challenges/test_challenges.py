"""Challenges: ranks with ties, points, badges, pooled rewards, budget; frozen results after a later import.

Data (both engines, tests/goals/test_goals.load plus r4): March 2025 revenue
  r1 6000, r2 1500, r3 3000 (one deal), r4 3000 (one deal).
Challenge: revenue 2025-03-01..2025-04-01, rule both (rank, and threshold 2000), points 100/60/30,
threshold points 50, rewards 1st bonus 500, 2nd bonus 300, 3rd gift "Dîner", training for all at 2000+.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from pilotage.challenges import service as C
from pilotage.errors import InvalidCut
from tests.goals.test_goals import load
from tests.kpis._helpers import rep, won

REWARDS = ["1:bonus:500", "2:bonus:300", "3:gift::Dîner", "threshold:training::Formation"]


def setup(ws):
    load(ws)
    ws.load({"reps": [rep("r4", "t2")],
             "opportunities": [won("o5", "2025-03-12 10:00:00", 3000, owner="r3", created_at="2025-03-01 09:00:00"),
                               won("o6", "2025-03-14 10:00:00", 3000, owner="r4", created_at="2025-03-01 09:00:00")]})
    return C.create(ws, name="Mars", kpi="revenue", start="2025-03-01", end="2025-04-01", rule="both",
                    threshold=2000, rewards=REWARDS, budget=1000)


def test_ties_points_badges_rewards_then_frozen(ws):
    c = setup(ws)
    live = C.get(ws, c["challenge_id"], today=dt.date(2025, 3, 20))
    assert live["status"] == "running" and live["days_left"] == 12  # 20 March .. 1 April
    board = {r["participant_id"]: r for r in live["leaderboard"]}
    # 6000 > 3000 = 3000 > 1500: r1 first; r3 and r4 share rank 2 (competition ranking), r2 is 4th
    assert [(r["participant_id"], r["rank"]) for r in live["leaderboard"]] == \
        [("r1", 1), ("r3", 2), ("r4", 2), ("r2", 4)]
    # r1: 100 (rank 1) + 50 (6000 >= 2000) = 150; r3, r4: ranks 2 and 3 pooled (60 + 30) / 2 = 45, + 50 = 95;
    # r2: 4th and under the threshold (1500 < 2000): 0
    assert {p: r["points"] for p, r in board.items()} == {"r1": 150, "r3": 95, "r4": 95, "r2": 0}
    assert {p: r["badge"] for p, r in board.items()} == {"r1": "gold", "r3": "silver", "r4": "silver", "r2": None}
    # the 2nd and 3rd prizes pooled: bonus 300 / 2 = 150 each and the gift to both; training at 2000+
    assert sorted((w["kind"], w["amount"]) for w in board["r3"]["rewards"]) == \
        [("bonus", 150.0), ("gift", None), ("training", None)]
    assert sorted((w["kind"], w["amount"]) for w in board["r1"]["rewards"]) == [("bonus", 500.0), ("training", None)]
    assert board["r2"]["rewards"] == []

    # the challenge ends on 1 April: the next import freezes it first, so a deal backdated into March
    # (r2 +10000 on 20 March) changes nothing in its results
    C.freeze_ended(ws, today=dt.date(2025, 4, 2))
    ws.load({"opportunities": [won("o7", "2025-03-20 10:00:00", 10000, owner="r2",
                                   created_at="2025-03-01 09:00:00")]})
    after = C.get(ws, c["challenge_id"], today=dt.date(2025, 4, 5))
    assert after["status"] == "closed" and after["frozen_at"]
    assert [(r["participant_id"], r["rank"], r["score"], r["points"]) for r in after["leaderboard"]] == \
        [("r1", 1, 6000, 150), ("r3", 2, 3000, 95), ("r4", 2, 3000, 95), ("r2", 4, 1500, 0)]
    # while the KPI itself now counts the new deal
    assert float(ws.kpi("revenue", start="2025-03-01", end="2025-04-01", filters={"rep": "r2"})["revenue"][0]) == 11500
    ledger = C.ledger(ws)
    assert sorted((e["participant_id"], e["kind"], e["amount"]) for e in ledger if e["kind"] == "bonus") == \
        [("r1", "bonus", 500.0), ("r3", "bonus", 150.0), ("r4", "bonus", 150.0)]
    assert sum(e["amount"] or 0 for e in ledger) == 800  # 500 + 150 + 150: within the budget of 1000
    with pytest.raises(Exception, match="already closed"):
        C.close(ws, c["challenge_id"])


def test_live_leaderboard_follows_imports_and_lower_is_better(duck):
    load(duck)
    # it ends long after the real today, so the import below does not freeze it (an ended challenge would be)
    c = C.create(duck, name="Cycle", kpi="sales_cycle_days", start="2025-03-01", end="2100-01-01",
                 participants=["r1", "r2"])
    # r1's cycles 10, 13, 16 days: mean 13; r2's 03-03 − 02-20 = 11 days: lower is better -> r2 first
    board = C.get(duck, c["challenge_id"], today=dt.date(2025, 3, 10))["leaderboard"]
    assert [(r["participant_id"], r["score"], r["rank"]) for r in board] == [("r2", 11, 1), ("r1", 13, 2)]
    # a running challenge follows imports: r2 closes a 31-day deal (02-20 -> 03-23): mean (11 + 31) / 2 = 21
    duck.load({"opportunities": [won("o8", "2025-03-23 10:00:00", 100, owner="r2", created_at="2025-02-20 09:00:00")]})
    board = C.get(duck, c["challenge_id"], today=dt.date(2025, 3, 25))["leaderboard"]
    assert [(r["participant_id"], r["score"], r["rank"]) for r in board] == [("r1", 13, 1), ("r2", 21, 2)]


def test_bad_challenges_refused(duck):
    load(duck)
    base = dict(name="X", kpi="revenue", start="2025-03-01", end="2025-04-01")
    with pytest.raises(InvalidCut, match=r"may cost 1,100.00 .* over the budget of 1,000.00"):
        # 500 + 200 × 3 participants (r1, r2, r3; threshold rewards count for everyone) = 1100
        C.create(duck, **base, rule="both", threshold=1, rewards=["1:bonus:500", "threshold:bonus:200"], budget=1000)
    with pytest.raises(InvalidCut, match="needs a --threshold"):
        C.create(duck, **base, rule="threshold")
    with pytest.raises(InvalidCut, match="kind must be one of bonus, gift, trip, training"):
        C.create(duck, **base, rewards=["1:car:5"])
    with pytest.raises(InvalidCut, match="unknown rep"):
        C.create(duck, **base, participants=["r1", "zz"])
    with pytest.raises(InvalidCut, match="must end after it starts"):
        C.create(duck, **{**base, "end": "2025-02-01"})
    assert C.list_(duck) == []


def test_cli(duck):
    load(duck)
    url = duck.db.url
    duck.close()

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "pilotage.cli", "challenges", *args, "--db", url],
                              capture_output=True, text=True, timeout=120)

    p = cli("create", "--name", "Mars", "--kpi", "revenue", "--period", "2025-03", "--reward", "1:trip::Lisbonne",
            "--format", "json")
    assert p.returncode == 0, p.stderr
    cid = json.loads(p.stdout)["challenge_id"]
    shown = json.loads(cli("show", cid, "--as-of", "2025-03-10", "--format", "json").stdout)
    assert [(r["participant_id"], r["rank"]) for r in shown["leaderboard"]][:2] == [("r1", 1), ("r2", 2)]
    closed = json.loads(cli("close", cid, "--as-of", "2025-03-10", "--format", "json").stdout)
    assert closed["status"] == "closed"
    assert [r["kind"] for r in json.loads(cli("ledger", "--format", "json").stdout)] == ["trip"]
    assert json.loads(cli("list", "--format", "json").stdout)[0]["status"] == "closed"
    bad = cli("show", "nope")
    assert bad.returncode == 2 and "no such challenge" in bad.stderr
