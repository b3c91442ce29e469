"""Goals: value, attainment, pace and status worked out by hand; rollups; fiscal periods; lower-is-better.

The data (both engines): team t1 = reps r1, r2; r3 in t2. Won deals (created 2025-02-20):
  r1: 1000 on 03-02, 2000 on 03-05, 3000 on 03-08   -> March revenue 6000, 3 deals
  r2: 1500 on 03-03                                 -> March revenue 1500, 1 deal
Progress is measured as of 2025-03-10: 10 of March's 31 days elapsed (the 10th counts).
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pilotage.errors import InvalidCut, UnknownKpi
from pilotage.goals import periods as GP
from pilotage.goals import service as G
from tests.kpis._helpers import rep, team, won

AS_OF = "2025-03-10"


def load(ws):
    ws.load({
        "teams": [team("t1"), team("t2")],
        "reps": [rep("r1", "t1", email="r1@example.test"), rep("r2", "t1"), rep("r3", "t2")],
        "opportunities": [
            won("o1", "2025-03-02 10:00:00", 1000, owner="r1", created_at="2025-02-20 09:00:00"),
            won("o2", "2025-03-05 10:00:00", 2000, owner="r1", created_at="2025-02-20 09:00:00"),
            won("o3", "2025-03-08 10:00:00", 3000, owner="r1", created_at="2025-02-20 09:00:00"),
            won("o4", "2025-03-03 10:00:00", 1500, owner="r2", created_at="2025-02-20 09:00:00"),
        ],
        "quotas": [{"quota_id": "q1", "rep_id": "r2", "metric": "revenue", "period_start": "2025-03-01",
                    "period_end": "2025-04-01", "target": 3000}],
    })


def by(rows, **match):
    got = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(got) == 1, f"expected one goal matching {match}, got {got}"
    return got[0]


def test_attainment_pace_status_rollup(ws):
    load(ws)
    G.set_goal(ws, "revenue", "2025-03", 20000, rep="r1")
    G.set_goal(ws, "revenue", "2025-03", 4000, rep="r2")
    G.set_goal(ws, "revenue", "2025-03", 30000, team="t1")
    G.set_goal(ws, "deals_won", "2025-03", 5, rep="r1")
    G.set_goal(ws, "deals_won", "2025-03", 3, rep="r2")
    rows = G.progress(ws, period="2025-03", as_of=AS_OF)

    r1 = by(rows, kpi="revenue", owner_id="r1", source="set")
    # 6000 / 20000 = 0.30; run rate 6000 × 31 / 10 = 18600; 18600 / 20000 = 0.93 -> at risk (90-100 %)
    assert (r1["value"], r1["attainment"], r1["pace_value"]) == (6000, 0.3, 18600)
    assert (r1["projected_attainment"], r1["status"], r1["days_left"]) == (0.93, "at_risk", 21)
    assert (r1["period_start"], r1["period_end"]) == ("2025-03-01", "2025-04-01")
    r2 = by(rows, kpi="revenue", owner_id="r2", source="set")
    # 1500 / 4000 = 0.375; pace 1500 × 3.1 = 4650 -> 4650 / 4000 = 1.1625 -> on track
    assert (r2["attainment"], r2["pace_value"], r2["status"]) == (0.375, 4650, "on_track")
    # the imported quota is a revenue goal: 1500 / 3000
    q = by(rows, kpi="revenue", owner_id="r2", source="quota")
    assert (q["goal_id"], q["target"], q["attainment"]) == ("quota:q1", 3000, 0.5)
    # the team's own goal (30000) beside its reps' set goals rolled up: 20000 + 4000 = 24000 (plus the
    # quota of 3000: an imported quota is a rep goal too -> 27000); value 6000 + 1500 = 7500
    t1 = by(rows, kpi="revenue", owner_id="t1")
    assert (t1["source"], t1["target"], t1["rollup_target"], t1["value"]) == ("set", 30000, 27000, 7500)
    # no deals_won goal for t1: rolled up 5 + 3 = 8; 4 deals, pace 4 × 3.1 = 12.4 -> 1.55 on track
    d = by(rows, kpi="deals_won", owner_id="t1")
    assert (d["source"], d["target"], d["value"], d["attainment"], d["pace_value"], d["status"]) == \
        ("rollup", 8, 4, 0.5, 12.4, "on_track")
    # t2 has no goal of any kind
    assert not [r for r in rows if r["owner_id"] in ("t2", "r3")]
    # --team: the team's goals and its reps'
    assert {r["owner_id"] for r in G.progress(ws, period="2025-03", team="t1", as_of=AS_OF)} == {"t1", "r1", "r2"}


def test_lower_is_better_and_rates_keep_their_target(ws):
    load(ws)
    G.set_goal(ws, "sales_cycle_days", "2025-03", 10, rep="r1")
    G.set_goal(ws, "win_rate", "2025-03", 0.5, rep="r1")
    G.set_goal(ws, "win_rate", "2025-03", 0.5, rep="r2")
    rows = G.progress(ws, period="2025-03", as_of=AS_OF)
    c = by(rows, kpi="sales_cycle_days")
    # cycles 03-02 − 02-20 = 10, 03-05 − 02-20 = 13, 03-08 − 02-20 = 16 days: mean 13.
    # Lower is better: attainment 10 / 13 = 0.769...; a rate is projected flat (pace = 13) -> behind (< 90 %)
    assert c["value"] == 13 and c["attainment"] == pytest.approx(10 / 13) and c["pace_value"] == 13
    assert c["status"] == "behind" and c["better"] == "down"
    changed = G.set_goal(ws, "sales_cycle_days", "2025-03", 15, rep="r1")  # setting again changes the target
    assert changed["replaced"] is True
    c = by(G.progress(ws, period="2025-03", rep="r1", as_of=AS_OF), kpi="sales_cycle_days")
    assert c["attainment"] == pytest.approx(15 / 13) and c["status"] == "on_track"  # 13 days beat 15
    # a rate is not summed over reps: no rolled-up team win-rate goal
    assert not [r for r in rows if r["kpi"] == "win_rate" and r["owner_type"] == "team"]


def test_fiscal_periods_and_weeks(ws):
    load(ws)
    ws.set_settings(fiscal_year_start=4)
    assert GP.parse("2025", 4) == ("2025", *map(_d, ("2025-04-01", "2026-04-01")))
    assert GP.parse("2024-Q4", 4)[1:] == (_d("2025-01-01"), _d("2025-04-01"))  # Jan-Mar 2025 closes FY 2024
    assert GP.parse("2025-w10", 4) == ("2025-W10", _d("2025-03-03"), _d("2025-03-10"))  # ISO week 10: Mon 3 March
    assert GP.parse("2025-W10", 4, "sunday")[1] == _d("2025-03-02")
    for bad in ("2025-Q5", "2025-13", "March", "2025-03-01", "2025-W54"):
        with pytest.raises(InvalidCut, match="expected a fiscal year, quarter, month or ISO week"):
            GP.parse(bad, 4)
    G.set_goal(ws, "revenue", "2024-Q4", 10000, rep="r1")
    G.set_goal(ws, "revenue", "2025-W10", 4000, rep="r1")
    rows = G.progress(ws, period="all", rep="r1", as_of=AS_OF)
    q = by(rows, period="2024-Q4")
    # Jan 1 .. Mar 10 = 31 + 28 + 10 = 69 of 90 days; 6000 so far -> pace 6000 × 90 / 69 = 7826.09
    assert (q["period_start"], q["period_end"], q["value"]) == ("2025-01-01", "2025-04-01", 6000)
    assert q["pace_value"] == pytest.approx(7826.086957) and q["days_left"] == 21 and q["status"] == "behind"
    w = by(rows, period="2025-W10")
    # week of 3-9 March: 2000 (5th) + 3000 (8th) = 5000 >= 4000; the week is over on the 10th -> met
    assert (w["value"], w["attainment"], w["status"], w["days_left"]) == (5000, 1.25, "met", 0)
    # the fiscal year filter: 2024 is April 2024 .. March 2025 and holds both goals
    assert {r["period"] for r in G.progress(ws, period="2024", rep="r1", as_of=AS_OF)} == {"2024-Q4", "2025-W10"}


def _d(s):
    import datetime as dt

    return dt.date.fromisoformat(s)


def test_bad_input_is_refused_and_nothing_is_stored(ws):
    load(ws)
    with pytest.raises(UnknownKpi, match="unknown KPI 'revenu'"):
        G.set_goal(ws, "revenu", "2025-03", 1, rep="r1")
    with pytest.raises(InvalidCut, match="rep 'r9': no such rep"):
        G.set_goal(ws, "revenue", "2025-03", 1, rep="r9")
    with pytest.raises(InvalidCut, match="not both"):
        G.set_goal(ws, "revenue", "2025-03", 1, rep="r1", team="t1")
    with pytest.raises(InvalidCut, match="expected a positive number"):
        G.set_goal(ws, "revenue", "2025-03", -5, rep="r1")
    # only the imported quota (and its rollup to team t1) remain: nothing was stored
    assert sorted(r["source"] for r in G.progress(ws, period="all", as_of=AS_OF)) == ["quota", "rollup"]


def test_cli_contract(duck, tmp_path):
    load(duck)
    url = duck.db.url
    duck.close()

    def cli(*args):
        p = subprocess.run([sys.executable, "-m", "pilotage.cli", "goals", *args, "--db", url],
                           capture_output=True, text=True, timeout=120)
        return p

    assert cli("set", "--kpi", "revenue", "--period", "2025-03", "--rep", "r1", "--target", "20000").returncode == 0
    assert cli("set", "--kpi", "revenue", "--period", "2025-Q1", "--target", "50000").returncode == 0
    p = cli("progress", "--period", "2025-Q1", "--as-of", AS_OF, "--format", "json")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    contract = {"kpi", "owner_type", "owner_id", "period_start", "period_end", "target", "value", "attainment",
                "pace_value", "status"}
    assert all(contract <= set(r) for r in rows)
    company = by(rows, owner_type="company")
    # company Q1 = Jan 1 .. Mar 10 = 69 of 90 days: 7500 so far -> pace 7500 × 90 / 69 = 9782.61
    assert (company["owner_id"], company["value"], company["target"]) == (None, 7500, 50000)
    assert company["pace_value"] == pytest.approx(9782.608696) and company["status"] == "behind"
    assert by(rows, owner_id="r1", source="set")["attainment"] == 0.3
    bad = cli("set", "--kpi", "revenue", "--period", "2025-13", "--target", "1")
    assert bad.returncode == 2 and "expected a fiscal year, quarter, month or ISO week" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_team_quota_picture(duck):
    load(duck)
    G.set_goal(duck, "revenue", "2025-03", 20000, rep="r1")
    G.set_goal(duck, "revenue", "2025-03", 1000, rep="r2")  # set in the app: wins over r2's imported quota
    p = G.team_picture(duck, period="2025-03", team="t1", as_of="2025-04-01")
    # r1 6000 / 20000 = 30 %; r2 1500 / 1000 = 150 % -> 1 of 2 at quota = 50 %: under 60 % (warned), in the
    # healthy 50-70 % band; within ±20 % of target: neither
    assert (p["reps"], p["reps_at_quota"], p["share_at_quota"], p["warning"], p["healthy"]) == (2, 1, 0.5, True, True)
    assert p["within_20_share"] == 0
    assert {b["bucket"]: b["reps"] for b in p["distribution"]} == \
        {"< 50 %": 1, "50-80 %": 0, "80-100 %": 0, "100-120 %": 0, "≥ 120 %": 1}
    assert [r["owner_id"] for r in p["at_risk"]] == []  # March is over: met / missed, not at risk
    assert "quotas are likely too ambitious" in p["signals"][0]
    # the imported quota alone (r2 3000): the engine's own share of reps at quota agrees (1500 < 3000: 0 of 1)
    kpi = duck.kpi("reps_at_quota_share", start="2025-03-01", end="2025-04-01")
    assert float(kpi["reps_at_quota_share"][0]) == 0.0
