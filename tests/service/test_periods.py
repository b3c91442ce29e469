"""Honest periods (issue #9): complete months by default, the current period to date with pace,
the default range following the data, immature cohorts flagged."""

from __future__ import annotations

import datetime as dt

import pytest

from pilotage import periods as HP
from pilotage import service
from tests.kpis._helpers import lead, opp, won

D = dt.date


def ref(today, data_end):
    return HP.Reference(D.fromisoformat(today), D.fromisoformat(data_end) if data_end else None)


def test_last_12_months_are_the_12_complete_months_before_the_current_one():
    w = HP.preset_window("12m", ref("2026-12-04", "2026-12-03"))
    # 4 December 2026: December is under way, so Dec 2025 .. Nov 2026
    assert (w.start, w.end, w.to_date) == (D(2025, 12, 1), D(2026, 12, 1), None)


def test_the_current_month_runs_to_today_and_is_compared_with_the_same_days_of_the_previous():
    r = ref("2026-12-04", "2026-12-04")
    w = HP.preset_window("month", r)
    # 1-4 December (end excluded: the 5th), flagged "to date"
    assert (w.start, w.end, w.to_date) == (D(2026, 12, 1), D(2026, 12, 5), "month")
    # pace: 1-4 November, not the whole of November
    assert HP.compare_range(w.start, w.end, "previous", w.to_date) == (D(2026, 11, 1), D(2026, 11, 5))
    # a year earlier: 1-4 December 2025
    assert HP.compare_range(w.start, w.end, "year", w.to_date) == (D(2025, 12, 1), D(2025, 12, 5))


def test_pace_of_a_quarter_is_clipped_to_the_previous_quarter():
    r = ref("2026-03-31", "2026-03-31")
    w = HP.preset_window("quarter", r)
    # 1 Jan - 31 Mar is the whole quarter: complete, not to date
    assert (w.start, w.end, w.to_date) == (D(2026, 1, 1), D(2026, 4, 1), None)
    w = HP.preset_window("quarter", ref("2026-03-30", "2026-03-30"))
    assert w.to_date == "quarter"
    # 1 Jan - 30 Mar = 89 days; Q4 2025 from 1 Oct + 89 days = 29 Dec (excluded), inside Q4
    assert HP.compare_range(w.start, w.end, "previous", w.to_date) == (D(2025, 10, 1), D(2025, 12, 29))
    # 29 days of February vs the 31 of January: the same 29 days from 1 January
    w = HP.preset_window("month", ref("2024-02-29", "2024-02-29"))
    assert w.to_date is None and HP.compare_range(w.start, w.end, "previous") == (D(2024, 1, 1), D(2024, 2, 1))


def test_the_default_range_follows_data_that_ended_long_ago():
    r = ref("2026-12-04", "2017-12-31")
    assert r.stale and r.current_day == D(2017, 12, 31)
    w = HP.preset_window("12m", r)
    # the data's last month (December 2017) is complete: 2017 as a whole
    assert (w.start, w.end) == (D(2017, 1, 1), D(2018, 1, 1))
    # data ending mid-month: that month is not complete
    w = HP.preset_window("12m", ref("2026-12-04", "2017-12-15"))
    assert (w.start, w.end) == (D(2016, 12, 1), D(2017, 12, 1))
    # this month: December 2017 up to the data's last day
    w = HP.preset_window("month", ref("2026-12-04", "2017-12-15"))
    assert (w.start, w.end, w.to_date) == (D(2017, 12, 1), D(2017, 12, 16), "month")
    # data of last month is still today's data (a quiet week-end is not "stale")
    assert not ref("2026-12-04", "2026-11-27").stale


def test_unknown_comparison_is_a_clear_error():
    with pytest.raises(Exception, match="expected previous or year"):
        HP.compare_range(D(2024, 1, 1), D(2024, 2, 1), "month")


def _cohort(ws):
    # 20 deals created in 2024-01 closed after 10..29 days (10 + i), and 4 deals created in
    # 2024-06, still open on the data's last day
    deals = [won(f"w{i}", (dt.datetime(2024, 1, 5, 10) + dt.timedelta(days=10 + i)).isoformat(sep=" "),
                 created_at="2024-01-05 10:00:00") for i in range(20)]
    deals += [opp(f"o{i}", created_at="2024-06-20 10:00:00") for i in range(4)]
    ws.load({"reps": [{"rep_id": "r1", "name": "Rep r1"}], "opportunities": deals,
             "leads": [lead("l1", "2024-06-25 10:00:00")]})


def test_maturity_window_is_learned_from_the_days_to_close(ws):
    _cohort(ws)
    # days from creation to close: 10, 11, ..., 29 (20 values); 85th percentile (linear) =
    # 10 + 0.85 × 19 = 26.15 => 26 days
    assert HP.maturity_days(ws, "win_rate") == 26
    assert HP.maturity_days(ws, "revenue") is None  # not a cohort KPI
    assert HP.reference(ws, D(2026, 12, 4)).data_end == D(2024, 6, 25)


def test_an_immature_cohort_gets_no_trend_colour(ws):
    _cohort(ws)
    today = D(2024, 6, 30)  # data ends 25 June: not stale
    cards = {c["id"]: c for c in service.focus_cards(ws, ids=["win_rate", "deals_won"], start="2024-06-01",
                                                     end="2024-07-01", today=today)}
    # June's cohort: 4 deals, none decided; June ends 1 July, + 26 days > 1 July => immature
    wr = cards["win_rate"]
    assert wr["immature"] and wr["change"] is None and wr["good"] is None
    assert wr["value"] == 0.0  # still shown
    assert not cards["deals_won"]["immature"]
    # January's cohort ended 1 Feb; 1 Feb + 26 days is well before 1 July: mature, compared
    jan = service.focus_cards(ws, ids=["win_rate"], start="2024-01-01", end="2024-02-01", today=today)[0]
    assert not jan["immature"] and jan["value"] == 1.0


def test_focus_cards_default_to_the_datas_last_12_complete_months(ws):
    _cohort(ws)
    cards = service.focus_cards(ws, ids=["deals_won"], today=D(2026, 12, 4))
    # data ends 25 June 2024 (mid-month): June 2023 .. May 2024 (end 1 June), holding the 20 January deals;
    # compared with the 12 months before: June 2022 .. May 2023
    assert cards[0]["value"] == 20
    assert cards[0]["compared_with"] == ["2022-06-01", "2023-06-01"]


@pytest.mark.parametrize("share, attainment, shown", [
    (0.5, 0.8, True),    # half the reps at quota, team at 80 %: quotas likely too ambitious
    (0.5, 1.03, False),  # the team at 103 % of its target: no banner (issue #9)
    (0.5, 1.0, False),   # exactly at target
    (0.6, 0.8, False),   # 60 % of reps at quota: the catalogue's threshold is "under 60 %"
    (None, 0.8, False),  # no quotas
    (0.5, None, True),   # no team attainment known: the catalogue's rule alone
])
def test_the_too_ambitious_banner_is_not_shown_when_the_team_is_at_target(share, attainment, shown):
    assert service.quotas_too_ambitious(share, attainment) is shown


@pytest.mark.parametrize("reps, shown", [
    (1, False),  # a rep's own view: 0 of 1 at quota says nothing of how the team's quotas were set
    (2, False),
    (3, True),   # 1 of 3 at quota (33 %), the team at 80 %: the warning stands
    (7, True),
])
def test_the_too_ambitious_banner_needs_at_least_three_reps(reps, shown):
    assert service.quotas_too_ambitious(1 / 3, 0.8, reps) is shown
