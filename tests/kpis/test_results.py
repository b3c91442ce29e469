"""Results KPIs: deals_won, revenue, gross_margin, gross_margin_rate, avg_deal_size,
revenue_growth, revenue_yoy."""

from __future__ import annotations

import pandas as pd
import pytest

from ._helpers import lost, one, only, opp, periods, reps, ts, won


def test_deals_won_and_revenue_by_month_and_rep(ws):
    ws.load({"reps": reps("r1", "r2"), "opportunities": [
        won("x1", "2024-01-31 23:59:59", 7777),  # Jan: out
        won("f1", "2024-02-01 00:00:00", 1000, owner="r1"),
        won("f2", "2024-02-15 10:00:00", 500, owner="r2"),
        lost("f3", "2024-02-16 10:00:00", 700),  # lost
        opp("f4", amount=800, created_at="2024-02-17 10:00:00"),  # open
        won("m1", "2024-03-10 10:00:00", 2000, owner="r1"),
        won("m2", "2024-03-31 23:59:59", 250, owner="r1"),
        won("x2", "2024-04-01 00:00:00", 9999),  # range end: out
    ]})
    df = ws.kpi(["deals_won", "revenue"], grain="month", start="2024-02-01", end="2024-04-01")
    assert periods(df) == ts("2024-02-01", "2024-03-01")
    feb, mar = only(df, period="2024-02-01"), only(df, period="2024-03-01")
    # Feb: f1 + f2 => 2 deals, 1500; Mar: m1 + m2 => 2 deals, 2250
    assert feb["deals_won"] == 2
    assert feb["revenue"] == pytest.approx(1500)
    assert mar["deals_won"] == 2
    assert mar["revenue"] == pytest.approx(2250)

    by_rep = ws.kpi(["deals_won", "revenue"], by=["rep"], start="2024-02-01", end="2024-04-01")
    # r1: f1, m1, m2 => 3 deals, 3250; r2: f2 => 1 deal, 500
    assert only(by_rep, rep="r1")["deals_won"] == 3
    assert only(by_rep, rep="r1")["revenue"] == pytest.approx(3250)
    assert only(by_rep, rep="r2")["deals_won"] == 1
    assert only(by_rep, rep="r2")["revenue"] == pytest.approx(500)


def _margin_data():
    return {"reps": reps("r1"), "opportunities": [
        won("f1", "2024-02-10 10:00:00", 700),  # Feb, no cost
        won("o1", "2024-03-05 10:00:00", 1000, cost=600),  # margin 400
        won("o2", "2024-03-06 10:00:00", 500, cost=100),  # margin 400
        won("o3", "2024-03-07 10:00:00", 2000),  # no cost: revenue only
        lost("o4", "2024-03-08 10:00:00", 3000, cost=100),  # lost
        won("o5", "2024-04-01 00:00:00", 900, cost=0),  # range end
    ]}


def test_gross_margin_and_rate(ws):
    ws.load(_margin_data())
    df = ws.kpi(["gross_margin", "gross_margin_rate", "revenue"], grain="month",
                start="2024-02-01", end="2024-04-01")
    mar = only(df, period="2024-03-01")
    # won in March with a cost: o1 (1000 - 600) + o2 (500 - 100) = 800
    assert mar["gross_margin"] == pytest.approx(800)
    # rate over the same deals: 800 / (1000 + 500) = 0.5333 (o3 has no cost: not in the base)
    assert mar["gross_margin_rate"] == pytest.approx(800 / 1500)
    assert mar["gross_margin_rate_numerator"] == pytest.approx(800)
    assert mar["gross_margin_rate_denominator"] == pytest.approx(1500)
    # revenue counts every won deal: 1000 + 500 + 2000 = 3500
    assert mar["revenue"] == pytest.approx(3500)
    feb = only(df, period="2024-02-01")
    # Feb: one won deal without a cost => margin sum over nothing = 0, rate 0 / 0 = null
    assert feb["gross_margin"] == pytest.approx(0)
    assert pd.isna(feb["gross_margin_rate"])


def test_avg_deal_size(ws):
    ws.load(_margin_data())
    df = ws.kpi(["avg_deal_size"], grain="month", start="2024-03-01", end="2024-06-01")
    mar = only(df, period="2024-03-01")
    # March: (1000 + 500 + 2000) / 3 deals = 1166.67
    assert mar["avg_deal_size"] == pytest.approx(3500 / 3)
    assert mar["avg_deal_size_numerator"] == pytest.approx(3500)
    assert mar["avg_deal_size_denominator"] == 3
    # April: o5 900 / 1 = 900; May: no deal => null, not 0
    assert only(df, period="2024-04-01")["avg_deal_size"] == pytest.approx(900)
    assert pd.isna(only(df, period="2024-05-01")["avg_deal_size"])


def _growth_data():
    return {"reps": reps("r1"), "opportunities": [
        won("d1", "2023-12-10 10:00:00", 1000),
        won("j1", "2024-01-10 10:00:00", 1000),
        won("f1", "2024-02-05 10:00:00", 1500),
        won("m1", "2024-03-20 10:00:00", 750),
        lost("m2", "2024-03-21 10:00:00", 5000),
        won("y1", "2024-05-15 10:00:00", 400),
    ]}


def test_revenue_growth_by_month(ws):
    ws.load(_growth_data())
    df = ws.kpi(["revenue_growth"], grain="month", start="2024-02-01", end="2024-06-01")
    feb = only(df, period="2024-02-01")
    # Feb vs Jan (before the range, still read): (1500 - 1000) / 1000 = 0.5
    assert feb["revenue_growth"] == pytest.approx(0.5)
    assert feb["revenue_growth_numerator"] == pytest.approx(500)
    assert feb["revenue_growth_denominator"] == pytest.approx(1000)
    # Mar vs Feb: (750 - 1500) / 1500 = -0.5
    assert only(df, period="2024-03-01")["revenue_growth"] == pytest.approx(-0.5)
    # Apr vs Mar: (0 - 750) / 750 = -1.0
    assert only(df, period="2024-04-01")["revenue_growth"] == pytest.approx(-1.0)
    # May vs Apr: Apr revenue is 0 => null
    assert pd.isna(only(df, period="2024-05-01")["revenue_growth"])


def test_revenue_growth_without_grain_compares_with_the_previous_range(ws):
    ws.load(_growth_data())
    row = one(ws.kpi(["revenue_growth"], start="2024-02-01", end="2024-04-01"))
    # Feb-Mar = 1500 + 750 = 2250 vs the 2 months before (Dec-Jan) = 1000 + 1000 = 2000
    # => (2250 - 2000) / 2000 = 0.125
    assert row["revenue_growth"] == pytest.approx(0.125)


def test_revenue_growth_on_a_range_of_days(ws):
    ws.load({"reps": reps("r1"), "opportunities": [
        won("a", "2024-02-28 10:00:00", 1000),  # before both ranges
        won("b", "2024-02-29 12:00:00", 100),  # previous range [Feb 29, Mar 10)
        won("c", "2024-03-05 10:00:00", 100),  # previous range
        won("d", "2024-03-15 10:00:00", 300),  # the range [Mar 10, Mar 20)
        won("e", "2024-03-20 00:00:00", 750),  # range end: out
    ]})
    row = one(ws.kpi(["revenue_growth"], start="2024-03-10", end="2024-03-20"))
    # 10-day range => previous = the 10 days before [2024-02-29, 2024-03-10): 100 + 100 = 200
    # => (300 - 200) / 200 = 0.5
    assert row["revenue_growth"] == pytest.approx(0.5)


def test_revenue_yoy_by_quarter(ws):
    ws.load({"reps": reps("r1"), "opportunities": [
        won("a", "2023-02-10 10:00:00", 1000),  # Q1 2023
        won("b", "2023-03-31 23:00:00", 1000),  # Q1 2023
        won("c", "2023-04-01 00:00:00", 5000),  # Q2 2023
        won("d", "2024-01-15 10:00:00", 3000),  # Q1 2024
        won("e", "2023-12-20 10:00:00", 8000),  # Q4 2023: neither
    ]})
    df = ws.kpi(["revenue_yoy"], grain="quarter", start="2024-01-01", end="2024-07-01")
    # Q1 2024 vs Q1 2023: (3000 - 2000) / 2000 = 0.5
    assert only(df, period="2024-01-01")["revenue_yoy"] == pytest.approx(0.5)
    # Q2 2024 vs Q2 2023: (0 - 5000) / 5000 = -1.0
    assert only(df, period="2024-04-01")["revenue_yoy"] == pytest.approx(-1.0)


def test_revenue_cut_by_account_product_and_deal_dimensions(ws):
    ws.load({
        "reps": reps("r1"),
        "accounts": [
            {"account_id": "a1", "name": "A1", "segment": "smb", "region": "north", "industry": "retail"},
            {"account_id": "a2", "name": "A2", "segment": "enterprise", "region": "south", "industry": "bank"},
        ],
        "products": [{"product_id": "p1", "name": "P1"}, {"product_id": "p2", "name": "P2"}],
        "opportunities": [
            won("o1", "2024-03-05 10:00:00", 1000, account_id="a1", product_id="p1"),
            won("o2", "2024-03-06 10:00:00", 200, account_id="a1", product_id="p2", kind="upsell"),
            won("o3", "2024-03-07 10:00:00", 30, account_id="a2", product_id="p1", pipeline="partners"),
            won("o4", "2024-04-07 10:00:00", 4, account_id="a2", product_id="p2"),  # April: out
        ],
    })
    rng = {"start": "2024-03-01", "end": "2024-04-01"}
    by_region = ws.kpi(["revenue"], by=["region"], **rng)
    # north (a1): o1 + o2 = 1200; south (a2): o3 = 30
    assert only(by_region, region="north")["revenue"] == pytest.approx(1200)
    assert only(by_region, region="south")["revenue"] == pytest.approx(30)
    by_industry = ws.kpi(["revenue"], by=["industry"], **rng)
    assert only(by_industry, industry="retail")["revenue"] == pytest.approx(1200)
    assert only(by_industry, industry="bank")["revenue"] == pytest.approx(30)
    by_product = ws.kpi(["revenue"], by=["product"], **rng)
    # p1: o1 + o3 = 1030; p2: o2 = 200
    assert only(by_product, product="p1")["revenue"] == pytest.approx(1030)
    assert only(by_product, product="p2")["revenue"] == pytest.approx(200)
    by_pipeline = ws.kpi(["revenue"], by=["pipeline"], **rng)
    # default: o1 + o2 = 1200; partners: o3 = 30
    assert only(by_pipeline, pipeline="default")["revenue"] == pytest.approx(1200)
    assert only(by_pipeline, pipeline="partners")["revenue"] == pytest.approx(30)
    upsell = ws.kpi(["revenue"], filters={"kind": ["upsell"]}, **rng)
    # o2 = 200
    assert one(upsell)["revenue"] == pytest.approx(200)
    smb = ws.kpi(["revenue"], filters={"segment": ["smb"]}, **rng)
    # a1: 1200
    assert one(smb)["revenue"] == pytest.approx(1200)
