"""Edge cases shared by every KPI: empty periods, zero denominators, missing optional
tables, currencies, fiscal calendars, week starts, time zones, pooled ratios, the
Wilson interval, the small-sample flag, the default range and the errors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import pilotage

from ._helpers import (
    account,
    act,
    lead,
    lost,
    one,
    only,
    opp,
    order,
    periods,
    rep,
    reps,
    team,
    ts,
    won,
)

# --- empty periods and zero denominators -------------------------------------------------------

def test_empty_period_has_zero_counts_and_null_ratios(ws):
    ws.load({"leads": [
        lead("l1", "2024-01-10 10:00:00", converted_at="2024-01-20 10:00:00"),
        lead("l2", "2024-01-11 10:00:00"),
        lead("l3", "2024-03-05 10:00:00"),
    ]})
    df = ws.kpi(["leads", "lead_conversion_rate"], grain="month", start="2024-01-01", end="2024-04-01")
    # every month of the range has a row, February included
    assert periods(df) == ts("2024-01-01", "2024-02-01", "2024-03-01")
    feb = only(df, period="2024-02-01")
    # Feb: no lead => count 0, rate 0 / 0 => null (not 0)
    assert feb["leads"] == 0
    assert pd.isna(feb["lead_conversion_rate"])
    assert feb["lead_conversion_rate_denominator"] == 0
    assert pd.isna(feb["lead_conversion_rate_low"])
    assert pd.isna(feb["lead_conversion_rate_high"])
    # Jan: 1 converted of 2 => 0.5; Mar: 0 of 1 => 0.0 (a real zero)
    assert only(df, period="2024-01-01")["lead_conversion_rate"] == pytest.approx(0.5)
    assert only(df, period="2024-03-01")["lead_conversion_rate"] == pytest.approx(0.0)


def test_zero_denominator_is_null_not_zero(ws):
    ws.load({"reps": reps("r1"), "opportunities": [
        opp("o1", created_at="2024-03-05 10:00:00"),  # open, created in March
        won("o2", "2024-02-10 10:00:00", 500, created_at="2024-01-10 10:00:00"),
    ]})
    row = one(ws.kpi(["close_rate", "avg_deal_size", "deals_won", "revenue", "win_rate"],
                     start="2024-03-01", end="2024-04-01"))
    # nothing closed in March: close_rate 0/0 and avg_deal_size 0/0 => null; counts and sums 0
    assert pd.isna(row["close_rate"])
    assert pd.isna(row["avg_deal_size"])
    assert row["deals_won"] == 0
    assert row["revenue"] == pytest.approx(0)
    # o1 was created in March and is open: 0 / 1 => 0.0, a real zero
    assert row["win_rate"] == pytest.approx(0.0)


# --- missing optional tables ------------------------------------------------------------------

MISSING_TABLE_KPIS = [
    "nps",  # no surveys
    "churn_rate",  # no contracts
    "retention_rate",  # no contracts
    "calls",  # no activities
    "social_posts",  # no activities
    "cost_per_lead",  # no campaigns
    "quota_attainment",  # no quotas
    "price_index",  # no products nor competitor prices
    "price_gap",  # no products nor competitor prices
    "recommendation_rate",  # no referrals
]


def test_missing_optional_table_is_null_in_every_period(ws):
    ws.load({
        "reps": reps("r1"),
        "accounts": [account("a1")],
        "leads": [lead("l1", "2024-02-10 10:00:00", account_id="a1")],
        "opportunities": [won("o1", "2024-02-20 10:00:00", 1000, account_id="a1", lead_id="l1")],
    })
    not_null = {}
    for kpi in MISSING_TABLE_KPIS:  # one query per KPI, so that one failure does not hide another
        df = ws.kpi([kpi, "leads"], grain="month", start="2024-01-01", end="2024-04-01")
        assert periods(df) == ts("2024-01-01", "2024-02-01", "2024-03-01")
        # while leads, whose table has rows, are counted: Jan 0, Feb 1, Mar 0
        assert list(df["leads"]) == [0, 1, 0]
        # the KPI's table holds no rows => "not available" in every month, never 0
        if not df[kpi].isna().all():
            not_null[kpi] = list(df[kpi])
    assert not_null == {}


def test_missing_optional_table_keeps_the_ratio_columns(ws):
    ws.load({"reps": reps("r1"), "opportunities": [opp("o1", created_at="2024-03-02 10:00:00")]})
    df = ws.kpi(["nps", "content_usage_rate"], start="2024-03-01", end="2024-04-01")
    # no surveys, no activities: the figures are null, but the result keeps its documented shape
    # (a ratio carries numerator, denominator and small-sample flag; a rate its interval too)
    for col in ("nps", "nps_numerator", "nps_denominator", "nps_small_sample",
                "content_usage_rate", "content_usage_rate_numerator",
                "content_usage_rate_denominator", "content_usage_rate_small_sample",
                "content_usage_rate_low", "content_usage_rate_high"):
        assert col in df.columns, f"{col} missing from {list(df.columns)}"
    assert pd.isna(one(df)["nps"])
    assert pd.isna(one(df)["content_usage_rate"])


def test_churn_needs_contracts_even_with_orders(ws):
    ws.load({
        "accounts": [account("a1"), account("a2")],
        "orders": [order("x1", "a1", "2023-06-01 10:00:00", 100),
                   order("x2", "a2", "2024-03-10 10:00:00", 100)],
    })
    row = one(ws.kpi(["churn_rate"], start="2024-03-01", end="2024-04-01"))
    # churn_rate needs `contracts`: orders do not stand in for them => null
    assert pd.isna(row["churn_rate"])


# --- currencies -------------------------------------------------------------------------------

USD_RATES = [
    {"currency": "USD", "valid_from": "2024-01-01", "rate": 0.9},
    {"currency": "USD", "valid_from": "2024-03-15", "rate": 0.8},
]


def _currency_deals():
    return [
        won("o1", "2024-03-10 10:00:00", 1000, currency="USD"),  # rate of Jan 1: 0.9 => 900
        won("o2", "2024-03-15 09:00:00", 1000, currency="USD"),  # rate of Mar 15: 0.8 => 800
        won("o3", "2024-03-16 10:00:00", 500),  # null currency = workspace currency => 500
        won("o4", "2024-03-17 10:00:00", 100, currency="EUR"),  # => 100
    ]


def test_amounts_converted_at_the_rate_in_force_on_closed_at(ws):
    ws.load({"reps": reps("r1"), "exchange_rates": USD_RATES, "opportunities": _currency_deals()})
    df = ws.kpi(["revenue"], start="2024-03-01", end="2024-04-01")
    # 900 + 800 + 500 + 100 = 2300
    assert one(df)["revenue"] == pytest.approx(2300)
    assert df.attrs["warnings"] == []


def test_amount_without_rate_is_left_out_with_a_warning(ws):
    ws.load({"reps": reps("r1"), "exchange_rates": USD_RATES, "opportunities": _currency_deals() + [
        won("o5", "2024-03-20 10:00:00", 1000, currency="GBP"),  # no GBP rate at all
        won("o6", "2023-12-20 10:00:00", 1000, currency="USD"),  # before the first USD rate
    ]})
    df = ws.kpi(["revenue"], start="2024-03-01", end="2024-04-01")
    # o5 is left out, never summed raw: still 2300 (not 3300)
    assert one(df)["revenue"] == pytest.approx(2300)
    assert len(df.attrs["warnings"]) >= 1
    dec = ws.kpi(["revenue"], start="2023-12-01", end="2024-01-01")
    # o6 closed before any USD rate was in force: left out => 0, with a warning
    assert one(dec)["revenue"] == pytest.approx(0)
    assert len(dec.attrs["warnings"]) >= 1


def test_open_opportunity_converted_at_the_latest_rate(ws):
    ws.load({"reps": reps("r1"), "exchange_rates": USD_RATES, "opportunities": [
        opp("o1", amount=1000, currency="USD", created_at="2024-01-10 10:00:00"),
        opp("o2", amount=200, created_at="2024-01-11 10:00:00"),
    ]})
    row = one(ws.kpi(["open_pipeline"], start="2024-02-01", end="2024-03-01"))
    # open => latest known USD rate (0.8, from Mar 15) even at the end of Feb: 800 + 200 = 1000
    assert row["open_pipeline"] == pytest.approx(1000)


def test_workspace_currency_setting(ws):
    ws.set_settings(currency="USD")
    ws.load({"reps": reps("r1"),
             "exchange_rates": [{"currency": "EUR", "valid_from": "2024-01-01", "rate": 1.1}],
             "opportunities": [
                 won("o1", "2024-03-10 10:00:00", 1000, currency="EUR"),  # 1000 × 1.1 = 1100 USD
                 won("o2", "2024-03-11 10:00:00", 500),  # null currency = USD now => 500
                 won("o3", "2024-03-12 10:00:00", 100, currency="USD"),  # => 100
             ]})
    df = ws.kpi(["revenue"], start="2024-03-01", end="2024-04-01")
    # 1100 + 500 + 100 = 1700
    assert one(df)["revenue"] == pytest.approx(1700)
    assert df.attrs["warnings"] == []


def test_order_converted_on_ordered_at(ws):
    ws.load({"accounts": [account("a1")], "exchange_rates": USD_RATES, "orders": [
        order("x1", "a1", "2024-03-01 10:00:00", 100, currency="USD"),  # 0.9 => 90
        order("x2", "a1", "2024-03-02 10:00:00", 110),  # 110
    ]})
    row = one(ws.kpi(["avg_purchase_value"], start="2024-03-01", end="2024-04-01"))
    # (90 + 110) / 2 = 100
    assert row["avg_purchase_value"] == pytest.approx(100)


# --- fiscal calendar and weeks ------------------------------------------------------------------

def _fiscal_deals():
    return {"reps": reps("r1"), "opportunities": [
        won("x0", "2023-03-31 23:59:59"),  # before everything
        won("d1", "2023-04-01 00:00:00"),  # FY starting 2023-04-01
        won("d2", "2024-03-31 23:00:00"),  # FY 2023-04-01, quarter 2024-01-01
        won("d3", "2024-04-01 00:00:00"),  # FY 2024-04-01, quarter 2024-04-01
        won("d4", "2024-06-30 10:00:00"),  # FY 2024-04-01, quarter 2024-04-01
        won("d5", "2025-03-31 10:00:00"),  # FY 2024-04-01
        won("x1", "2025-04-01 00:00:00"),  # after everything
    ]}


def test_fiscal_quarters_starting_in_april(ws):
    ws.set_settings(fiscal_year_start=4)
    ws.load(_fiscal_deals())
    df = ws.kpi(["deals_won"], grain="quarter", start="2024-01-01", end="2024-07-01")
    assert periods(df) == ts("2024-01-01", "2024-04-01")
    # quarter Jan-Mar 2024 (fiscal Q4 of FY 2023): d2 => 1; Apr-Jun 2024 (Q1 of FY 2024): d3, d4 => 2
    assert only(df, period="2024-01-01")["deals_won"] == 1
    assert only(df, period="2024-04-01")["deals_won"] == 2


def test_fiscal_years_starting_in_april(ws):
    ws.set_settings(fiscal_year_start=4)
    ws.load(_fiscal_deals())
    df = ws.kpi(["deals_won"], grain="year", start="2023-04-01", end="2025-04-01")
    # fiscal years labelled by their first day
    assert periods(df) == ts("2023-04-01", "2024-04-01")
    # FY 2023-04-01: d1, d2 => 2; FY 2024-04-01: d3, d4, d5 => 3
    assert only(df, period="2023-04-01")["deals_won"] == 2
    assert only(df, period="2024-04-01")["deals_won"] == 3


def test_calendar_years_by_default(ws):
    ws.load(_fiscal_deals())
    df = ws.kpi(["deals_won"], grain="year", start="2024-01-01", end="2025-01-01")
    assert periods(df) == ts("2024-01-01")
    # calendar 2024: d2, d3, d4 => 3
    assert only(df, period="2024-01-01")["deals_won"] == 3


def test_fiscal_quarters_starting_in_february(ws):
    # with a February start the quarters are Feb-Apr, May-Jul, Aug-Oct, Nov-Jan
    ws.set_settings(fiscal_year_start=2)
    ws.load({"reps": reps("r1"), "opportunities": [
        won("d1", "2024-01-31 23:00:00"),  # quarter 2023-11-01
        won("d2", "2024-02-01 00:00:00"),  # quarter 2024-02-01
        won("d3", "2024-04-30 10:00:00"),  # quarter 2024-02-01
        won("d4", "2024-05-01 00:00:00"),  # quarter 2024-05-01
    ]})
    df = ws.kpi(["deals_won"], grain="quarter", start="2023-11-01", end="2024-08-01")
    assert periods(df) == ts("2023-11-01", "2024-02-01", "2024-05-01")
    assert list(df["deals_won"]) == [1, 2, 1]


def _weekend_calls():
    return {"reps": reps("r1"), "activities": [
        act("c1", "call", "2024-03-02 10:00:00"),  # Saturday
        act("c2", "call", "2024-03-03 10:00:00"),  # Sunday
        act("c3", "call", "2024-03-04 10:00:00"),  # Monday
    ]}


def test_weeks_start_on_monday_by_default(ws):
    ws.load(_weekend_calls())
    df = ws.kpi(["calls"], grain="week", start="2024-02-26", end="2024-03-11")
    assert periods(df) == ts("2024-02-26", "2024-03-04")
    # week of Mon Feb 26: Sat c1 + Sun c2 => 2; week of Mon Mar 4: c3 => 1
    assert list(df["calls"]) == [2, 1]


def test_weeks_start_on_sunday_when_set(ws):
    ws.set_settings(week_start="sunday")
    ws.load(_weekend_calls())
    df = ws.kpi(["calls"], grain="week", start="2024-02-25", end="2024-03-10")
    assert periods(df) == ts("2024-02-25", "2024-03-03")
    # week of Sun Feb 25: Sat c1 => 1; week of Sun Mar 3: c2 + c3 => 2
    assert list(df["calls"]) == [1, 2]


def test_datetimes_with_an_offset_fall_in_the_workspace_time_zone(ws):
    ws.load({"leads": [
        # 2024-02-29 23:30 UTC = 2024-03-01 00:30 in Paris (UTC+1) => March
        lead("l1", "2024-02-29T23:30:00+00:00"),
        # 2024-03-31 23:30 UTC = 2024-04-01 01:30 in Paris (UTC+2 since that night) => April
        lead("l2", "2024-03-31T23:30:00+00:00"),
        # naive: already Paris wall-clock time => March
        lead("l3", "2024-03-15 10:00:00"),
    ]})
    df = ws.kpi(["leads"], grain="month", start="2024-02-01", end="2024-05-01")
    # Feb 0, Mar l1 + l3 = 2, Apr l2 = 1
    assert list(df["leads"]) == [0, 2, 1]


def test_time_zone_setting_places_offset_datetimes(ws):
    ws.set_settings(timezone="UTC")
    ws.load({"leads": [
        lead("l1", "2024-02-29T23:30:00+00:00"),  # UTC wall clock: Feb 29 => February
        lead("l2", "2024-03-31T23:30:00+00:00"),  # Mar 31 => March
        lead("l3", "2024-04-01T00:30:00+02:00"),  # = 2024-03-31 22:30 UTC => March
    ]})
    df = ws.kpi(["leads"], grain="month", start="2024-02-01", end="2024-05-01")
    # Feb l1 = 1, Mar l2 + l3 = 2, Apr 0
    assert list(df["leads"]) == [1, 2, 0]


def test_range_not_on_a_period_boundary_keeps_only_in_range_records(ws):
    ws.load({"leads": [
        lead("l1", "2024-03-10 10:00:00"),  # before the range start
        lead("l2", "2024-03-20 10:00:00"),
        lead("l3", "2024-04-05 10:00:00"),
        lead("l4", "2024-04-20 10:00:00"),  # on/after the range end (Apr 15)
    ]})
    df = ws.kpi(["leads"], grain="month", start="2024-03-15", end="2024-04-15")
    # two partial months: [Mar 15, Apr 1) holds l2, [Apr 1, Apr 15) holds l3
    assert list(df["leads"]) == [1, 1]


# --- pooled ratios, Wilson interval, small samples ----------------------------------------------

def test_ratio_over_a_team_is_a_ratio_of_sums(ws):
    ws.load({
        "teams": [team("t1"), team("t2")],
        "reps": [rep("r1", "t1"), rep("r2", "t1"), rep("r3", "t2")],
        "opportunities": [won("a1", "2024-03-02 10:00:00", owner="r1")]
        + [won(f"b{i}", "2024-03-10 10:00:00", owner="r2") for i in range(3)]
        + [lost(f"c{i}", "2024-03-11 10:00:00", owner="r2") for i in range(6)]
        + [lost("d1", "2024-03-12 10:00:00", owner="r3")],
    })
    by_team = ws.kpi(["close_rate"], by=["team"], start="2024-03-01", end="2024-04-01")
    t1 = only(by_team, team="t1")
    # t1: r1 1/1 and r2 3/9 => (1 + 3) / (1 + 9) = 0.4, not the mean of 1.0 and 0.333 (0.667)
    assert t1["close_rate"] == pytest.approx(0.4)
    assert (t1["close_rate_numerator"], t1["close_rate_denominator"]) == (4, 10)
    # t2: 0 / 1 => 0.0
    assert only(by_team, team="t2")["close_rate"] == pytest.approx(0.0)
    total = one(ws.kpi(["close_rate"], start="2024-03-01", end="2024-04-01"))
    # all: 4 / 11 = 0.3636
    assert total["close_rate"] == pytest.approx(4 / 11)


def test_wilson_interval_of_a_rate(ws):
    ws.load({"leads": [
        lead(f"l{i}", "2024-03-10 10:00:00", converted_at="2024-03-20 10:00:00" if i < 50 else None)
        for i in range(200)
    ]})
    row = one(ws.kpi(["lead_conversion_rate"], start="2024-03-01", end="2024-04-01"))
    assert row["lead_conversion_rate"] == pytest.approx(0.25)
    # Wilson 95 %, n = 200, p = 0.25, z = 1.96, z² = 3.8415:
    #   divisor = 1 + z²/n = 1.019207; centre = p + z²/(2n) = 0.25 + 0.009604 = 0.259604
    #   half = z × sqrt(p(1-p)/n + z²/(4n²)) = 1.96 × sqrt(0.0009375 + 0.0000240) = 1.96 × 0.031008
    #        = 0.060776
    #   low = (0.259604 - 0.060776) / 1.019207 = 0.1951; high = (0.259604 + 0.060776) / 1.019207 = 0.3143
    assert row["lead_conversion_rate_low"] == pytest.approx(0.1951, abs=2e-4)
    assert row["lead_conversion_rate_high"] == pytest.approx(0.3143, abs=2e-4)


def test_small_sample_flag_below_30(ws):
    ws.load({"leads": [lead(f"f{i}", "2024-02-10 10:00:00") for i in range(29)]
             + [lead(f"m{i}", "2024-03-10 10:00:00") for i in range(30)]})
    df = ws.kpi(["lead_conversion_rate"], grain="month", start="2024-02-01", end="2024-04-01")
    # Feb: 29 leads => small sample; Mar: 30 leads => not
    assert bool(only(df, period="2024-02-01")["lead_conversion_rate_small_sample"]) is True
    assert bool(only(df, period="2024-03-01")["lead_conversion_rate_small_sample"]) is False


# --- result shape and default range -------------------------------------------------------------

def test_result_is_sorted_by_period_then_dimensions(ws):
    ws.load({"leads": [
        lead("l1", "2024-03-10 10:00:00", "linkedin"),
        lead("l2", "2024-03-11 10:00:00", "event"),
        lead("l3", "2024-02-10 10:00:00", "linkedin"),
        lead("l4", "2024-02-11 10:00:00", "event"),
        lead("l5", "2024-02-12 10:00:00", "event"),
    ]})
    df = ws.kpi(["leads"], grain="month", by=["source"], start="2024-02-01", end="2024-04-01")
    assert pd.api.types.is_datetime64_any_dtype(df["period"])
    got = [(pd.Timestamp(p), s, n) for p, s, n in zip(df["period"], df["source"], df["leads"], strict=True)]
    assert got == [
        (pd.Timestamp("2024-02-01"), "event", 2),
        (pd.Timestamp("2024-02-01"), "linkedin", 1),
        (pd.Timestamp("2024-03-01"), "event", 1),
        (pd.Timestamp("2024-03-01"), "linkedin", 1),
    ]
    no_grain = ws.kpi(["leads"], start="2024-02-01", end="2024-04-01")
    assert "period" not in no_grain.columns
    assert one(no_grain)["leads"] == 5


def test_default_range_is_the_last_12_months(ws):
    today = dt.date.today()
    ws.load({"leads": [
        lead("now", f"{today.isoformat()} 12:00:00"),  # the current month is in the default range
        lead("old", f"{(today - dt.timedelta(days=400)).isoformat()} 12:00:00"),  # > 12 months ago
        lead("future", f"{(today + dt.timedelta(days=40)).isoformat()} 12:00:00"),  # after next month starts
    ]})
    # only "now"
    assert one(ws.kpi(["leads"]))["leads"] == 1


# --- errors -------------------------------------------------------------------------------------

def test_unknown_kpi_is_an_error_naming_it(ws):
    ws.load({"leads": [lead("l1", "2024-03-10 10:00:00")]})
    with pytest.raises(pilotage.UnknownKpi, match="no_such_kpi") as err:
        ws.kpi(["leads", "no_such_kpi"], start="2024-03-01", end="2024-04-01")
    assert isinstance(err.value, pilotage.PilotageError)


def _surveys():
    return {"accounts": [account("a1")], "reps": reps("r1"), "surveys": [
        {"survey_id": "s1", "account_id": "a1", "answered_at": "2024-03-10 10:00:00", "nps_score": 9}]}


def test_dimension_not_carried_by_the_kpi_is_an_error(ws):
    ws.load(_surveys())
    # survey answers carry no rep: cutting nps by rep is an error, not a silent total
    with pytest.raises(pilotage.InvalidCut, match="rep") as err:
        ws.kpi(["nps"], by=["rep"], start="2024-03-01", end="2024-04-01")
    assert isinstance(err.value, pilotage.PilotageError)


def test_filter_on_a_dimension_not_carried_by_the_kpi_is_an_error(ws):
    ws.load(_surveys())
    with pytest.raises(pilotage.InvalidCut, match="rep"):
        ws.kpi(["nps"], start="2024-03-01", end="2024-04-01", filters={"rep": ["r1"]})


def test_unknown_dimension_is_an_error(ws):
    ws.load({"leads": [lead("l1", "2024-03-10 10:00:00")]})
    with pytest.raises(pilotage.InvalidCut, match="colour"):
        ws.kpi(["leads"], by=["colour"], start="2024-03-01", end="2024-04-01")


def test_bad_grain_is_an_error(ws):
    ws.load({"leads": [lead("l1", "2024-03-10 10:00:00")]})
    with pytest.raises(pilotage.InvalidCut, match="fortnight"):
        ws.kpi(["leads"], grain="fortnight", start="2024-03-01", end="2024-04-01")


def test_bad_date_is_an_error(ws):
    ws.load({"leads": [lead("l1", "2024-03-10 10:00:00")]})
    with pytest.raises(pilotage.InvalidCut, match="2024-13-01"):
        ws.kpi(["leads"], start="2024-13-01", end="2024-04-01")
