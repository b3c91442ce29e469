"""Counts and sums answered by rolling up a kept finer aggregate (pilotage/engine/rollup.py).

Data, worked by hand: team A = reps r1, r2; team B = rep r3.
Won deals (closed in 2024):
  d1 r1 Jan 100   d2 r1 Feb 200   d3 r2 Jan 50   d4 r3 Jan 400   d5 r3 Mar 1000
Lost: l1 r2 Feb, l2 r3 Feb.        Dec 2023: w0 r1 won 80 (a growth's earlier period only).
Revenue: Jan 550 (A 150, B 400), Feb 200 (A), Mar 1000 (B); year 1750; A 350, B 1400.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pilotage.engine import rollup
from tests.kpis._helpers import one, only, opp, rep, team

JAN, APR = "2024-01-01", "2024-04-01"


def _data():
    won = [("d1", "r1", "2024-01-10", 100), ("d2", "r1", "2024-02-10", 200), ("d3", "r2", "2024-01-20", 50),
           ("d4", "r3", "2024-01-05", 400), ("d5", "r3", "2024-03-15", 1000), ("w0", "r1", "2023-12-15", 80)]
    lost = [("l1", "r2", "2024-02-03"), ("l2", "r3", "2024-02-04")]
    return {
        "teams": [team("A"), team("B")],
        "reps": [rep("r1", "A"), rep("r2", "A"), rep("r3", "B")],
        "opportunities": [opp(i, "won", owner=o, closed_at=f"{d} 10:00:00", created_at="2023-11-01 09:00:00",
                              amount=a) for i, o, d, a in won]
                         + [opp(i, "lost", owner=o, closed_at=f"{d} 10:00:00", created_at="2023-11-01 09:00:00")
                            for i, o, d in lost],
    }


def _kept(ws) -> list:
    from pilotage.engine import query
    return query.kept(ws.db)["rollups"]


def test_team_and_company_figures_rolled_up_from_the_rep_grouping(ws):
    ws.load(_data())
    by_rep = ws.kpi(["revenue", "deals_won", "close_rate"], grain="month", by=["rep"], start=JAN, end=APR)
    assert only(by_rep, period="2024-01-01", rep="r3")["revenue"] == 400
    kept = len(_kept(ws))
    assert kept >= 1
    by_team = ws.kpi(["revenue", "deals_won", "close_rate"], grain="month", by=["team"], start=JAN, end=APR)
    assert len(_kept(ws)) == kept  # served from the kept grouping: nothing new computed
    assert only(by_team, period="2024-01-01", team="A")["revenue"] == 150
    assert only(by_team, period="2024-02-01", team="A")["revenue"] == 200
    # Feb, team A: 1 won (d2) of 2 closed (d2, l1) = 50 %
    assert only(by_team, period="2024-02-01", team="A")["close_rate"] == pytest.approx(0.5)
    assert only(by_team, period="2024-02-01", team="B")["deals_won"] == 0  # l2 only: a closed month, 0 won
    company = ws.kpi(["revenue", "deals_won"], start=JAN, end=APR)
    assert one(company)["revenue"] == 1750 and one(company)["deals_won"] == 5


def test_a_filter_on_a_kept_dimension_is_applied_to_the_kept_grouping(ws):
    ws.load(_data())
    ws.kpi(["revenue"], grain="month", by=["rep"], start=JAN, end=APR)
    team_a = ws.kpi(["revenue", "deals_won"], grain="month", start=JAN, end=APR, filters={"team": ["A"]})
    assert list(team_a["revenue"]) == [150, 200, 0]
    r3 = ws.kpi(["revenue"], start=JAN, end=APR, filters={"rep": ["r3"]})
    assert one(r3)["revenue"] == 1400
    nobody = ws.kpi(["revenue", "deals_won"], start=JAN, end=APR, filters={"rep": ["r9"]})
    assert one(nobody)["deals_won"] == 0


def test_growth_reads_its_earlier_period_from_one_wider_pass(ws):
    ws.load(_data())
    df = ws.kpi(["revenue", "revenue_growth"], grain="month", start=JAN, end=APR)
    # Jan vs Dec 2023: 550 / 80 - 1; Feb vs Jan: 200 / 550 - 1
    assert only(df, period="2024-01-01")["revenue_growth"] == pytest.approx(550 / 80 - 1)
    assert only(df, period="2024-02-01")["revenue_growth"] == pytest.approx(200 / 550 - 1)
    assert only(df, period="2024-01-01")["revenue"] == 550  # Dec's 80 not counted in the range itself
    assert list(df["period"]) == [pd.Timestamp(p) for p in ("2024-01-01", "2024-02-01", "2024-03-01")]


def test_a_range_starting_mid_month_is_not_served_from_whole_months(ws):
    ws.load(_data())
    ws.kpi(["revenue"], grain="month", by=["rep"], start=JAN, end=APR)
    df = ws.kpi(["revenue"], grain="month", start="2024-01-08", end=APR)
    # from Jan 8: d1 (Jan 10) 100 + d3 (Jan 20) 50; d4 (Jan 5) is before the range
    assert only(df, period="2024-01-01")["revenue"] == 150


def test_a_grouping_over_the_row_budget_is_not_kept_and_figures_stay_exact(ws, monkeypatch):
    monkeypatch.setattr(rollup, "ROW_BUDGET", 2)
    ws.load(_data())
    df = ws.kpi(["revenue"], grain="month", by=["team"], start=JAN, end=APR)
    assert only(df, period="2024-03-01", team="B")["revenue"] == 1000
    assert _kept(ws) == []


def test_a_write_drops_the_kept_groupings(ws):
    ws.load(_data())
    assert one(ws.kpi(["revenue"], start=JAN, end=APR))["revenue"] == 1750
    ws.load({"opportunities": [opp("d6", "won", owner="r2", closed_at="2024-03-02 10:00:00", amount=5)]})
    again = ws.kpi(["revenue"], by=["team"], start=JAN, end=APR)
    assert only(again, team="A")["revenue"] == 355


def test_a_missing_exchange_rate_is_said_again_when_rolled_up(ws):
    data = _data()
    data["opportunities"].append(opp("usd", "won", owner="r1", closed_at="2024-01-11 10:00:00", amount=10,
                                     currency="USD"))
    ws.load(data)
    first = ws.kpi(["revenue"], grain="month", by=["rep"], start=JAN, end=APR)
    assert any("exchange rate" in w for w in first.attrs["warnings"])
    by_team = ws.kpi(["revenue"], by=["team"], start=JAN, end=APR)
    assert any(w.startswith("1 record") for w in by_team.attrs["warnings"])
    assert only(by_team, team="A")["revenue"] == 350  # the USD deal left out, not counted as 10 €
    team_b = ws.kpi(["revenue"], start=JAN, end=APR, filters={"team": ["B"]})
    assert team_b.attrs["warnings"] == []  # the unconverted deal is team A's
    assert not math.isnan(one(team_b)["revenue"])


def test_the_focus_dashboard_reads_both_ranges_from_one_monthly_pass(ws):
    from pilotage import service

    ws.load(_data())
    cards = {c["id"]: c for c in service.focus_cards(ws, start=JAN, end=APR, ids=["revenue", "deals_won"])}
    # Jan-Mar 2024: 1750 from 5 deals; compared with Oct-Dec 2023: w0's 80, 1 deal
    assert cards["revenue"]["value"] == 1750 and cards["revenue"]["previous"] == 80
    assert cards["deals_won"]["value"] == 5 and cards["deals_won"]["previous"] == 1
    assert cards["revenue"]["change"] == pytest.approx(1750 / 80 - 1)
    monthly = [f for f in _kept(ws) if f.fact == "opportunities" and f.grain == "month"]
    assert [(str(f.start), str(f.end)) for f in monthly] == [("2023-10-01", "2024-04-01")]


def test_a_question_needing_a_measure_the_kept_monthly_grouping_lacks(ws):
    ws.load(_data())
    ws.kpi(["revenue"], grain="month", by=["rep"], start=JAN, end=APR)
    df = ws.kpi(["revenue", "close_rate"], start=JAN, end=APR)
    # 5 won of 7 closed in Jan-Mar 2024 (d1-d5 won, l1 and l2 lost)
    assert one(df)["revenue"] == 1750 and one(df)["close_rate"] == pytest.approx(5 / 7)


def test_a_grouping_made_for_one_teams_scope_serves_every_team(ws):
    ws.load(_data())
    b = ws.kpi(["deals_won"], by=["rep"], start=JAN, end=APR, filters={"team": ["B"]})
    assert list(b["rep"]) == ["r3"] and list(b["deals_won"]) == [2]
    everyone = ws.kpi(["deals_won"], by=["rep"], start=JAN, end=APR)
    # r1: d1, d2; r2: d3; r3: d4, d5
    assert dict(zip(everyone["rep"], everyone["deals_won"], strict=True)) == {"r1": 2, "r2": 1, "r3": 2}


def test_the_focus_dashboards_churn_of_both_ranges_from_one_query(ws):
    """Contracts: X 2023-01-01 -> 2024-02-15, Y 2023-01-01 -> 2023-11-15, Z 2023-01-01 -> open.
    Oct-Dec 2023: X, Y, Z active on Oct 1st, Y's last contract ends in it: 1 / 3.
    Jan-Mar 2024: X, Z active on Jan 1st (Y ended), X's ends in it: 1 / 2."""
    from pilotage import service
    from pilotage.engine import query

    def contract(i, account, end=None):
        return {"contract_id": i, "account_id": account, "start_date": "2023-01-01", "end_date": end}

    ws.load({"accounts": [{"account_id": a, "name": a} for a in "XYZ"],
             "contracts": [contract("cx", "X", "2024-02-15"), contract("cy", "Y", "2023-11-15"),
                           contract("cz", "Z")]})
    card = service.focus_cards(ws, start=JAN, end=APR, ids=["churn_rate"])[0]
    assert card["value"] == pytest.approx(1 / 2) and card["previous"] == pytest.approx(1 / 3)
    assert card["numerator"] == 1 and card["denominator"] == 2
    kept = {(str(s), str(e)) for (_m, _d, s, e, _f) in query.kept(ws.db)["ranges"]}
    assert kept == {("2023-10-01", "2024-01-01"), ("2024-01-01", "2024-04-01")}


def test_a_grouping_kept_by_one_server_reader_serves_the_others(duck):
    from pilotage.store.pool import ReaderPool

    duck.load(_data())
    pool = ReaderPool(duck, size=2)
    with pool.reader() as (one, _), pool.reader() as (other, _):  # two connections at once
        one.kpi(["revenue"], grain="month", by=["rep"], start=JAN, end=APR)
        kept = len(query_kept(other))
        assert kept >= 1
        by_team = other.kpi(["revenue"], by=["team"], start=JAN, end=APR)
        assert dict(zip(by_team["team"], by_team["revenue"], strict=True)) == {"A": 350, "B": 1400}
        assert len(query_kept(other)) == kept  # rolled up from the first reader's grouping
    duck.load({"opportunities": [opp("d6", "won", owner="r2", closed_at="2024-03-02 10:00:00", amount=5)]})
    with pool.reader() as (reader, _):  # a new data version: nothing kept from the previous one is served
        by_team = reader.kpi(["revenue"], by=["team"], start=JAN, end=APR)
        assert dict(zip(by_team["team"], by_team["revenue"], strict=True)) == {"A": 355, "B": 1400}
    pool.close()


def query_kept(ws) -> list:
    from pilotage.engine import query

    query._sync(ws.db)
    return query.kept(ws.db)["rollups"]
