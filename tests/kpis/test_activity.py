"""Activity (effort) KPIs: calls, emails, meetings, activities, activities_per_won_deal,
proposals_sent, content_usage_rate, social_posts."""

from __future__ import annotations

import pandas as pd
import pytest

from ._helpers import act, lost, one, only, opp, periods, rep, reps, team, ts, won


def test_activity_counts_by_type_and_month(ws):
    ws.load({
        "reps": reps("r1"),
        "activities": [
            act("a01", "call", "2024-01-31 23:59:59"),  # before the range
            act("a02", "call", "2024-02-01 00:00:00"),  # Feb (first instant)
            act("a03", "call", "2024-02-15 10:00:00"),  # Feb
            act("a04", "email", "2024-02-20 10:00:00"),  # Feb
            act("a05", "meeting", "2024-02-21 10:00:00"),  # Feb
            act("a06", "proposal", "2024-02-22 10:00:00"),  # Feb, only in `activities`
            act("a07", "call", "2024-03-05 10:00:00"),  # Mar
            act("a08", "email", "2024-03-06 10:00:00"),  # Mar
            act("a09", "email", "2024-03-07 10:00:00"),  # Mar
            act("a10", "content_share", "2024-03-08 10:00:00"),  # Mar, only in `activities`
            act("a11", "other", "2024-03-09 10:00:00"),  # Mar, only in `activities`
            act("a12", "social_post", "2024-03-10 10:00:00"),  # Mar, only in `activities`
            act("a13", "meeting", "2024-05-01 00:00:00"),  # the range end: excluded
        ],
    })
    df = ws.kpi(["calls", "emails", "meetings", "activities"], grain="month",
                start="2024-02-01", end="2024-05-01")
    assert periods(df) == ts("2024-02-01", "2024-03-01", "2024-04-01")
    feb, mar, apr = (only(df, period=p) for p in ("2024-02-01", "2024-03-01", "2024-04-01"))
    # Feb: calls a02, a03; email a04; meeting a05; all of a02..a06 => 2, 1, 1, 5
    assert (feb["calls"], feb["emails"], feb["meetings"], feb["activities"]) == (2, 1, 1, 5)
    # Mar: call a07; emails a08, a09; no meeting; all of a07..a12 => 1, 2, 0, 6
    assert (mar["calls"], mar["emails"], mar["meetings"], mar["activities"]) == (1, 2, 0, 6)
    # Apr: nothing (a13 is on the range end) => every count is 0, not null
    assert (apr["calls"], apr["emails"], apr["meetings"], apr["activities"]) == (0, 0, 0, 0)


def test_activity_counts_by_rep_and_team(ws):
    ws.load({
        "teams": [team("t1"), team("t2")],
        "reps": [rep("r1", "t1"), rep("r2", "t1"), rep("r3", "t2")],
        "activities": [
            act("a1", "call", "2024-03-01 09:00:00", "r1"),
            act("a2", "call", "2024-03-02 09:00:00", "r1"),
            act("a3", "email", "2024-03-03 09:00:00", "r1"),
            act("a4", "call", "2024-03-04 09:00:00", "r2"),
            act("a5", "call", "2024-03-05 09:00:00", "r3"),
            act("a6", "call", "2024-03-06 09:00:00", "r3"),
            act("a7", "call", "2024-03-07 09:00:00", "r3"),
            act("a8", "call", "2024-04-02 09:00:00", "r3"),  # April: outside
        ],
    })
    by_rep = ws.kpi(["calls", "activities"], by=["rep"], start="2024-03-01", end="2024-04-01")
    # r1: calls a1, a2 (+ email a3) => 2 calls, 3 activities; r2: a4 => 1; r3: a5..a7 => 3
    assert only(by_rep, rep="r1")["calls"] == 2
    assert only(by_rep, rep="r1")["activities"] == 3
    assert only(by_rep, rep="r2")["calls"] == 1
    assert only(by_rep, rep="r3")["calls"] == 3

    by_team = ws.kpi(["calls", "activities"], by=["team"], start="2024-03-01", end="2024-04-01")
    # t1 = r1 + r2: calls 2 + 1 = 3, activities 3 + 1 = 4; t2 = r3: 3 calls, 3 activities
    assert only(by_team, team="t1")["calls"] == 3
    assert only(by_team, team="t1")["activities"] == 4
    assert only(by_team, team="t2")["calls"] == 3
    assert only(by_team, team="t2")["activities"] == 3

    filtered = ws.kpi(["calls"], start="2024-03-01", end="2024-04-01", filters={"team": ["t2"]})
    # only r3's March calls a5..a7 => 3 (a8 is in April)
    assert one(filtered)["calls"] == 3


def _per_won_deal_data():
    return {
        "reps": reps("r1", "r2"),
        "activities": [
            act("a0", "call", "2024-02-10 09:00:00", "r1"),  # Feb
            act("a1", "call", "2024-03-01 09:00:00", "r1"),
            act("a2", "email", "2024-03-02 09:00:00", "r1"),
            act("a3", "meeting", "2024-03-03 09:00:00", "r1"),
            act("a4", "other", "2024-03-04 09:00:00", "r1"),
            act("a5", "call", "2024-03-05 09:00:00", "r2"),
            act("a6", "call", "2024-03-06 09:00:00", "r2"),
            act("a7", "call", "2024-04-01 00:00:00", "r1"),  # April
        ],
        "opportunities": [
            won("o1", "2024-03-10 10:00:00", owner="r1"),
            lost("o2", "2024-03-11 10:00:00", owner="r1"),  # lost: not a won deal
            won("o3", "2024-04-01 00:00:00", owner="r1"),  # April
            won("o4", "2024-03-05 10:00:00", owner="r2"),
            won("o5", "2024-03-25 10:00:00", owner="r2"),
            opp("o6", created_at="2024-03-01 10:00:00", owner="r2"),  # open
        ],
    }


def test_activities_per_won_deal(ws):
    ws.load(_per_won_deal_data())
    row = one(ws.kpi(["activities_per_won_deal"], start="2024-03-01", end="2024-04-01"))
    # March: activities a1..a6 = 6; deals won o1, o4, o5 = 3 => 6 / 3 = 2.0
    assert row["activities_per_won_deal"] == pytest.approx(2.0)
    assert row["activities_per_won_deal_numerator"] == 6
    assert row["activities_per_won_deal_denominator"] == 3

    by_rep = ws.kpi(["activities_per_won_deal"], by=["rep"], start="2024-03-01", end="2024-04-01")
    # r1: 4 activities (a1..a4) / 1 won (o1) => 4.0; r2: 2 (a5, a6) / 2 won (o4, o5) => 1.0
    assert only(by_rep, rep="r1")["activities_per_won_deal"] == pytest.approx(4.0)
    assert only(by_rep, rep="r2")["activities_per_won_deal"] == pytest.approx(1.0)


def test_activities_per_won_deal_without_won_deal_is_null(ws):
    ws.load(_per_won_deal_data())
    df = ws.kpi(["activities_per_won_deal"], grain="month", start="2024-02-01", end="2024-04-01")
    # Feb: 1 activity (a0) / 0 deals won => null, not 0 nor infinity
    assert pd.isna(only(df, period="2024-02-01")["activities_per_won_deal"])
    # Mar: 6 / 3 => 2.0
    assert only(df, period="2024-03-01")["activities_per_won_deal"] == pytest.approx(2.0)


def test_proposals_sent(ws):
    ws.load({
        "reps": reps("r1"),
        "opportunities": [
            opp("o1", proposal_sent_at="2024-03-01 00:00:00"),  # in March
            opp("o2", proposal_sent_at="2024-03-31 23:00:00"),  # in March
            opp("o3", proposal_sent_at="2024-04-01 00:00:00"),  # range end: out
            opp("o4", proposal_sent_at="2024-02-29 23:59:59"),  # Feb: out
            opp("o5"),  # no proposal
            won("o6", "2024-05-02 10:00:00", proposal_sent_at="2024-03-10 10:00:00"),  # in March, now won
            lost("o7", "2024-03-20 10:00:00", proposal_sent_at="2024-03-15 10:00:00"),  # in March, now lost
        ],
        # a `proposal` activity is not a proposal sent (the KPI reads opportunities.proposal_sent_at)
        "activities": [act("a1", "proposal", "2024-03-12 10:00:00", opportunity_id="o5")],
    })
    row = one(ws.kpi(["proposals_sent"], start="2024-03-01", end="2024-04-01"))
    # o1, o2, o6, o7 => 4
    assert row["proposals_sent"] == 4


def test_content_usage_rate(ws):
    ws.load({
        "reps": reps("r1"),
        "opportunities": [
            opp("o1", created_at="2024-03-01 00:00:00"),
            opp("o2", created_at="2024-03-10 10:00:00"),
            opp("o3", created_at="2024-03-15 10:00:00"),
            opp("o4", created_at="2024-03-31 23:59:59"),
            opp("o5", created_at="2024-02-20 10:00:00"),  # created in Feb: not in the cohort
            opp("o6", created_at="2024-04-01 00:00:00"),  # created on the range end: out
        ],
        "activities": [
            act("c1", "content_share", "2024-03-10 10:00:00", opportunity_id="o1"),
            act("c2", "content_share", "2024-03-12 10:00:00", opportunity_id="o1"),  # o1 counts once
            act("c3", "content_share", "2024-05-20 10:00:00", opportunity_id="o2"),  # any date counts
            act("c4", "email", "2024-03-16 10:00:00", opportunity_id="o3"),  # not a content share
            act("c5", "content_share", "2024-03-01 10:00:00", opportunity_id="o5"),
            act("c6", "content_share", "2024-04-02 10:00:00", opportunity_id="o6"),
            act("c7", "content_share", "2024-03-20 10:00:00"),  # linked to no opportunity
        ],
    })
    row = one(ws.kpi(["content_usage_rate"], start="2024-03-01", end="2024-04-01"))
    # created in March: o1, o2, o3, o4 = 4; with a content share: o1, o2 = 2 => 2 / 4 = 0.5
    assert row["content_usage_rate"] == pytest.approx(0.5)
    assert row["content_usage_rate_numerator"] == 2
    assert row["content_usage_rate_denominator"] == 4
    assert bool(row["content_usage_rate_small_sample"]) is True  # 4 < 30
    # Wilson, n = 4, p = 0.5, z = 1.96: z²/n = 0.9604, centre = 0.5 + 0.4802 = 0.9802,
    # half-width = 1.96 × sqrt(0.0625 + 3.8415/64) = 1.96 × 0.35003 = 0.68605, divisor 1.9604
    # => low = 0.29415 / 1.9604 = 0.1500, high = 1.66625 / 1.9604 = 0.8500
    assert row["content_usage_rate_low"] == pytest.approx(0.1500, abs=5e-4)
    assert row["content_usage_rate_high"] == pytest.approx(0.8500, abs=5e-4)


def test_social_posts_with_views_and_likes(ws):
    ws.load({
        "reps": reps("r1"),
        "activities": [
            act("p1", "social_post", "2024-03-01 08:00:00", views=100, likes=10),
            act("p2", "social_post", "2024-03-15 08:00:00", views=50, likes=None),  # null likes ignored
            act("p3", "social_post", "2024-03-31 23:00:00", views=None, likes=5),  # null views ignored
            act("p4", "social_post", "2024-04-01 00:00:00", views=1000, likes=7),  # April
            act("x1", "other", "2024-03-20 08:00:00", views=999, likes=99),  # not a social post
            act("x2", "call", "2024-03-21 08:00:00"),
            act("p0", "social_post", "2024-02-29 23:59:59", views=5000, likes=500),  # Feb: out
        ],
    })
    df = ws.kpi(["social_posts"], grain="month", start="2024-03-01", end="2024-06-01")
    mar, apr, may = (only(df, period=p) for p in ("2024-03-01", "2024-04-01", "2024-05-01"))
    # March: p1, p2, p3 => 3 posts, views 100 + 50 = 150, likes 10 + 5 = 15
    assert (mar["social_posts"], mar["social_posts_views"], mar["social_posts_likes"]) == (3, 150, 15)
    # April: p4 => 1 post, 1000 views, 7 likes
    assert (apr["social_posts"], apr["social_posts_views"], apr["social_posts_likes"]) == (1, 1000, 7)
    # May: no post => counts and sums 0
    assert (may["social_posts"], may["social_posts_views"], may["social_posts_likes"]) == (0, 0, 0)
