"""Customer KPIs: active_customers, new_customers, churn_rate, retention_rate, nps,
recommendation_rate, upsell_rate, avg_purchase_value, purchase_frequency,
customer_lifespan, clv."""

from __future__ import annotations

import pandas as pd
import pytest

from ._helpers import account, contract, lost, one, only, opp, order, reps, won


def accounts(*ids, **kw):
    return [account(a, **kw) for a in ids]


def test_active_customers_from_contracts(ws):
    ws.load({
        "accounts": accounts("a1", "a3", segment="smb") + accounts(
            "a2", "a4", "a5", "a6", "a7", "a8", segment="enterprise"),
        "contracts": [
            contract("k1", "a1", "2023-01-01"),
            contract("k2", "a2", "2023-06-01", "2024-02-15"),
            contract("k3", "a3", "2024-02-29"),
            contract("k4", "a4", "2024-03-01"),
            contract("k5a", "a5", "2023-01-01", "2024-01-31"),
            contract("k5b", "a5", "2024-01-31"),  # a5 counted once
            contract("k6", "a6", "2023-01-01", "2024-03-01"),
            contract("k7", "a7", "2024-01-10", "2024-03-20"),
            contract("k8", "a8", "2024-02-10"),
        ],
    })
    df = ws.kpi(["active_customers"], grain="month", start="2024-01-01", end="2024-04-01")
    # active at t: start_date < t and (no end_date or end_date >= t)
    # end of Jan (Feb 1): a1, a2, a5, a6, a7 = 5
    assert only(df, period="2024-01-01")["active_customers"] == 5
    # end of Feb (Mar 1): a1, a3 (Feb 29 < Mar 1), a5, a6 (ends Mar 1 >= Mar 1), a7, a8 = 6;
    # a2 ended Feb 15, a4 starts Mar 1 (not < Mar 1)
    assert only(df, period="2024-02-01")["active_customers"] == 6
    # end of Mar (Apr 1): a1, a3, a4, a5, a8 = 5
    assert only(df, period="2024-03-01")["active_customers"] == 5

    by_segment = ws.kpi(["active_customers"], by=["segment"], start="2024-03-01", end="2024-04-01")
    # at Apr 1: smb a1, a3 = 2; enterprise a4, a5, a8 = 3
    assert only(by_segment, segment="smb")["active_customers"] == 2
    assert only(by_segment, segment="enterprise")["active_customers"] == 3


def test_active_customers_at_the_range_end_when_it_cuts_the_period(ws):
    ws.load({
        "accounts": accounts("a1", "a2", "a3", "a4"),
        "contracts": [
            contract("k1", "a1", "2023-01-01", "2024-03-20"),  # still active on Mar 15
            contract("k2", "a2", "2024-03-16"),  # starts after Mar 15
            contract("k3", "a3", "2023-01-01", "2024-03-10"),  # ended before Mar 15
            contract("k4", "a4", "2024-03-14"),
        ],
    })
    df = ws.kpi(["active_customers"], grain="month", start="2024-03-01", end="2024-03-15")
    # the end of the (cut) March period is the range end, Mar 15: a1, a4 => 2
    assert one(df)["active_customers"] == 2


def test_churn_rate_by_segment_pools_its_accounts(ws):
    data = _churn_data()
    # a1..a5 smb, a6..a10 enterprise
    data["accounts"] = accounts("a1", "a2", "a3", "a4", "a5", segment="smb") + accounts(
        "a6", "a7", "a8", "a9", "a10", segment="enterprise")
    ws.load(data)
    df = ws.kpi(["churn_rate"], by=["segment"], start="2024-03-01", end="2024-04-01")
    # smb active at Mar 1: a1..a5 = 5, churned a2, a4 => 2/5 = 0.4
    assert only(df, segment="smb")["churn_rate"] == pytest.approx(0.4)
    # enterprise active at Mar 1: a8, a9, a10 = 3 (a6 not yet, a7 gone), churned a8 => 1/3
    assert only(df, segment="enterprise")["churn_rate"] == pytest.approx(1 / 3)


def test_active_customers_from_orders_without_contracts(ws):
    ws.load({
        "accounts": accounts("b1", "b2", "b3", "b4", "b5"),
        "orders": [
            order("o1", "b1", "2023-05-10 10:00:00", 100),  # within the 12 months before Apr 1
            order("o2", "b2", "2023-03-15 10:00:00", 100),  # more than 12 months before
            order("o3", "b3", "2024-03-31 10:00:00", 100),
            order("o4", "b4", "2024-04-01 10:00:00", 100),  # after the end of March
            order("o5", "b5", "2023-09-01 10:00:00", 100),
            order("o6", "b5", "2024-01-01 10:00:00", 100),  # b5 counted once
        ],
    })
    row = one(ws.kpi(["active_customers"], start="2024-03-01", end="2024-04-01"))
    # an order in [2023-04-01, 2024-04-01): b1, b3, b5 => 3
    assert row["active_customers"] == 3


def test_active_customers_from_won_deals_without_orders(ws):
    ws.load({
        "reps": reps("r1"),
        "accounts": accounts("a1", "a2", "a3", "a4", "a5"),
        "opportunities": [
            won("w1", "2023-06-01 10:00:00", account_id="a1"),  # within 12 months
            lost("w2", "2024-01-10 10:00:00", account_id="a2"),  # lost: not an order
            won("w3", "2022-12-01 10:00:00", account_id="a3"),  # too old
            opp("w4", account_id="a4", created_at="2024-02-01 10:00:00"),  # open
            won("w5", "2024-02-15 10:00:00", account_id="a5"),
        ],
    })
    row = one(ws.kpi(["active_customers"], start="2024-03-01", end="2024-04-01"))
    # won deals as orders in the 12 months before Apr 1: a1, a5 => 2
    assert row["active_customers"] == 2


def test_new_customers_first_won_deal_or_contract(ws):
    ws.load({
        "reps": reps("r1"),
        "accounts": accounts("a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8"),
        "contracts": [
            contract("k1", "a1", "2024-03-05"),  # first contract in March, no deal
            contract("k2", "a2", "2023-05-01"),  # customer since 2023
            contract("k6", "a6", "2024-04-01"),  # April
            contract("k7", "a7", "2024-03-31"),  # earlier than a7's won deal
        ],
        "opportunities": [
            won("o2", "2024-03-10 10:00:00", account_id="a2"),
            won("o3a", "2024-03-02 10:00:00", account_id="a3"),
            won("o3b", "2024-03-25 10:00:00", account_id="a3"),
            won("o4a", "2024-02-28 10:00:00", account_id="a4"),
            won("o4b", "2024-03-10 10:00:00", account_id="a4"),
            lost("o5", "2024-03-15 10:00:00", account_id="a5"),
            won("o7", "2024-04-20 10:00:00", account_id="a7"),
            won("o8", "2024-01-31 23:59:59", account_id="a8"),  # Jan: before the range
        ],
    })
    df = ws.kpi(["new_customers"], grain="month", start="2024-02-01", end="2024-04-01")
    # Feb: a4 (first won Feb 28) => 1
    assert only(df, period="2024-02-01")["new_customers"] == 1
    # Mar: a1 (contract), a3 (once), a7 (contract Mar 31 before its April deal) => 3
    assert only(df, period="2024-03-01")["new_customers"] == 3


def _churn_data():
    return {
        "accounts": accounts(*[f"a{i}" for i in range(1, 11)]),
        "contracts": [
            contract("k1", "a1", "2023-01-01"),  # still open
            contract("k2", "a2", "2023-01-01", "2024-03-15"),  # churns in March
            contract("k3a", "a3", "2023-01-01", "2024-03-10"),
            contract("k3b", "a3", "2024-03-11"),  # renewed: stays
            contract("k4", "a4", "2023-06-01", "2024-03-01"),  # active at Mar 1, ends in March
            contract("k5", "a5", "2023-06-01", "2024-04-01"),  # ends after March
            contract("k6", "a6", "2024-03-05", "2024-03-25"),  # not active at Mar 1
            contract("k7", "a7", "2023-01-01", "2024-02-20"),  # churned in Feb
            contract("k8a", "a8", "2023-01-01", "2024-03-20"),
            contract("k8b", "a8", "2023-02-01", "2024-03-28"),  # both end in March: churns
            contract("k9", "a9", "2023-01-01"),
            contract("k10a", "a10", "2023-01-01", "2024-03-10"),
            contract("k10b", "a10", "2023-01-01", "2024-06-30"),  # last one ends in June
        ],
    }


def test_churn_and_retention(ws):
    ws.load(_churn_data())
    df = ws.kpi(["churn_rate", "retention_rate"], grain="month", start="2024-02-01", end="2024-04-01")
    mar = only(df, period="2024-03-01")
    # active at Mar 1: a1, a2, a3, a4, a5, a8, a9, a10 = 8 (a6 starts later, a7 ended Feb 20)
    # whose last contract ends in March with none left open: a2, a4, a8 = 3 => 3/8 = 0.375
    assert mar["churn_rate"] == pytest.approx(0.375)
    assert (mar["churn_rate_numerator"], mar["churn_rate_denominator"]) == (3, 8)
    # retention = 1 - 0.375 = 0.625, numerator = the 5 retained
    assert mar["retention_rate"] == pytest.approx(0.625)
    assert (mar["retention_rate_numerator"], mar["retention_rate_denominator"]) == (5, 8)
    feb = only(df, period="2024-02-01")
    # active at Feb 1: all but a6 = 9; churned in Feb: a7 => 1/9
    assert feb["churn_rate"] == pytest.approx(1 / 9)
    assert feb["retention_rate"] == pytest.approx(8 / 9)


def test_nps(ws):
    smb = [("s1", 10), ("s2", 9), ("s3", 9), ("s4", 8), ("s5", 7)]
    ent = [("e1", 6), ("e2", 10), ("e3", 3), ("e4", 9), ("e5", 10)]
    surveys = [
        {"survey_id": sid, "account_id": "a1", "answered_at": f"2024-03-{i + 1:02d} 10:00:00", "nps_score": s}
        for i, (sid, s) in enumerate(smb)
    ] + [
        {"survey_id": sid, "account_id": "a2", "answered_at": f"2024-03-{i + 10:02d} 10:00:00", "nps_score": s}
        for i, (sid, s) in enumerate(ent)
    ] + [
        {"survey_id": "x1", "account_id": "a1", "answered_at": "2024-02-29 23:59:59", "nps_score": 0},
        {"survey_id": "x2", "account_id": "a2", "answered_at": "2024-04-01 00:00:00", "nps_score": 0},
    ]
    ws.load({"accounts": [account("a1", segment="smb"), account("a2", segment="enterprise")],
             "surveys": surveys})
    row = one(ws.kpi(["nps"], start="2024-03-01", end="2024-04-01"))
    # 10 answers in March; promoters (9-10): 10, 9, 9, 10, 9, 10 = 6; detractors (0-6): 6, 3 = 2
    # => 100 × (6 - 2) / 10 = 40
    assert row["nps"] == pytest.approx(40)
    assert row["nps_numerator"] == 4
    assert row["nps_denominator"] == 10

    by_segment = ws.kpi(["nps"], by=["segment"], start="2024-03-01", end="2024-04-01")
    # smb: 10, 9, 9, 8, 7 => 3 promoters, 0 detractors => 100 × 3/5 = 60
    # enterprise: 6, 10, 3, 9, 10 => 3 promoters, 2 detractors => 100 × 1/5 = 20
    assert only(by_segment, segment="smb")["nps"] == pytest.approx(60)
    assert only(by_segment, segment="enterprise")["nps"] == pytest.approx(20)


def test_recommendation_rate(ws):
    ws.load({
        "accounts": accounts("a1", "a2", "a3", "a4", "a5"),
        "contracts": [contract(f"k{i}", f"a{i}", "2023-01-01") for i in range(1, 5)]
        + [contract("k5", "a5", "2023-01-01", "2024-02-01")],  # a5 no longer a customer
        "referrals": [
            {"referral_id": "f1", "account_id": "a1", "referred_at": "2024-03-05 10:00:00"},
            {"referral_id": "f2", "account_id": "a1", "referred_at": "2024-03-20 10:00:00"},  # a1 once
            {"referral_id": "f3", "account_id": "a2", "referred_at": "2024-03-10 10:00:00"},
            {"referral_id": "f4", "account_id": "a3", "referred_at": "2024-04-01 00:00:00"},  # April
            {"referral_id": "f5", "account_id": "a4", "referred_at": "2024-02-28 10:00:00"},  # Feb
        ],
    })
    row = one(ws.kpi(["recommendation_rate"], start="2024-03-01", end="2024-04-01"))
    # accounts referring in March: a1, a2 = 2; active customers at Apr 1: a1..a4 = 4 => 0.5
    assert row["recommendation_rate"] == pytest.approx(0.5)
    assert row["recommendation_rate_numerator"] == 2
    assert row["recommendation_rate_denominator"] == 4


def test_upsell_rate(ws):
    ws.load({
        "reps": reps("r1"),
        "accounts": accounts("a1", "a2", "a3", "a4", "a5", "a6"),
        "contracts": [contract(f"k{i}", f"a{i}", "2023-01-01") for i in range(1, 6)]
        + [contract("k6", "a6", "2023-01-01", "2024-02-01")],  # a6 no longer a customer
        "opportunities": [
            won("u1", "2024-03-05 10:00:00", account_id="a1", kind="upsell"),
            won("u2", "2024-03-20 10:00:00", account_id="a1", kind="upsell"),  # deals, not accounts
            lost("u3", "2024-03-10 10:00:00", account_id="a2", kind="upsell"),  # lost
            won("u4", "2024-03-12 10:00:00", account_id="a3"),  # new business
            won("u5", "2024-04-01 00:00:00", account_id="a4", kind="upsell"),  # April
            won("u6", "2024-02-10 10:00:00", account_id="a5", kind="upsell"),  # Feb
        ],
    })
    row = one(ws.kpi(["upsell_rate"], start="2024-03-01", end="2024-04-01"))
    # upsell deals won in March: u1, u2 = 2; active customers at Apr 1: a1..a5 = 5 => 0.4
    assert row["upsell_rate"] == pytest.approx(0.4)
    assert row["upsell_rate_numerator"] == 2
    assert row["upsell_rate_denominator"] == 5


def test_avg_purchase_value_from_orders(ws):
    ws.load({
        "accounts": accounts("a1", "a2"),
        "orders": [
            order("o1", "a1", "2024-03-01 00:00:00", 100),
            order("o2", "a1", "2024-03-15 10:00:00", 200),
            order("o3", "a2", "2024-03-31 23:59:59", 600),
            order("x1", "a2", "2024-02-28 10:00:00", 50),  # Feb
            order("x2", "a1", "2024-04-01 00:00:00", 1000),  # range end
        ],
    })
    row = one(ws.kpi(["avg_purchase_value"], start="2024-03-01", end="2024-04-01"))
    # (100 + 200 + 600) / 3 = 300
    assert row["avg_purchase_value"] == pytest.approx(300)
    assert row["avg_purchase_value_numerator"] == pytest.approx(900)
    assert row["avg_purchase_value_denominator"] == 3


def test_avg_purchase_value_from_won_deals_without_orders(ws):
    ws.load({
        "reps": reps("r1"),
        "accounts": accounts("a1", "a2"),
        "opportunities": [
            won("w1", "2024-03-05 10:00:00", 1000, account_id="a1"),
            won("w2", "2024-03-06 10:00:00", 500, account_id="a2"),
            lost("w3", "2024-03-07 10:00:00", 700, account_id="a2"),
            won("w4", "2024-04-02 10:00:00", 9000, account_id="a2"),
        ],
    })
    row = one(ws.kpi(["avg_purchase_value"], start="2024-03-01", end="2024-04-01"))
    # won deals in March as orders: (1000 + 500) / 2 = 750
    assert row["avg_purchase_value"] == pytest.approx(750)


def test_purchase_frequency_over_the_trailing_year(ws):
    ws.load({
        "accounts": accounts("a1", "a2", "a3"),
        "orders": [
            order("o1", "a1", "2024-01-05 10:00:00", 10),
            order("o2", "a1", "2024-01-20 10:00:00", 10),
            order("o3", "a1", "2024-03-03 10:00:00", 10),
            order("o4", "a1", "2024-06-30 10:00:00", 10),
            order("o5", "a2", "2024-01-10 10:00:00", 10),
            order("o6", "a2", "2024-05-05 10:00:00", 10),
            order("x1", "a3", "2024-07-01 00:00:00", 10),  # the range end: outside every window below
            order("x2", "a3", "2023-12-31 10:00:00", 10),  # before the range, inside its trailing year
        ],
    })
    half = one(ws.kpi(["purchase_frequency"], start="2024-01-01", end="2024-07-01"))
    # the 12 months to 2024-07-01: o1..o6 + x2 = 7 orders / 3 customers (a1, a2, a3)
    assert half["purchase_frequency"] == pytest.approx(7 / 3)

    df = ws.kpi(["purchase_frequency"], grain="month", start="2024-01-01", end="2024-04-01")
    # to Feb 1: o1, o2, o5, x2 = 4 / 3; to Mar 1: the same (no order in Feb, no longer null);
    # to Apr 1: + o3 = 5 / 3
    assert only(df, period="2024-01-01")["purchase_frequency"] == pytest.approx(4 / 3)
    assert only(df, period="2024-02-01")["purchase_frequency"] == pytest.approx(4 / 3)
    assert only(df, period="2024-03-01")["purchase_frequency"] == pytest.approx(5 / 3)

    # a 6-month window (setting): 2024-01-01..07-01 holds o1..o6 = 6 orders / 2 customers × 12/6 = 6 a year
    ws.set_settings(clv_window_months=6)
    assert one(ws.kpi(["purchase_frequency"], start="2024-01-01", end="2024-07-01"))["purchase_frequency"] == \
        pytest.approx(6.0)


def test_historical_clv_does_not_depend_on_the_grain(ws):
    """Steady behaviour: a new customer every quarter (Jan, Apr, Jul, Oct from 2015), each ordering 100 on the
    15th of every month for exactly 60 months. CLV must be the same at grain month, quarter and year."""
    rows, accs = [], []
    for k in range(40):  # first orders 2015-01 .. 2024-10
        accs.append(account(f"c{k:02}"))
        for i in range(60):
            m = 3 * k + i  # months since 2015-01
            rows.append(order(f"o{k:02}-{i:02}", f"c{k:02}", f"{2015 + m // 12}-{m % 12 + 1:02}-15 00:00:00", 100))
    ws.load({"accounts": accs, "orders": rows})
    ids = ["clv", "avg_purchase_value", "purchase_frequency", "customer_lifespan"]
    # at a quarter end t (Apr 1, Jul 1, ...): customers who ordered in the 12 months before t started at
    # t-3, t-6, ..., t-69 months (t-72 made its last order 13 months before t): 23. Each month of the window
    # 20 customers are alive (60 months / one start each 3) -> 240 orders: PF = 240 / 23.
    # A year before t the same count, 23 customers (starts t-15 .. t-81); gone by t: started t-72 .. t-81, 4.
    # CL = 23 / 4 = 5.75 years. CLV = 100 × 240/23 × 23/4 = 6,000.
    quarters = ws.kpi(ids, grain="quarter", start="2024-01-01", end="2025-01-01")
    assert list(quarters["purchase_frequency"]) == pytest.approx([240 / 23] * 4)
    assert list(quarters["customer_lifespan"]) == pytest.approx([23 / 4] * 4)
    assert list(quarters["clv"]) == pytest.approx([6000.0] * 4)
    year = one(ws.kpi(ids, start="2024-01-01", end="2025-01-01"))
    assert year["clv"] == pytest.approx(6000.0)
    # at a month end one month after a quarter end: 24 customers in the window (one started that month),
    # PF = 240 / 24 = 10; a year before 24, gone since 4: CL = 6; CLV = 100 × 10 × 6 = 6,000 again
    months = ws.kpi(ids, grain="month", start="2024-01-01", end="2024-07-01")
    assert list(months["clv"]) == pytest.approx([6000.0] * 6)
    assert only(months, period="2024-01-01")["purchase_frequency"] == pytest.approx(10.0)


def test_customer_lifespan_from_contracts(ws):
    ws.load({
        "accounts": accounts("a1", "a2", "a3", "a4"),
        "contracts": [
            contract("k1a", "a1", "2021-03-10", "2022-03-10"),
            contract("k1b", "a1", "2022-03-10", "2024-03-10"),  # churns in March
            contract("k2", "a2", "2023-03-20", "2024-03-19"),  # churns in March
            contract("k3", "a3", "2022-01-01"),  # still a customer
            contract("k4", "a4", "2020-01-01", "2024-02-10"),  # churned in Feb
        ],
    })
    row = one(ws.kpi(["customer_lifespan"], start="2024-03-01", end="2024-04-01"))
    # active on 2023-04-01 (a year before the end): a1 (k1b), a2 (k2 from 2023-03-20), a3, a4 = 4;
    # no longer active on 2024-04-01: a1, a2, a4 = 3. Annual churn 3/4, lifespan 1 / (3/4) = 4/3 years
    assert row["customer_lifespan"] == pytest.approx(4 / 3)


def test_customer_lifespan_from_orders(ws):
    ws.load({
        "accounts": accounts("b1", "b2", "b3", "b4"),
        "orders": [
            order("o1", "b1", "2023-03-01 00:00:00", 10),
            order("o2", "b1", "2024-03-01 00:00:00", 10),
            order("o3", "b2", "2024-01-01 00:00:00", 10),
            order("o4", "b2", "2024-01-15 00:00:00", 10),
            order("o5", "b2", "2024-03-31 00:00:00", 10),
            order("o6", "b3", "2024-03-10 00:00:00", 10),
            order("o7", "b4", "2023-01-01 00:00:00", 10),
            order("o8", "b4", "2024-04-02 00:00:00", 10),  # after the end of March
        ],
    })
    row = one(ws.kpi(["customer_lifespan"], start="2024-03-01", end="2024-04-01"))
    # active (an order in the 12 months before) on 2023-04-01: b1, b4; on 2024-04-01: b1, b2, b3.
    # b4 is gone: churn 1/2, lifespan 2 years
    assert row["customer_lifespan"] == pytest.approx(2.0)


def _clv_data():
    return {
        "accounts": [account("a1", segment="smb"), account("a2", segment="enterprise"),
                     account("a3", segment="smb")],
        "orders": [
            order("o0", "a1", "2023-02-01 00:00:00", 200),  # before 2024: a1 was a customer a year before
            order("o1", "a1", "2024-02-01 00:00:00", 100),
            order("o2", "a1", "2024-08-01 00:00:00", 300),
            order("o3", "a2", "2024-05-01 00:00:00", 200),
            order("o4", "a2", "2024-11-01 00:00:00", 200),
            order("o5", "a3", "2023-06-01 00:00:00", 100),  # a3 bought in 2023 only: gone in 2024
        ],
    }


def test_clv_historical(ws):
    ws.load(_clv_data())
    row = one(ws.kpi(["clv", "avg_purchase_value", "purchase_frequency", "customer_lifespan"],
                     start="2024-01-01", end="2025-01-01"))
    # APV = (100 + 300 + 200 + 200) / 4 = 200
    assert row["avg_purchase_value"] == pytest.approx(200)
    # PF = 4 orders in the 12 months to 2025-01-01 / 2 customers = 2
    assert row["purchase_frequency"] == pytest.approx(2.0)
    # CL: customers on 2024-01-01 (an order in 2023): a1, a3; on 2025-01-01: a1, a2. a3 gone: churn 1/2 => 2 years
    assert row["customer_lifespan"] == pytest.approx(2.0)
    # CLV = 200 × 2 × 2 = 800
    assert row["clv"] == pytest.approx(800.0)


def test_clv_by_segment(ws):
    ws.load(_clv_data())
    df = ws.kpi(["clv"], by=["segment"], start="2024-01-01", end="2025-01-01")
    # smb (a1, a3): APV (100 + 300) / 2 = 200, PF 2 orders / 1 customer = 2, CL 2 / 1 = 2 => 800
    assert only(df, segment="smb")["clv"] == pytest.approx(800.0)
    # enterprise (a2): no customer a year before, so no churn to measure: lifespan and CLV unknown (null)
    assert pd.isna(only(df, segment="enterprise")["clv"])
