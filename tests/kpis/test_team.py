"""Team KPIs: quota_attainment, reps_at_quota_share, revenue_per_rep, comp_to_revenue_ratio."""

from __future__ import annotations

import pytest

from ._helpers import act, lost, one, only, opp, rep, reps, team, won


def quota(qid, start, end, target, metric="revenue", rep_id=None, team_id=None):
    return {"quota_id": qid, "rep_id": rep_id, "team_id": team_id, "metric": metric,
            "period_start": start, "period_end": end, "target": target}


def _quota_data():
    return {
        "teams": [team("t1"), team("t2")],
        "reps": [rep("r1", "t1"), rep("r2", "t1"), rep("r3", "t2"), rep("r4", "t1"), rep("r5", "t2")],
        "quotas": [
            quota("q1", "2024-01-01", "2024-04-01", 10000, rep_id="r1"),
            quota("q2", "2024-01-01", "2024-04-01", 5000, rep_id="r2"),
            quota("q5", "2024-03-01", "2024-06-01", 3000, rep_id="r2"),  # runs past the range
            quota("q3", "2024-02-01", "2024-03-01", 400, rep_id="r3"),
            quota("q6", "2024-01-01", "2024-04-01", 2500, rep_id="r4"),
            quota("q4", "2023-10-01", "2024-01-01", 1, rep_id="r1"),  # starts before the range
            quota("q8", "2024-04-01", "2024-07-01", 1, rep_id="r1"),  # starts on the range end
            quota("qt", "2024-01-01", "2024-04-01", 100, team_id="t1"),  # team quota: not mixed in
        ],
        "opportunities": [
            won("a1", "2024-01-15 10:00:00", 6000, owner="r1"),
            won("a2", "2024-03-31 23:00:00", 3000, owner="r1"),
            won("a3", "2024-04-01 00:00:00", 5000, owner="r1"),  # after q1's period
            lost("a4", "2024-03-10 10:00:00", 4000, owner="r1"),
            won("a5", "2023-12-15 10:00:00", 100, owner="r1"),
            won("b1", "2024-02-10 10:00:00", 2000, owner="r2"),
            won("b2", "2024-03-15 10:00:00", 4000, owner="r2"),
            won("b3", "2024-04-10 10:00:00", 1000, owner="r2"),  # in q5's period only
            won("c1", "2024-01-20 10:00:00", 100, owner="r3"),  # before q3's period
            won("c2", "2024-02-05 10:00:00", 100, owner="r3"),
            won("c3", "2024-02-15 10:00:00", 100, owner="r3"),
            won("c4", "2024-02-29 23:00:00", 100, owner="r3"),
            won("c5", "2024-03-01 00:00:00", 100, owner="r3"),  # q3's end: out
            won("d1", "2024-02-01 10:00:00", 2500, owner="r4"),
            won("e1", "2024-03-01 10:00:00", 9999, owner="r5"),  # r5 has no quota
        ],
    }


def test_quota_attainment_by_rep(ws):
    ws.load(_quota_data())
    df = ws.kpi(["quota_attainment"], by=["rep"], start="2024-01-01", end="2024-04-01")
    # r1: q1 revenue Jan-Mar = 6000 + 3000 = 9000 / 10000 => 0.9
    assert only(df, rep="r1")["quota_attainment"] == pytest.approx(0.9)
    # r2: q2 (Jan-Mar: 2000 + 4000 = 6000) + q5 (Mar-May: 4000 + 1000 = 5000)
    #     => (6000 + 5000) / (5000 + 3000) = 11000 / 8000 = 1.375
    r2 = only(df, rep="r2")
    assert r2["quota_attainment"] == pytest.approx(1.375)
    assert r2["quota_attainment_numerator"] == pytest.approx(11000)
    assert r2["quota_attainment_denominator"] == pytest.approx(8000)
    # r3: revenue won in Feb = c2 + c3 + c4 = 300 / 400 => 0.75
    assert only(df, rep="r3")["quota_attainment"] == pytest.approx(0.75)
    # r4: 2500 / 2500 => 1.0
    assert only(df, rep="r4")["quota_attainment"] == pytest.approx(1.0)


def test_quota_attainment_by_team_ignores_team_quotas(ws):
    ws.load(_quota_data())
    df = ws.kpi(["quota_attainment"], by=["team"], start="2024-01-01", end="2024-04-01")
    # t1 = r1 + r2 + r4: (9000 + 11000 + 2500) / (10000 + 8000 + 2500) = 22500 / 20500 = 1.09756
    # (the team quota qt of 100 is not mixed in)
    assert only(df, team="t1")["quota_attainment"] == pytest.approx(22500 / 20500)
    # t2 = r3 only (r5 has no quota): 3 / 4 = 0.75
    assert only(df, team="t2")["quota_attainment"] == pytest.approx(0.75)


def test_quota_attainment_on_deal_counts(ws):
    data = _quota_data()
    data["quotas"] = [quota("q3", "2024-02-01", "2024-03-01", 4, metric="deals_won", rep_id="r3")]
    ws.load(data)
    row = one(ws.kpi(["quota_attainment"], start="2024-01-01", end="2024-04-01"))
    # r3: deals won in Feb = c2, c3, c4 = 3 / 4 => 0.75
    assert row["quota_attainment"] == pytest.approx(0.75)


def test_quotas_on_other_metrics_are_not_added_to_revenue(ws):
    data = _quota_data()
    data["quotas"] = [
        quota("q1", "2024-01-01", "2024-04-01", 10000, rep_id="r1"),
        quota("qd", "2024-01-01", "2024-04-01", 2, metric="deals_won", rep_id="r1"),
    ]
    ws.load(data)
    df = ws.kpi(["quota_attainment"], start="2024-01-01", end="2024-04-01")
    # r1 won 6000 + 3000 = 9000 of 10000 (and 2 deals of 2): euros and deals do not add up,
    # so only the revenue quota counts => 9000 / 10000 = 0.9, not 9002 / 10002
    assert one(df)["quota_attainment"] == pytest.approx(0.9)
    assert any("deals_won" in w for w in df.attrs["warnings"])


def test_reps_at_quota_share(ws):
    ws.load(_quota_data())
    row = one(ws.kpi(["reps_at_quota_share"], start="2024-01-01", end="2024-04-01"))
    # reps with a quota starting in Q1: r1 (0.9), r2 (1.375), r3 (0.75), r4 (1.0, exactly at quota)
    # at quota (>= 100 %): r2, r4 => 2 / 4 = 0.5
    assert row["reps_at_quota_share"] == pytest.approx(0.5)
    assert row["reps_at_quota_share_numerator"] == 2
    assert row["reps_at_quota_share_denominator"] == 4

    by_team = ws.kpi(["reps_at_quota_share"], by=["team"], start="2024-01-01", end="2024-04-01")
    # t1: r1 no, r2 yes, r4 yes => 2/3; t2: r3 no (r5 has no quota) => 0 / 1 = 0.0
    assert only(by_team, team="t1")["reps_at_quota_share"] == pytest.approx(2 / 3)
    assert only(by_team, team="t2")["reps_at_quota_share"] == pytest.approx(0.0)


def test_revenue_per_rep_counts_reps_with_any_activity_in_the_period(ws):
    ws.load({
        "reps": reps("r1", "r2", "r3", "r4", "r5", "r6"),
        "opportunities": [
            won("o1", "2024-03-05 10:00:00", 1000, owner="r1", created_at="2024-01-10 10:00:00"),
            won("o2", "2024-03-20 10:00:00", 2000, owner="r2", created_at="2024-03-02 10:00:00"),
            opp("o3", owner="r2", created_at="2024-03-03 10:00:00"),
            won("o4", "2024-02-10 10:00:00", 5000, owner="r4", created_at="2024-01-10 10:00:00"),
            lost("o5", "2024-03-25 10:00:00", 700, owner="r6", created_at="2024-01-10 10:00:00"),
        ],
        "activities": [
            act("a1", "call", "2024-03-15 10:00:00", "r3"),
            act("a2", "call", "2024-04-01 00:00:00", "r5"),  # April
        ],
    })
    row = one(ws.kpi(["revenue_per_rep"], start="2024-03-01", end="2024-04-01"))
    # revenue in March: o1 + o2 = 3000
    # reps active in March: r1 (closed o1), r2 (created o2, o3), r3 (activity), r6 (closed o5 lost) = 4
    # r4 (nothing in March) and r5 (activity on the range end) are not counted => 3000 / 4 = 750
    assert row["revenue_per_rep"] == pytest.approx(750)
    assert row["revenue_per_rep_numerator"] == pytest.approx(3000)
    assert row["revenue_per_rep_denominator"] == 4


def test_comp_to_revenue_ratio(ws):
    ws.load({
        "reps": [
            rep("r1", annual_compensation=36500, hired_on="2020-01-01"),
            rep("r2", annual_compensation=73000, hired_on="2024-03-17"),
        ],
        "opportunities": [
            won("o1", "2024-03-05 10:00:00", 5000, owner="r1"),
            won("o2", "2024-03-25 10:00:00", 4300, owner="r1"),
            won("o3", "2024-04-01 00:00:00", 1000, owner="r1"),  # April
            won("o4", "2024-03-28 10:00:00", 1500, owner="r2"),
        ],
    })
    by_rep = ws.kpi(["comp_to_revenue_ratio"], by=["rep"], start="2024-03-01", end="2024-04-01")
    # r1: 9300 / (36500 × 31 / 365 = 3100) = 3.0
    assert only(by_rep, rep="r1")["comp_to_revenue_ratio"] == pytest.approx(3.0)
    # r2 hired Mar 17 => 15 days: 73000 × 15 / 365 = 3000; 1500 / 3000 = 0.5
    assert only(by_rep, rep="r2")["comp_to_revenue_ratio"] == pytest.approx(0.5)
    total = one(ws.kpi(["comp_to_revenue_ratio"], start="2024-03-01", end="2024-04-01"))
    # (9300 + 1500) / (3100 + 3000) = 10800 / 6100 = 1.77049 (not the mean 1.75)
    assert total["comp_to_revenue_ratio"] == pytest.approx(10800 / 6100)


def test_quota_attainment_by_month_follows_each_quotas_start(ws):
    ws.load(_quota_data())
    df = ws.kpi(["quota_attainment"], grain="month", by=["rep"], start="2024-01-01", end="2024-04-01")
    # January holds the quotas starting in January: r1 q1 9000 / 10000 = 0.9, r2 q2 6000 / 5000 = 1.2
    assert only(df, period="2024-01-01", rep="r1")["quota_attainment"] == pytest.approx(0.9)
    assert only(df, period="2024-01-01", rep="r2")["quota_attainment"] == pytest.approx(1.2)
    # February: r3 q3 3 / 4 = 0.75
    assert only(df, period="2024-02-01", rep="r3")["quota_attainment"] == pytest.approx(0.75)
    # March: r2 q5 over its own period Mar-May: (4000 + 1000) / 3000 = 1.6667
    assert only(df, period="2024-03-01", rep="r2")["quota_attainment"] == pytest.approx(5000 / 3000)


def test_the_warning_about_other_quota_metrics_comes_back_on_every_query(ws):
    data = _quota_data()
    data["quotas"] = [quota("q1", "2024-01-01", "2024-04-01", 10000, rep_id="r1"),
                      quota("qd", "2024-01-01", "2024-04-01", 2, metric="deals_won", rep_id="r1")]
    ws.load(data)
    ws.kpi(["quota_attainment"], start="2024-01-01", end="2024-04-01")
    again = ws.kpi(["quota_attainment"], by=["rep"], start="2024-01-01", end="2024-04-01")
    assert any("deals_won" in w for w in again.attrs["warnings"])


def _coverage_data():
    return {
        "teams": [team("t1"), team("t2")],
        "reps": [rep("r1", "t1"), rep("r2", "t1"), rep("r3", "t2")],
        "quotas": [
            quota("q1", "2024-04-01", "2024-07-01", 10000, rep_id="r1"),
            quota("q2", "2024-04-01", "2024-07-01", 5000, rep_id="r2"),
            quota("q3", "2024-04-01", "2024-07-01", 1000, rep_id="r3"),
        ],
        "opportunities": [
            won("w1", "2024-04-10 10:00:00", 4000, owner="r1"),
            won("w2", "2024-05-02 10:00:00", 1000, owner="r2"),
            won("w3", "2024-04-20 10:00:00", 1500, owner="r3"),  # r3 beat the target
            opp("o1", amount=9000, owner="r1", expected_close_date="2024-05-15"),
            opp("o2", amount=3000, owner="r1", expected_close_date="2024-06-30"),
            opp("o3", amount=7000, owner="r1", expected_close_date="2024-07-01"),  # next quarter
            opp("o4", amount=8000, owner="r2", expected_close_date="2024-04-30"),
            opp("o5", amount=2000, owner="r2"),  # no expected close date: cannot count
            lost("o6", "2024-04-05 10:00:00", 50000, owner="r2", expected_close_date="2024-05-01"),  # not open
            opp("o7", amount=600, owner="r3", expected_close_date="2024-05-01"),
        ],
    }


def test_pipeline_coverage_open_pipeline_expected_in_p_over_what_is_left_of_the_target(ws):
    ws.load(_coverage_data())
    by_rep = ws.kpi(["pipeline_coverage"], by=["rep"], start="2024-04-01", end="2024-07-01")
    # r1: open, expected in Q2 = o1 9000 + o2 3000 = 12000 (o3 is for July);
    #     left = 10000 − 4000 won = 6000 => 12000 / 6000 = 2.0
    r1 = only(by_rep, rep="r1")
    assert r1["pipeline_coverage"] == pytest.approx(2.0)
    assert r1["pipeline_coverage_numerator"] == pytest.approx(12000)
    assert r1["pipeline_coverage_denominator"] == pytest.approx(6000)
    # r2: o4 8000 (o5 has no date, o6 is lost) / (5000 − 1000 = 4000) = 2.0
    assert only(by_rep, rep="r2")["pipeline_coverage"] == pytest.approx(2.0)
    # r3: 1500 won of 1000: nothing left to cover => empty, not a negative coverage
    r3 = only(by_rep, rep="r3")
    assert r3["pipeline_coverage"] != r3["pipeline_coverage"]  # NaN
    # all reps: (12000 + 8000 + 600) / (6000 + 4000 − 500) = 20600 / 9500 = 2.1684
    total = one(ws.kpi(["pipeline_coverage"], start="2024-04-01", end="2024-07-01"))
    assert total["pipeline_coverage"] == pytest.approx(20600 / 9500)
    # team t1 = r1 + r2: 20000 / 10000 = 2.0
    by_team = ws.kpi(["pipeline_coverage"], by=["team"], start="2024-04-01", end="2024-07-01")
    assert only(by_team, team="t1")["pipeline_coverage"] == pytest.approx(2.0)


def test_pipeline_coverage_explain_lists_the_deals_and_the_quotas(ws):
    ws.load(_coverage_data())
    out = ws.explain("pipeline_coverage", filters={"rep": ["r1"]}, start="2024-04-01", end="2024-07-01")
    num = next(s for s in out["sections"] if s["role"] == "numerator")
    den = next(s for s in out["sections"] if s["role"] == "denominator")
    # the deals counted: o1 and o2 (o3 expected in July), the quota left: q1's 10000 − 4000
    assert sorted(num["rows"]["opportunity_id"]) == ["o1", "o2"]
    assert list(den["rows"]["quota_id"]) == ["q1"]
    assert den["rows"]["remaining"].iloc[0] == pytest.approx(6000)
