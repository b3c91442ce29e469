"""Pipeline and conversion KPIs: opportunities_created, win_rate, close_rate,
stage_conversion, proposal_conversion_rate, sales_cycle_days, open_pipeline,
weighted_pipeline."""

from __future__ import annotations

import pandas as pd
import pytest

from ._helpers import lead, lost, one, only, opp, periods, reps, ts, won


def test_opportunities_created_by_month_and_kind(ws):
    ws.load({"reps": reps("r1"), "opportunities": [
        opp("o0", created_at="2024-02-29 23:59:59"),  # Feb: out
        opp("o1", created_at="2024-03-01 00:00:00"),
        opp("o2", created_at="2024-03-15 10:00:00", kind="upsell"),
        won("o3", "2024-03-25 10:00:00", created_at="2024-03-20 10:00:00", kind="renewal"),
        lost("o4", "2024-04-03 10:00:00", created_at="2024-03-31 23:59:59"),
        opp("o5", created_at="2024-04-01 00:00:00"),  # April
        opp("o6", created_at="2024-05-01 00:00:00"),  # range end: out
    ]})
    df = ws.kpi(["opportunities_created"], grain="month", start="2024-03-01", end="2024-05-01")
    assert periods(df) == ts("2024-03-01", "2024-04-01")
    # March: o1..o4 = 4 whatever their status; April: o5 = 1
    assert only(df, period="2024-03-01")["opportunities_created"] == 4
    assert only(df, period="2024-04-01")["opportunities_created"] == 1

    by_kind = ws.kpi(["opportunities_created"], by=["kind"], start="2024-03-01", end="2024-04-01")
    # new_business o1, o4 = 2; upsell o2 = 1; renewal o3 = 1
    assert only(by_kind, kind="new_business")["opportunities_created"] == 2
    assert only(by_kind, kind="upsell")["opportunities_created"] == 1
    assert only(by_kind, kind="renewal")["opportunities_created"] == 1


def test_win_rate_counts_open_ones_in_the_cohort(ws):
    ws.load({"reps": reps("r1"), "opportunities": [
        won("w1", "2024-05-10 10:00:00", created_at="2024-03-01 00:00:00"),  # won after the range: counts
        won("w2", "2024-03-20 10:00:00", created_at="2024-03-02 10:00:00"),
        lost("w3", "2024-03-21 10:00:00", created_at="2024-03-03 10:00:00"),
        opp("w4", created_at="2024-03-04 10:00:00"),  # open: in the denominator
        opp("w5", created_at="2024-03-31 23:00:00"),
        won("x1", "2024-03-10 10:00:00", created_at="2024-02-20 10:00:00"),  # created in Feb
        won("x2", "2024-04-10 10:00:00", created_at="2024-04-01 00:00:00"),  # created on the end
    ]})
    row = one(ws.kpi(["win_rate"], start="2024-03-01", end="2024-04-01"))
    # created in March: w1..w5 = 5; now won: w1, w2 = 2 => 2 / 5 = 0.4
    assert row["win_rate"] == pytest.approx(0.4)
    assert row["win_rate_numerator"] == 2
    assert row["win_rate_denominator"] == 5


def test_close_rate_by_month(ws):
    ws.load({"reps": reps("r1"), "opportunities": [
        lost("f1", "2024-02-29 23:59:59"),  # Feb
        won("m1", "2024-03-01 00:00:00"),  # Mar
        won("m2", "2024-03-10 10:00:00"),
        won("m3", "2024-03-31 23:59:59"),
        lost("m4", "2024-03-15 10:00:00"),
        opp("m5", created_at="2024-03-05 10:00:00"),  # open: never in close_rate
        won("a1", "2024-04-01 00:00:00"),  # April
        lost("x1", "2024-01-31 10:00:00"),  # Jan: out
    ]})
    df = ws.kpi(["close_rate"], grain="month", start="2024-02-01", end="2024-05-01")
    # Feb: 0 won / 1 closed => 0.0 (a real zero, the denominator is 1)
    assert only(df, period="2024-02-01")["close_rate"] == pytest.approx(0.0)
    # Mar: 3 won (m1..m3) / 4 closed (+ m4) => 0.75
    mar = only(df, period="2024-03-01")
    assert mar["close_rate"] == pytest.approx(0.75)
    assert (mar["close_rate_numerator"], mar["close_rate_denominator"]) == (3, 4)
    # Apr: a1 => 1 / 1 = 1.0
    assert only(df, period="2024-04-01")["close_rate"] == pytest.approx(1.0)


STAGES = [
    {"pipeline": "default", "stage": "discovery", "position": 1},
    {"pipeline": "default", "stage": "qualification", "position": 2},
    {"pipeline": "default", "stage": "proposal", "position": 3},
    {"pipeline": "default", "stage": "negotiation", "position": 4},
]


def _stage_data():
    return {
        "reps": reps("r1"),
        "stages": STAGES,
        "opportunities": [
            # reached 1, 2, 3, 4 (stands at the last stage)
            opp("o1", created_at="2024-03-01 10:00:00", stage="negotiation"),
            # reached 1, 2 (lost at qualification)
            lost("o2", "2024-03-20 10:00:00", created_at="2024-03-02 10:00:00", stage="qualification"),
            # reached 1
            opp("o3", created_at="2024-03-03 10:00:00", stage="discovery"),
            # stands at 2, but went through 3 (stage_changes) before moving back: reached 1, 2, 3
            opp("o4", created_at="2024-03-04 10:00:00", stage="qualification"),
            # created in Feb: not in the cohort
            opp("o5", created_at="2024-02-10 10:00:00", stage="negotiation"),
        ],
        "stage_changes": [
            {"opportunity_id": "o4", "stage": "discovery", "entered_at": "2024-03-04 10:00:00"},
            {"opportunity_id": "o4", "stage": "qualification", "entered_at": "2024-03-05 10:00:00"},
            {"opportunity_id": "o4", "stage": "proposal", "entered_at": "2024-03-10 10:00:00"},
            {"opportunity_id": "o4", "stage": "qualification", "entered_at": "2024-03-15 10:00:00"},
        ],
    }


def test_stage_conversion_by_stage_and_pooled(ws):
    ws.load(_stage_data())
    by_stage = ws.kpi(["stage_conversion"], by=["stage"], start="2024-03-01", end="2024-04-01")
    # discovery -> qualification: trials o1, o2, o3, o4 = 4, successes o1, o2, o4 = 3 => 0.75
    disc = only(by_stage, stage="discovery")
    assert disc["stage_conversion"] == pytest.approx(0.75)
    assert (disc["stage_conversion_numerator"], disc["stage_conversion_denominator"]) == (3, 4)
    # qualification -> proposal: trials o1, o2, o4 = 3, successes o1, o4 = 2 => 2/3
    assert only(by_stage, stage="qualification")["stage_conversion"] == pytest.approx(2 / 3)
    # proposal -> negotiation: trials o1, o4 = 2, success o1 = 1 => 0.5
    assert only(by_stage, stage="proposal")["stage_conversion"] == pytest.approx(0.5)

    pooled = one(ws.kpi(["stage_conversion"], start="2024-03-01", end="2024-04-01"))
    # all steps: (3 + 2 + 1) / (4 + 3 + 2) = 6 / 9
    assert pooled["stage_conversion"] == pytest.approx(6 / 9)
    assert pooled["stage_conversion_numerator"] == 6
    assert pooled["stage_conversion_denominator"] == 9


def test_stage_conversion_needs_stages(ws):
    data = _stage_data()
    del data["stages"], data["stage_changes"]
    ws.load(data)
    row = one(ws.kpi(["stage_conversion"], start="2024-03-01", end="2024-04-01"))
    # no `stages` table => not available
    assert pd.isna(row["stage_conversion"])


def test_proposal_conversion_rate(ws):
    ws.load({"reps": reps("r1"), "opportunities": [
        won("p1", "2024-05-10 10:00:00", proposal_sent_at="2024-03-05 10:00:00"),  # now won
        lost("p2", "2024-03-20 10:00:00", proposal_sent_at="2024-03-06 10:00:00"),
        opp("p3", proposal_sent_at="2024-03-07 10:00:00"),  # still open
        won("p4", "2024-04-02 10:00:00", proposal_sent_at="2024-03-31 23:00:00"),  # now won
        won("p5", "2024-03-10 10:00:00", proposal_sent_at="2024-02-20 10:00:00"),  # sent in Feb
        won("p6", "2024-03-11 10:00:00"),  # no proposal
        won("p7", "2024-04-05 10:00:00", proposal_sent_at="2024-04-01 00:00:00"),  # sent on the end
    ]})
    row = one(ws.kpi(["proposal_conversion_rate"], start="2024-03-01", end="2024-04-01"))
    # sent in March: p1..p4 = 4; now won: p1, p4 = 2 => 0.5
    assert row["proposal_conversion_rate"] == pytest.approx(0.5)
    assert row["proposal_conversion_rate_numerator"] == 2
    assert row["proposal_conversion_rate_denominator"] == 4


def test_sales_cycle_days_in_calendar_days_from_the_lead(ws):
    ws.load({
        "reps": reps("r1"),
        "leads": [lead("l1", "2024-01-01 10:00:00")],
        "opportunities": [
            # from the lead's date: Jan 1 -> Mar 1 = 31 + 29 = 60 days (not 29 from the opportunity)
            won("o1", "2024-03-01 09:00:00", created_at="2024-02-01 10:00:00", lead_id="l1"),
            # no lead: Mar 1 23:00 -> Mar 11 01:00 = 10 calendar days (9.08 elapsed)
            won("o2", "2024-03-11 01:00:00", created_at="2024-03-01 23:00:00"),
            # no lead: Feb 10 -> Mar 19 = 19 (to Feb 29) + 19 = 38 days
            won("o3", "2024-03-19 17:00:00", created_at="2024-02-10 08:00:00"),
            lost("o4", "2024-03-06 10:00:00", created_at="2024-03-01 10:00:00"),  # lost
            won("o5", "2024-04-01 00:00:00", created_at="2024-01-01 10:00:00"),  # April
        ],
    })
    df = ws.kpi(["sales_cycle_days"], grain="month", start="2024-02-01", end="2024-04-01")
    mar = only(df, period="2024-03-01")
    # mean (60 + 10 + 38) / 3 = 36; median 38
    assert mar["sales_cycle_days"] == pytest.approx(36.0)
    assert mar["sales_cycle_days_median"] == pytest.approx(38.0)
    # Feb: no deal won => no cycle to average
    assert pd.isna(only(df, period="2024-02-01")["sales_cycle_days"])


def _open_pipeline_data():
    return {"reps": reps("r1"), "opportunities": [
        opp("o1", amount=100, created_at="2023-12-15 10:00:00"),  # open all along
        won("o2", "2024-02-10 10:00:00", 200, created_at="2024-01-20 10:00:00"),
        lost("o3", "2024-03-01 00:00:00", 400, created_at="2024-02-05 10:00:00"),
        opp("o4", amount=800, created_at="2024-03-31 12:00:00"),
        opp("o5", amount=1600, created_at="2024-04-01 00:00:00"),  # created at the last end
        won("o6", "2024-04-15 10:00:00", 3200, created_at="2024-02-15 10:00:00"),
    ]}


def test_open_pipeline_at_the_end_of_each_month(ws):
    ws.load(_open_pipeline_data())
    df = ws.kpi(["open_pipeline"], grain="month", start="2024-01-01", end="2024-04-01")
    # end of Jan (Feb 1): o1 100 + o2 200 (closed Feb 10) = 300
    assert only(df, period="2024-01-01")["open_pipeline"] == pytest.approx(300)
    # end of Feb (Mar 1): o1 100 + o3 400 (closed_at = Mar 1 >= E) + o6 3200 = 3700
    assert only(df, period="2024-02-01")["open_pipeline"] == pytest.approx(3700)
    # end of Mar (Apr 1): o1 100 + o4 800 + o6 3200 (closed Apr 15) = 4100; o5 created at E: out
    assert only(df, period="2024-03-01")["open_pipeline"] == pytest.approx(4100)

    total = one(ws.kpi(["open_pipeline"], start="2024-01-01", end="2024-04-01"))
    # without a grain: at the range end (Apr 1) => 4100
    assert total["open_pipeline"] == pytest.approx(4100)


def test_weighted_pipeline_learns_stage_probabilities(ws):
    stages = [
        {"pipeline": "default", "stage": "discovery", "position": 1, "default_probability": 0.1},
        {"pipeline": "default", "stage": "proposal", "position": 2, "default_probability": 0.3},
        {"pipeline": "default", "stage": "negotiation", "position": 3, "default_probability": None},
        {"pipeline": "default", "stage": "legal", "position": 4, "default_probability": 0.8},
        {"pipeline": "default", "stage": "contract", "position": 5, "default_probability": None},
    ]
    history = [  # closed in 2023
        won("h1", "2023-06-01 10:00:00", stage="negotiation", created_at="2023-01-05 10:00:00"),
        lost("h2", "2023-06-02 10:00:00", stage="proposal", created_at="2023-01-05 10:00:00"),
        lost("h3", "2023-06-03 10:00:00", stage="discovery", created_at="2023-01-05 10:00:00"),
        won("h4", "2023-06-04 10:00:00", stage="proposal", created_at="2023-01-05 10:00:00"),
    ]
    open_ = [
        opp("w1", amount=1000, stage="discovery", created_at="2024-03-01 10:00:00"),
        opp("w2", amount=300, stage="proposal", created_at="2024-03-02 10:00:00"),
        opp("w3", amount=50, stage="negotiation", created_at="2024-03-03 10:00:00"),
        opp("w4", amount=100, stage="legal", created_at="2024-03-04 10:00:00"),
        opp("w5", amount=999, stage="contract", created_at="2024-03-05 10:00:00"),
        opp("w6", amount=10000, stage="discovery", created_at="2024-04-01 00:00:00"),  # after E
    ]
    ws.load({"reps": reps("r1"), "stages": stages, "opportunities": history + open_})
    df = ws.kpi(["weighted_pipeline"], start="2024-03-01", end="2024-04-01")
    # learned probabilities (closed ones that reached the stage, share won):
    #   discovery: h1, h2, h3, h4 reached it, h1 + h4 won => 2/4 = 0.5 (default 0.1 unused)
    #   proposal: h1, h2, h4 => 2/3; negotiation: h1 => 1/1 = 1.0
    #   legal: no closed one => default 0.8; contract: none and no default => left out + warning
    # => 1000 × 0.5 + 300 × 2/3 + 50 × 1.0 + 100 × 0.8 = 500 + 200 + 50 + 80 = 830
    assert one(df)["weighted_pipeline"] == pytest.approx(830)
    assert len(df.attrs["warnings"]) >= 1


def test_open_pipeline_end_is_capped_at_the_range_end(ws):
    ws.load({"reps": reps("r1"), "opportunities": [
        opp("o1", amount=100, created_at="2024-03-01 10:00:00"),  # open
        opp("o2", amount=200, created_at="2024-03-20 10:00:00"),  # created after Mar 15
        lost("o3", "2024-03-10 10:00:00", 400, created_at="2024-03-02 10:00:00"),  # closed before
        won("o4", "2024-03-20 10:00:00", 800, created_at="2024-03-03 10:00:00"),  # closed after
    ]})
    df = ws.kpi(["open_pipeline"], grain="month", start="2024-03-01", end="2024-03-15")
    # the only period is March, cut at the range end: E = Mar 15 => o1 100 + o4 800 = 900
    assert one(df)["open_pipeline"] == pytest.approx(900)


def test_opportunity_source_defaults_to_its_leads(ws):
    ws.load({
        "reps": reps("r1"),
        "leads": [lead("l1", "2024-03-01 10:00:00", "linkedin"),
                  lead("l2", "2024-03-01 10:00:00", "event")],
        "opportunities": [
            opp("o1", created_at="2024-03-05 10:00:00", lead_id="l1"),  # no source: linkedin (l1)
            opp("o2", created_at="2024-03-06 10:00:00", lead_id="l2", source="partner"),  # its own
            opp("o3", created_at="2024-03-07 10:00:00", source="linkedin"),
        ],
    })
    df = ws.kpi(["opportunities_created"], by=["source"], start="2024-03-01", end="2024-04-01")
    # linkedin: o1 (from its lead) + o3 = 2; partner: o2 = 1 (its own source wins over the lead's)
    assert only(df, source="linkedin")["opportunities_created"] == 2
    assert only(df, source="partner")["opportunities_created"] == 1
    assert "event" not in set(df["source"])


def test_weighted_pipeline_history_counts_stages_reached_through_stage_changes(ws):
    ws.load({
        "reps": reps("r1"),
        "stages": [
            {"pipeline": "default", "stage": "a", "position": 1, "default_probability": 0.9},
            {"pipeline": "default", "stage": "b", "position": 2, "default_probability": 0.9},
            {"pipeline": "default", "stage": "c", "position": 3, "default_probability": 0.9},
        ],
        "opportunities": [
            # h1 was lost while standing at `a`, but had gone through `b` (stage_changes)
            lost("h1", "2023-06-01 10:00:00", stage="a", created_at="2023-01-05 10:00:00"),
            # h2 was won at `c`: reached a, b, c
            won("h2", "2023-06-02 10:00:00", stage="c", created_at="2023-01-05 10:00:00"),
            opp("w1", amount=100, stage="b", created_at="2024-03-01 10:00:00"),
        ],
        "stage_changes": [
            {"opportunity_id": "h1", "stage": "a", "entered_at": "2023-01-05 10:00:00"},
            {"opportunity_id": "h1", "stage": "b", "entered_at": "2023-02-05 10:00:00"},
            {"opportunity_id": "h1", "stage": "a", "entered_at": "2023-03-05 10:00:00"},
        ],
    })
    row = one(ws.kpi(["weighted_pipeline"], start="2024-03-01", end="2024-04-01"))
    # stage b: closed ones that reached it = h1 (lost, via stage_changes) and h2 (won) => 1/2
    # => w1: 100 × 0.5 = 50 (not 100 × 1.0 when h1's history is ignored)
    assert row["weighted_pipeline"] == pytest.approx(50)
