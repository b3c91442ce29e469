"""Cohort retention: per start month, the share of the cohort still a customer k months later, and
the shifted-beta-geometric projection of the pooled curve (Fader & Hardie 2007, `models/sbg.py`).

A customer's start is their first contract start (contracts) or first order (orders only). Still a
customer k months after the start: a contract running at start + k months; without contracts,
an order in month k or later (a customer who comes back is counted as retained until then).
"""

from __future__ import annotations

from pilotage.errors import PilotageError


def _starts_ends(ws):
    import pandas as pd

    k = ws.db.table("contracts").execute()
    if len(k):
        g = k.groupby("account_id").agg(start=("start_date", "min"), end=("end_date", lambda s: None
                                                                          if s.isna().any() else s.max()))
        g["start"], g["end"] = pd.to_datetime(g["start"]), pd.to_datetime(g["end"])
        return g, pd.to_datetime(k["start_date"]).max()
    o = ws.db.table("orders").select("account_id", "ordered_at").execute()
    if o.empty:
        raise PilotageError("no contracts nor orders: nothing to measure retention on")
    g = o.groupby("account_id")["ordered_at"].agg(start="min", end="max")
    g["start"], g["end"] = pd.to_datetime(g["start"]), pd.to_datetime(g["end"])
    last = pd.to_datetime(o["ordered_at"]).max()
    g.loc[g["end"] >= last - pd.DateOffset(months=12), "end"] = pd.NaT  # still active
    return g, last


def cohorts(ws, months: int = 12, user=None) -> dict:
    """{"cohorts": [{"cohort": "2024-01", "customers": n, "retention": [1.0, s1, ...]}], "pooled": [...],
    "sbg": {"alpha", "beta", "projection"}}; each curve stops at the last month observed."""
    import numpy as np
    import pandas as pd

    from pilotage.models import sbg

    from pilotage.forecast.scope import require_everything

    require_everything(user, ws, "customer retention")  # customers carry no rep nor team
    g, last = _starts_ends(ws)
    g["cohort"] = g["start"].dt.to_period("M")
    out, pooled_n, pooled_k = [], np.zeros(months + 1), np.zeros(months + 1)
    for c, grp in g.groupby("cohort"):
        seen = (last.to_period("M") - c).n
        n = min(months, seen)
        curve = []
        for k in range(n + 1):
            at = grp["start"] + pd.DateOffset(months=k)
            alive = grp["end"].isna() | (grp["end"] >= at)
            curve.append(round(float(alive.mean()), 4))
            pooled_n[k] += len(grp)
            pooled_k[k] += int(alive.sum())
        out.append({"cohort": str(c), "customers": int(len(grp)), "retention": curve})
    ok = pooled_n > 0
    pooled = [round(float(a / b), 4) for a, b in zip(pooled_k[ok], pooled_n[ok], strict=True)]
    res = {"cohorts": out, "pooled": pooled, "sbg": None}
    curve = [p for p in pooled[1:] if p > 0]
    if len(curve) >= 2 and all(b <= a for a, b in zip(curve, curve[1:], strict=False)) and curve[0] < 1:
        m = sbg.fit(curve)
        res["sbg"] = {"alpha": m.alpha, "beta": m.beta,
                      "projection": [round(float(v), 4) for v in sbg.survival(m.alpha, m.beta, 2 * months)]}
    return res
