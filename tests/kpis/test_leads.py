"""Leads and acquisition KPIs: leads, lead_source_share, qualification_rate,
lead_conversion_rate, cost_per_lead, cac, campaign_roi."""

from __future__ import annotations

import pandas as pd
import pytest

from ._helpers import account, campaign, lead, lost, one, only, opp, periods, rep, ts, won


def test_leads_by_month_and_source(ws):
    ws.load({"leads": [
        lead("l0", "2024-01-31 23:59:59", "linkedin"),  # Jan: out
        lead("l1", "2024-02-01 00:00:00", "linkedin"),  # Feb
        lead("l2", "2024-02-10 10:00:00", "event"),  # Feb
        lead("l3", "2024-02-11 10:00:00", "linkedin"),  # Feb
        lead("l4", "2024-03-05 10:00:00", "website"),  # Mar
        lead("l5", "2024-04-01 00:00:00", "linkedin"),  # range end: out
    ]})
    df = ws.kpi(["leads"], grain="month", start="2024-02-01", end="2024-04-01")
    assert periods(df) == ts("2024-02-01", "2024-03-01")
    # Feb: l1, l2, l3 => 3; Mar: l4 => 1
    assert only(df, period="2024-02-01")["leads"] == 3
    assert only(df, period="2024-03-01")["leads"] == 1

    by_source = ws.kpi(["leads"], by=["source"], start="2024-02-01", end="2024-04-01")
    # linkedin l1, l3 => 2; event l2 => 1; website l4 => 1
    assert only(by_source, source="linkedin")["leads"] == 2
    assert only(by_source, source="event")["leads"] == 1
    assert only(by_source, source="website")["leads"] == 1

    filtered = ws.kpi(["leads"], start="2024-02-01", end="2024-04-01",
                      filters={"source": ["linkedin", "event"]})
    # l1, l2, l3 => 3
    assert one(filtered)["leads"] == 3


def _share_data():
    rows = []
    # March: r1 linkedin 3, event 1; r2 linkedin 2, event 2, website 2 => 10 leads
    for i, (owner, source) in enumerate(
        [("r1", "linkedin")] * 3 + [("r1", "event")] + [("r2", "linkedin")] * 2
        + [("r2", "event")] * 2 + [("r2", "website")] * 2
    ):
        rows.append(lead(f"m{i}", f"2024-03-{i + 1:02d} 10:00:00", source, owner_rep_id=owner))
    # outside March: 4 linkedin leads in Feb, 3 website leads on/after the range end
    rows += [lead(f"f{i}", f"2024-02-{i + 1:02d} 10:00:00", "linkedin", owner_rep_id="r1") for i in range(4)]
    rows += [lead(f"a{i}", f"2024-04-{i + 1:02d} 00:00:00", "website", owner_rep_id="r1") for i in range(3)]
    return {"reps": [rep("r1"), rep("r2")], "leads": rows}


def test_lead_source_share_by_source(ws):
    ws.load(_share_data())
    df = ws.kpi(["lead_source_share"], by=["source"], start="2024-03-01", end="2024-04-01")
    # March: 10 leads: linkedin 5 => 0.5, event 3 => 0.3, website 2 => 0.2
    assert only(df, source="linkedin")["lead_source_share"] == pytest.approx(0.5)
    assert only(df, source="linkedin")["lead_source_share_numerator"] == 5
    assert only(df, source="linkedin")["lead_source_share_denominator"] == 10
    assert only(df, source="event")["lead_source_share"] == pytest.approx(0.3)
    assert only(df, source="website")["lead_source_share"] == pytest.approx(0.2)


def test_lead_source_share_sets_the_source_filter_aside_in_the_denominator(ws):
    ws.load(_share_data())
    total = ws.kpi(["lead_source_share"], start="2024-03-01", end="2024-04-01")
    # no source cut nor filter => 10 / 10 = 1
    assert one(total)["lead_source_share"] == pytest.approx(1.0)

    linkedin = ws.kpi(["lead_source_share"], start="2024-03-01", end="2024-04-01",
                      filters={"source": ["linkedin"]})
    # 5 linkedin leads / all 10 March leads (filter set aside) => 0.5
    assert one(linkedin)["lead_source_share"] == pytest.approx(0.5)

    two = ws.kpi(["lead_source_share"], by=["source"], start="2024-03-01", end="2024-04-01",
                 filters={"source": ["linkedin", "event"]})
    # still over all 10: linkedin 5/10 = 0.5, event 3/10 = 0.3; website filtered out
    assert only(two, source="linkedin")["lead_source_share"] == pytest.approx(0.5)
    assert only(two, source="event")["lead_source_share"] == pytest.approx(0.3)
    assert "website" not in set(two["source"])


def test_lead_source_share_within_each_rep(ws):
    ws.load(_share_data())
    df = ws.kpi(["lead_source_share"], by=["rep", "source"], start="2024-03-01", end="2024-04-01")
    # r1 has 4 March leads, 3 linkedin => 0.75; r2 has 6, 2 website => 1/3
    assert only(df, rep="r1", source="linkedin")["lead_source_share"] == pytest.approx(0.75)
    assert only(df, rep="r2", source="website")["lead_source_share"] == pytest.approx(2 / 6)
    by_rep = ws.kpi(["lead_source_share"], by=["rep"], start="2024-03-01", end="2024-04-01")
    # no source cut => each rep's leads over themselves => 1
    assert only(by_rep, rep="r1")["lead_source_share"] == pytest.approx(1.0)
    assert only(by_rep, rep="r2")["lead_source_share"] == pytest.approx(1.0)


def test_qualification_rate(ws):
    ws.load({"leads": [
        lead("l1", "2024-03-01 00:00:00", qualified_at="2024-03-02 10:00:00"),
        lead("l2", "2024-03-05 10:00:00", qualified_at="2024-03-20 10:00:00"),
        lead("l3", "2024-03-31 10:00:00", qualified_at="2024-05-15 10:00:00"),  # qualified later: counts
        lead("l4", "2024-03-06 10:00:00"),
        lead("l5", "2024-03-07 10:00:00", disqualified_at="2024-03-08 10:00:00"),
        lead("l6", "2024-03-08 10:00:00"),
        lead("l7", "2024-03-09 10:00:00"),
        lead("l8", "2024-03-10 10:00:00"),
        lead("x1", "2024-02-28 10:00:00", qualified_at="2024-03-03 10:00:00"),  # created in Feb
        lead("x2", "2024-04-01 00:00:00", qualified_at="2024-04-01 10:00:00"),  # created on the end
    ]})
    row = one(ws.kpi(["qualification_rate"], start="2024-03-01", end="2024-04-01"))
    # created in March: l1..l8 = 8; with qualified_at: l1, l2, l3 = 3 => 3 / 8 = 0.375
    assert row["qualification_rate"] == pytest.approx(0.375)
    assert row["qualification_rate_numerator"] == 3
    assert row["qualification_rate_denominator"] == 8
    assert bool(row["qualification_rate_small_sample"]) is True


def test_lead_conversion_rate_seed_example(ws):
    # the seed's example: 200 leads in March of which 50 converted (every 4th one)
    rows = [
        lead(f"l{i}", f"2024-03-{i % 31 + 1:02d} 10:00:00",
             converted_at="2024-04-15 10:00:00" if i % 4 == 0 else None)
        for i in range(200)
    ]
    # outside March: 10 converted Feb leads and 10 converted leads on the range end
    rows += [lead(f"f{i}", "2024-02-15 10:00:00", converted_at="2024-02-20 10:00:00") for i in range(10)]
    rows += [lead(f"a{i}", "2024-04-01 00:00:00", converted_at="2024-04-02 10:00:00") for i in range(10)]
    ws.load({"leads": rows})
    row = one(ws.kpi(["lead_conversion_rate"], start="2024-03-01", end="2024-04-01"))
    # 50 / 200 => 0.25
    assert row["lead_conversion_rate"] == pytest.approx(0.25)
    assert row["lead_conversion_rate_numerator"] == 50
    assert row["lead_conversion_rate_denominator"] == 200
    assert bool(row["lead_conversion_rate_small_sample"]) is False


def test_lead_conversion_rate_with_source_filter_and_cut(ws):
    rows = []
    # March: linkedin 10 leads, 4 converted; event 20, 5 converted; website 30, all converted
    for source, n, k in (("linkedin", 10, 4), ("event", 20, 5), ("website", 30, 30)):
        rows += [lead(f"{source}{i}", "2024-03-10 10:00:00", source,
                      converted_at="2024-03-20 10:00:00" if i < k else None) for i in range(n)]
    ws.load({"leads": rows})
    total = ws.kpi(["lead_conversion_rate", "leads"], start="2024-03-01", end="2024-04-01",
                   filters={"source": ["linkedin", "event"]})
    # (4 + 5) / (10 + 20) = 9 / 30 = 0.3 (not the mean of 0.4 and 0.25)
    assert one(total)["lead_conversion_rate"] == pytest.approx(0.3)
    assert one(total)["leads"] == 30
    cut = ws.kpi(["lead_conversion_rate"], by=["source"], start="2024-03-01", end="2024-04-01",
                 filters={"source": ["linkedin", "event"]})
    # linkedin 4/10 = 0.4, event 5/20 = 0.25, website filtered out
    assert only(cut, source="linkedin")["lead_conversion_rate"] == pytest.approx(0.4)
    assert only(cut, source="event")["lead_conversion_rate"] == pytest.approx(0.25)
    assert set(cut["source"]) == {"linkedin", "event"}


def _campaign_data():
    return {
        "campaigns": [
            campaign("c1", "2024-03-05", 1000, "linkedin"),
            campaign("c2", "2024-03-20", 500, "event"),
            campaign("c3", "2024-02-10", 9000, "linkedin"),
            campaign("c4", "2024-04-01", 700, "event"),
        ],
        "leads": [
            lead("l1", "2024-02-25 10:00:00", "linkedin", campaign_id="c1"),  # before its start: counts
            lead("l2", "2024-03-06 10:00:00", "linkedin", campaign_id="c1"),
            lead("l3", "2024-03-07 10:00:00", "linkedin", campaign_id="c1"),
            lead("l4", "2024-05-02 10:00:00", "paid_web", campaign_id="c1"),  # after the range: counts
            lead("l5", "2024-03-21 10:00:00", "event", campaign_id="c2"),
            lead("l6", "2024-03-11 10:00:00", "linkedin", campaign_id="c3"),
            lead("l7", "2024-03-12 10:00:00", "linkedin", campaign_id="c3"),
            lead("l8", "2024-03-13 10:00:00", "linkedin", campaign_id="c3"),
            lead("l9", "2024-04-02 10:00:00", "event", campaign_id="c4"),
            lead("l10", "2024-03-14 10:00:00", "linkedin"),  # no campaign
        ],
    }


def test_cost_per_lead_follows_the_campaigns_started_in_the_period(ws):
    ws.load(_campaign_data())
    row = one(ws.kpi(["cost_per_lead"], start="2024-03-01", end="2024-04-01"))
    # campaigns started in March: c1 (1000, leads l1..l4 = 4) and c2 (500, l5 = 1)
    # => (1000 + 500) / (4 + 1) = 1500 / 5 = 300
    assert row["cost_per_lead"] == pytest.approx(300)
    assert row["cost_per_lead_numerator"] == pytest.approx(1500)
    assert row["cost_per_lead_denominator"] == 5

    by_campaign = ws.kpi(["cost_per_lead"], by=["campaign"], start="2024-03-01", end="2024-04-01")
    # c1 1000 / 4 = 250; c2 500 / 1 = 500
    assert only(by_campaign, campaign="c1")["cost_per_lead"] == pytest.approx(250)
    assert only(by_campaign, campaign="c2")["cost_per_lead"] == pytest.approx(500)

    by_source = ws.kpi(["cost_per_lead"], by=["source"], start="2024-03-01", end="2024-04-01")
    # source = the campaign's channel: linkedin = c1 (l4 is paid_web but belongs to c1) => 250;
    # event = c2 => 500
    assert only(by_source, source="linkedin")["cost_per_lead"] == pytest.approx(250)
    assert only(by_source, source="event")["cost_per_lead"] == pytest.approx(500)


def test_cost_per_lead_by_month(ws):
    ws.load(_campaign_data())
    df = ws.kpi(["cost_per_lead"], grain="month", start="2024-02-01", end="2024-06-01")
    # Feb: c3 9000 / 3 leads (l6..l8) = 3000; Mar: 300 (above); Apr: c4 700 / 1 (l9) = 700;
    # May: no campaign started => 0 / 0 => null
    assert only(df, period="2024-02-01")["cost_per_lead"] == pytest.approx(3000)
    assert only(df, period="2024-03-01")["cost_per_lead"] == pytest.approx(300)
    assert only(df, period="2024-04-01")["cost_per_lead"] == pytest.approx(700)
    assert pd.isna(only(df, period="2024-05-01")["cost_per_lead"])


def test_cac(ws):
    ws.load({
        "reps": [
            rep("r1", annual_compensation=36500, hired_on="2020-01-01"),
            rep("r2", annual_compensation=73000, hired_on="2024-03-17"),
            rep("r3", annual_compensation=50000, hired_on="2020-01-01", left_on="2024-02-10"),
            rep("r4", annual_compensation=80000, hired_on="2024-04-01"),
        ],
        "campaigns": [
            campaign("c1", "2024-03-10", 900),
            campaign("c2", "2024-02-20", 5000),  # started in Feb
            campaign("c3", "2024-04-01", 100),  # started on the range end
        ],
        "accounts": [account(a) for a in ("a1", "a2", "a3", "a4", "a5")],
        "opportunities": [
            won("o1", "2024-03-10 10:00:00", account_id="a1"),  # a1's first won deal: new
            won("o2", "2023-12-05 10:00:00", account_id="a2"),  # a2 was already a customer
            won("o3", "2024-03-20 10:00:00", account_id="a2"),
            won("o4", "2024-03-25 10:00:00", account_id="a3"),  # a3: new
            won("o7", "2024-03-28 10:00:00", account_id="a3"),  # a3 counted once
            lost("o5", "2024-03-15 10:00:00", account_id="a4"),  # lost: not a customer
            won("o6", "2024-04-01 00:00:00", account_id="a5"),  # range end: out
        ],
    })
    row = one(ws.kpi(["cac"], start="2024-03-01", end="2024-04-01"))
    # campaign cost started in March: c1 = 900
    # compensation for March (31 days): r1 36500 × 31 / 365 = 3100; r2 hired Mar 17 => 15 days
    # (17..31) => 73000 × 15 / 365 = 3000; r3 left in Feb and r4 hired in April => 0
    # new customers in March: a1, a3 = 2  => (900 + 3100 + 3000) / 2 = 7000 / 2 = 3500
    assert row["cac"] == pytest.approx(3500)
    assert row["cac_numerator"] == pytest.approx(7000)
    assert row["cac_denominator"] == 2


def _roi_data(extra_opps=()):
    return {
        "reps": [rep("r1")],
        "campaigns": [
            campaign("c1", "2024-03-05", 1000, "linkedin"),
            campaign("c2", "2024-03-15", 500, "event"),
            campaign("c3", "2024-02-01", 2000, "linkedin"),  # started in Feb
        ],
        "leads": [
            lead("l1", "2024-03-06 10:00:00", "linkedin", campaign_id="c1"),
            lead("l2", "2024-03-07 10:00:00", "linkedin", campaign_id="c1"),
            lead("l3", "2024-03-16 10:00:00", "event", campaign_id="c2"),
            lead("l4", "2024-02-02 10:00:00", "linkedin", campaign_id="c3"),
            lead("l5", "2024-03-08 10:00:00", "website"),
        ],
        "opportunities": [
            won("o1", "2024-03-20 10:00:00", 3000, lead_id="l1"),
            lost("o2", "2024-03-21 10:00:00", 5000, lead_id="l2"),  # lost: no revenue
            opp("o3", amount=7000, created_at="2024-03-22 10:00:00", lead_id="l1"),  # open
            won("o4", "2024-03-23 10:00:00", 10000, lead_id="l4"),  # c3 started in Feb
            won("o5", "2024-03-24 10:00:00", 800, lead_id="l5"),  # no campaign
            *extra_opps,
        ],
    }


def test_campaign_roi(ws):
    ws.load(_roi_data())
    row = one(ws.kpi(["campaign_roi"], start="2024-03-01", end="2024-04-01"))
    # campaigns started in March: c1 (cost 1000, won revenue o1 = 3000), c2 (cost 500, nothing won)
    # => (3000 - 1500) / 1500 = 1.0
    assert row["campaign_roi"] == pytest.approx(1.0)
    assert row["campaign_roi_numerator"] == pytest.approx(1500)
    assert row["campaign_roi_denominator"] == pytest.approx(1500)

    by_campaign = ws.kpi(["campaign_roi"], by=["campaign"], start="2024-03-01", end="2024-04-01")
    # c1 (3000 - 1000) / 1000 = 2.0; c2 (0 - 500) / 500 = -1.0
    assert only(by_campaign, campaign="c1")["campaign_roi"] == pytest.approx(2.0)
    assert only(by_campaign, campaign="c2")["campaign_roi"] == pytest.approx(-1.0)

    by_source = ws.kpi(["campaign_roi"], by=["source"], start="2024-03-01", end="2024-04-01")
    # linkedin = c1 => 2.0; event = c2 => -1.0
    assert only(by_source, source="linkedin")["campaign_roi"] == pytest.approx(2.0)
    assert only(by_source, source="event")["campaign_roi"] == pytest.approx(-1.0)


def test_campaign_roi_counts_the_cohorts_wins_whenever_closed(ws):
    # o6 comes from c1's lead l2 and is won in June, after the range: the campaign cohort
    # (started in March) owns it all the same
    ws.load(_roi_data([won("o6", "2024-06-10 10:00:00", 2000, lead_id="l2")]))
    df = ws.kpi(["campaign_roi"], by=["campaign"], start="2024-03-01", end="2024-04-01")
    # c1: (3000 + 2000 - 1000) / 1000 = 4.0
    assert only(df, campaign="c1")["campaign_roi"] == pytest.approx(4.0)
