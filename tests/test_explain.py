"""Explain: every figure comes with the records behind it, so it can be checked by hand."""

from __future__ import annotations

import pytest

from tests.kpis._helpers import rep, team, won
from tests.kpis.test_team import quota


@pytest.fixture
def data(ws):
    ws.load({
        "teams": [team("t1")],
        "reps": [rep("r1", "t1"), rep("r2", "t1")],
        "quotas": [quota("q1", "2024-01-01", "2024-04-01", 1000, rep_id="r1"),
                   quota("q2", "2024-01-01", "2024-04-01", 1000, rep_id="r2")],
        "opportunities": [won("a", "2024-02-10 10:00:00", 1500, owner="r1"),  # r1 at quota
                          won("b", "2024-03-10 10:00:00", 500, owner="r2"),  # r2 not
                          won("c", "2023-11-10 10:00:00", 400, owner="r2")],  # previous quarter
    })
    return ws


def test_a_ratio_lists_numerator_and_denominator_records(data):
    ex = data.explain("avg_deal_size", start="2024-01-01", end="2024-04-01")
    # (1500 + 500) / 2 deals; numerator and denominator read the same 2 records: listed once
    assert [s["role"] for s in ex["sections"]] == ["numerator"]
    assert sorted(ex["sections"][0]["rows"]["opportunity_id"]) == ["a", "b"]


def test_reps_at_quota_lists_the_reps_counted(data):
    ex = data.explain("reps_at_quota_share", start="2024-01-01", end="2024-04-01")
    num, den = ex["sections"]
    # 1 rep of 2 at quota: the numerator section lists that rep, not quota records
    assert (num["role"], num["total"], list(num["rows"]["rep"])) == ("numerator", 1, ["r1"])
    assert (den["role"], den["total"]) == ("denominator", 2)


def test_a_growth_lists_both_periods(data):
    ex = data.explain("revenue_growth", start="2024-01-01", end="2024-04-01")
    now, before = ex["sections"]
    assert sorted(now["rows"]["opportunity_id"]) == ["a", "b"]  # 2000 this quarter
    assert list(before["rows"]["opportunity_id"]) == ["c"]  # 400 the quarter before
    assert before["role"].startswith("earlier period (2023-10-01 → 2024-01-01)")
    # (2000 - 400) / 400 = 4.0
    assert ex["result"]["revenue_growth"][0] == pytest.approx(4.0)
