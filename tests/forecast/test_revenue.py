"""Monthly revenue forecast: intervals, backtest, and the plain statement when naive is as good."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

import pilotage
from pilotage.errors import PilotageError
from pilotage.forecast import revenue


def _months(n, start=dt.date(2022, 1, 1)):
    out, d = [], start
    for _ in range(n):
        out.append(d)
        d = (d.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def test_seasonal_naive_by_hand():
    y = np.arange(1, 13, dtype=float)  # Jan..Dec = 1..12
    # same month last year: the next 14 months repeat 1..12, then 1, 2
    assert revenue.seasonal_naive(y, 14).tolist() == list(range(1, 13)) + [1, 2]
    assert revenue.seasonal_naive(np.array([5.0, 7.0]), 3).tolist() == [7, 7, 7]


def test_forecast_intervals_and_backtest_on_a_noisy_trend():
    rng = np.random.default_rng(1)
    y = 1000 + 20 * np.arange(36) + 150 * np.sin(np.arange(36) * 2 * np.pi / 12) + rng.normal(0, 30, 36)
    res = revenue.forecast_series(list(zip(_months(36), y.tolist(), strict=True)), 6, origins=3)
    assert res["model"] == "ETS(A,Ad,A)" and [r["month"] for r in res["forecast"]][0] == "2025-01"
    for r in res["forecast"]:
        assert r["lo95"] <= r["lo80"] <= r["forecast"] <= r["hi80"] <= r["hi95"]
    b = res["backtest"]
    assert b["origins"] == 3 and b["horizon"] == 3
    # the trend makes last year's month too low: the model beats naive here and says so
    assert b["mase"] < b["naive_mase"] and b["better_than_naive"] is True
    assert b["verdict"] == "the model beats the seasonal-naive forecast"


def test_says_plainly_when_no_better_than_naive():
    # a pure repeating pattern with an irregular shape: same month last year is exact (error 0)
    pattern = [5, 9, 2, 8, 1, 7, 3, 6, 4, 10, 2, 9]
    y = pattern * 3
    res = revenue.forecast_series(list(zip(_months(36), [float(v) for v in y], strict=True)), 3, origins=2)
    b = res["backtest"]
    # naive errs by 0, so MASE has no scale (None) and MAPE is 0
    assert b["naive_mape"] == 0 and b["naive_mase"] is None
    assert b["better_than_naive"] is False
    assert "no better than the seasonal-naive forecast" in b["verdict"]


def test_short_history_is_refused_and_months_checked():
    with pytest.raises(PilotageError, match="a forecast needs 6"):
        revenue.forecast_series([(m, 1.0) for m in _months(4)], 3)
    with pilotage.connect(":memory:") as ws, pytest.raises(PilotageError, match="expected 1 to 36"):
        revenue.forecast(ws, 0)


def test_monthly_history_from_orders_skips_the_incomplete_month(shop_db):
    ws = pilotage.connect(shop_db, read_only=True)
    hist = revenue.monthly_revenue(ws)
    # CDNOW sample: 1997-01 .. 1998-06, the last purchase on 1998-06-30 completes June
    assert hist[0][0] == dt.date(1997, 1, 1) and hist[-1][0] == dt.date(1998, 6, 1) and len(hist) == 18
    assert revenue.monthly_revenue(ws, until="1998-06-15")[-1][0] == dt.date(1998, 5, 1)
    ws.close()
