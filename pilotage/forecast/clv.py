"""Predictive customer lifetime value: BG/NBD (how many purchases, still alive?) and
Gamma-Gamma (how much per purchase) fitted on the orders, in weeks.

Discounted CLV over a horizon of H months at a monthly discount rate d (Fader, Hardie & Lee
2005, "RFM and CLV", eq. 2, discrete form as in the `lifetimes` reference implementation):

    CLV = Σ_{i=1..H} (E[N(i·m)] - E[N((i-1)·m)]) · E[M] / (1+d)^i

where E[N(t)] is the BG/NBD expected number of purchases in the next t weeks, m = 365.25/12/7
weeks per month and E[M] the Gamma-Gamma expected spend per purchase. Works on orders alone
(a shop's transaction log): accounts, when present, only add the segment.
"""

from __future__ import annotations


from pilotage.errors import PilotageError
from pilotage.periods import parse_date

WEEKS_PER_MONTH = 365.25 / 12 / 7
MIN_CUSTOMERS = 20  # below this the four BG/NBD parameters are not identified


def orders(ws, user=None):
    """The orders with each account's segment (pandas): account_id, date, amount, segment.
    Customers carry no rep nor team: denied to a scoped ``user`` (:mod:`pilotage.forecast.scope`)."""
    import pandas as pd

    from pilotage.forecast.scope import require_everything

    require_everything(user, ws, "customer value")
    o = ws.db.table("orders").select("account_id", "ordered_at", "amount").execute()
    a = ws.db.table("accounts").select("account_id", "segment").execute()
    o = o.rename(columns={"ordered_at": "date"})
    o["amount"] = pd.to_numeric(o["amount"]).astype(float)
    return o.merge(a, on="account_id", how="left")


def summary(ws, until=None, user=None, tx=None):
    """The RFM summary (weeks) of every customer whose first order is on or before `until`.
    ``tx``: the orders already read (the web app reads under its lock, then fits outside it)."""
    from pilotage.models import rfm

    tx = orders(ws, user) if tx is None else tx
    if tx.empty:
        raise PilotageError("no orders: import orders.csv (order_id, account_id, ordered_at, amount) first")
    until = parse_date(until, "invalid date") or tx["date"].max().date()
    s = rfm.summary(tx, until, customer="account_id")
    if s.empty:
        raise PilotageError(f"no customer has ordered on or before {until}")
    seg = tx.drop_duplicates("account_id").set_index("account_id")["segment"]
    s["segment"] = s["customer_id"].map(seg)
    return s, until


def _fit(s):
    from pilotage.models import bgnbd, gamma_gamma

    if len(s) < MIN_CUSTOMERS:
        raise PilotageError(f"only {len(s)} customers: the purchase model needs at least {MIN_CUSTOMERS}")
    bg = bgnbd.fit(s["frequency"], s["recency"], s["T"])
    try:
        gg = gamma_gamma.fit(s["frequency"], s["monetary"])
    except ValueError as exc:
        raise PilotageError(f"the spend model cannot be fitted: {exc}") from None
    return bg, gg


def fit(ws, until=None, user=None, tx=None) -> dict:
    """The `pilotage clv fit --format json` shape."""
    s, until = summary(ws, until, user, tx)
    bg, gg = _fit(s)
    return {"customers": int(len(s)), "until": until.isoformat(), "time_unit": "week",
            "bgnbd": {"r": bg.r, "alpha": bg.alpha, "a": bg.a, "b": bg.b, "log_likelihood": bg.log_likelihood},
            "gamma_gamma": {"p": gg.p, "q": gg.q, "gamma": gg.gamma, "customers": gg.customers}}


def customers(ws, until=None, horizon: int = 12, discount: float = 0.01, user=None, tx=None) -> list[dict]:
    """One dict per customer: account_id, segment, frequency, recency, T (weeks), p_alive,
    expected_purchases (over the horizon), expected_avg_spend, clv (discounted); highest CLV first."""
    import numpy as np

    from pilotage.models import bgnbd, gamma_gamma

    if not 1 <= int(horizon) <= 600:
        raise PilotageError(f"horizon {horizon}: expected 1 to 600 months")
    if not 0 <= float(discount) < 1:
        raise PilotageError(f"discount {discount}: expected a monthly rate between 0 and 1 (0.01 = 1 %)")
    s, _ = summary(ws, until, user, tx)
    bg, gg = _fit(s)
    x, tx, T = (s[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    spend = gamma_gamma.expected_avg_spend(gg, x, s["monetary"].to_numpy(float))
    cum = [np.zeros(len(s))] + [bgnbd.expected_purchases(bg, i * WEEKS_PER_MONTH, x, tx, T)
                                for i in range(1, int(horizon) + 1)]
    clv = sum((cum[i] - cum[i - 1]) / (1 + float(discount)) ** i for i in range(1, int(horizon) + 1)) * spend
    p = bgnbd.p_alive(bg, x, tx, T)
    rows = [{"account_id": str(a), "segment": None if seg is None or seg != seg else seg,
             "frequency": int(f), "recency": round(float(r), 4), "T": round(float(t), 4),
             "p_alive": round(float(pa), 6), "expected_purchases": round(float(e), 6),
             "expected_avg_spend": round(float(m), 4), "clv": round(float(c), 2)}
            for a, seg, f, r, t, pa, e, m, c in zip(s["customer_id"], s["segment"], x, tx, T, p, cum[-1], spend, clv,
                                                     strict=True)]
    rows.sort(key=lambda r: (-r["clv"], r["account_id"]))
    return rows


def by_segment(rows: list[dict]) -> list[dict]:
    """Customers, total and mean CLV, mean P(alive) per segment (no segment: "—")."""
    out: dict[str, dict] = {}
    for r in rows:
        g = out.setdefault(r["segment"] or "—", {"segment": r["segment"] or "—", "customers": 0, "clv": 0.0,
                                                 "p_alive": 0.0, "expected_purchases": 0.0})
        g["customers"] += 1
        g["clv"] += r["clv"]
        g["p_alive"] += r["p_alive"]
        g["expected_purchases"] += r["expected_purchases"]
    res = []
    for g in out.values():
        n = g["customers"]
        res.append({"segment": g["segment"], "customers": n, "clv_total": round(g["clv"], 2),
                    "clv_mean": round(g["clv"] / n, 2), "p_alive_mean": round(g["p_alive"] / n, 4),
                    "expected_purchases": round(g["expected_purchases"], 3)})
    return sorted(res, key=lambda g: -g["clv_total"])


def totals(rows: list[dict]) -> dict:
    """Customers, total and mean CLV, mean P(alive) and expected purchases of ``customers``'s rows."""
    n = len(rows)
    tot = sum(r["clv"] for r in rows)
    return {"customers": n, "clv_total": round(tot, 2), "clv_mean": round(tot / n, 2) if n else None,
            "p_alive_mean": round(sum(r["p_alive"] for r in rows) / n, 4) if n else None,
            "expected_purchases": round(sum(r["expected_purchases"] for r in rows), 3)}
