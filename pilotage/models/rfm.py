"""Transactions -> the RFM summary the BG/NBD and Gamma-Gamma models read (pure functions).

As in Fader, Hardie & Lee (2005) and the CDNOW summaries: purchases of one customer on one
day count as one purchase (their amounts added); then, per customer, over the calibration
period ending ``until`` (included):

- ``frequency`` x: repeat purchases (distinct purchase days - 1);
- ``recency`` t_x: time from the first to the last purchase;
- ``T``: time from the first purchase to ``until``;
- ``monetary`` m_x: mean value of the repeat purchases (the first one is left out, as in the
  papers: it is often unlike the others), 0 without repeat purchase.

Times are in ``unit_days`` days (7: weeks, the papers' unit).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def summary(transactions: pd.DataFrame, until: dt.date | str | None = None, *, unit_days: float = 7.0,
            customer: str = "customer_id", date: str = "date", amount: str = "amount") -> pd.DataFrame:
    """One row per customer whose first purchase is on or before ``until`` (default: the last
    purchase day): customer_id, frequency, recency, T, monetary, first_purchase."""
    df = transactions[[customer, date, amount]].copy()
    df[date] = pd.to_datetime(df[date]).dt.normalize()
    df[amount] = pd.to_numeric(df[amount], errors="coerce").astype(float).fillna(0.0)
    end = pd.Timestamp(until) if until is not None else df[date].max()
    df = df[df[date] <= end]
    cols = ["customer_id", "frequency", "recency", "T", "monetary", "first_purchase"]
    if df.empty:
        return pd.DataFrame(columns=cols)
    days = df.groupby([customer, date], as_index=False)[amount].sum().sort_values([customer, date])
    g = days.groupby(customer)
    first = g[date].transform("min")
    is_repeat = days[date] > first
    out = pd.DataFrame({
        "first_purchase": g[date].min(),
        "last_purchase": g[date].max(),
        "frequency": g[date].size() - 1,
    })
    repeat_sum = days[is_repeat].groupby(customer)[amount].sum()
    out["monetary"] = (repeat_sum.reindex(out.index).fillna(0.0)
                       / out["frequency"].where(out["frequency"] > 0, np.nan)).fillna(0.0)
    out["recency"] = (out["last_purchase"] - out["first_purchase"]).dt.days / unit_days
    out["T"] = (end - out["first_purchase"]).dt.days / unit_days
    out = out.reset_index().rename(columns={customer: "customer_id"})
    out["first_purchase"] = out["first_purchase"].dt.date
    return out[cols]
