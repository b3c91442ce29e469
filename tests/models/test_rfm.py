"""Transactions -> RFM summary, by hand and against the CDNOW summary of the papers."""

import numpy as np
import pandas as pd
import pytest

from pilotage.models import rfm


def test_hand_worked_summary():
    tx = pd.DataFrame({
        "customer_id": ["a", "a", "a", "a", "b", "c"],
        "date": ["2024-01-01", "2024-01-01", "2024-01-15", "2024-01-29", "2024-01-22", "2024-03-01"],
        "amount": [10, 5, 30, 50, 99, 1],
    })
    s = rfm.summary(tx, "2024-02-12").set_index("customer_id")
    # c bought after the end: not a customer yet; a's two purchases of Jan 1 count as one (15)
    assert list(s.index) == ["a", "b"]
    # a: days Jan 1, 15, 29 -> x = 2, t_x = 28 days = 4 weeks, T = 42 days = 6 weeks, m = (30+50)/2 = 40
    assert s.loc["a", ["frequency", "recency", "T", "monetary"]].tolist() == [2, 4.0, 6.0, 40.0]
    # b: one purchase -> x = 0, t_x = 0, T = 3 weeks, m = 0
    assert s.loc["b", ["frequency", "recency", "T", "monetary"]].tolist() == [0, 0.0, 3.0, 0.0]


def test_cdnow_summary_from_raw_purchases(cdnow_purchases, cdnow_summary):
    s = rfm.summary(cdnow_purchases, "1997-09-30")
    m = s.merge(cdnow_summary, left_on="customer_id", right_on="ID")
    assert len(s) == len(m) == 2357
    assert (m["frequency"] == m["x"]).all()
    # the published summary rounds to two decimals
    assert np.abs(m["recency"] - m["t_x"]).max() < 0.006
    assert np.abs(m["T_x"] - m["T_y"]).max() < 0.006
    assert np.abs(m["monetary"] - m["zbar"]).max() < 0.006
    assert m["T_x"].max() == pytest.approx(272 / 7)  # 1997-01-01 to 1997-09-30
