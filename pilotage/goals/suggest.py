"""Suggested personal quotas: ambitious yet achievable, from each rep's own history (docs/goals.md).

For a target period of some grain (month, quarter, year, week) and a KPI (revenue by default):

1. history: the KPI per rep and per period over the 3 years before, one engine query;
2. seasonality (the team's): for each position in the year (a fiscal quarter, a month), the
   mean over past years of the team total that period / that year's mean per period,
   clipped to [0.7, 1.3];
3. the rep's level: the mean of their last 4 de-seasonalised periods; trend: that mean over the
   mean of the 4 before, clipped to [0.85, 1.15]; forecast = level × trend × season;
4. spread: the coefficient of variation of their last 8 de-seasonalised periods (clipped to
   [0.1, 0.6]); the suggestion is the chosen percentile of a normal forecast,
   forecast × (1 + z(p) × cv), with p = 45 % by default (met 55 % of the time if the
   forecast is unbiased: the healthy 50–70 % band);
5. new hires (fewer than 4 periods of history, or hired less than ``RAMP_MONTHS`` before the
   period's middle): the team's median suggestion × tenure / ``RAMP_MONTHS`` (ramp-up);
6. a company target is spread over reps in proportion to their suggestions.

The backtest replays past periods with only the data before each, and scores the suggestions
(share of reps meeting them, share within ±20 %) beside the flat "same period last year + 10 %".
"""

from __future__ import annotations

import datetime as dt
import math

from pilotage.engine import periods as P
from pilotage.errors import InvalidCut
from pilotage.goals import periods as GP

RAMP_MONTHS = 6
LOOKBACK_YEARS = 3
DEFAULT_PERCENTILE = 0.45
PER_YEAR = {"month": 12, "quarter": 4, "year": 1, "week": 52}


def _grain(start: dt.date, end: dt.date) -> str:
    days = (end - start).days
    return "week" if days == 7 else "month" if days <= 31 else "quarter" if days <= 92 else "year"


def _z(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


def history(ws, kpi: str, grain: str, start: dt.date, end: dt.date):
    """KPI per rep and period over [start, end): a frame rep × period (the engine's numbers)."""
    df = ws.kpi(kpi, grain=grain, by=["rep"], start=start, end=end)
    df = df[df["rep"].notna()]
    table = df.pivot_table(index="rep", columns="period", values=kpi, aggfunc="sum")
    return table.fillna(0.0)


def _position(label: dt.date, grain: str, fy: int) -> int:
    if grain == "year":
        return 0
    if grain == "week":
        return label.isocalendar()[1]
    y0 = P.floor(label, "year", fy)
    months = (label.year - y0.year) * 12 + label.month - y0.month
    return months // (3 if grain == "quarter" else 1)


def suggest_from(table, reps: dict, start: dt.date, end: dt.date, grain: str, fy: int,
                 percentile: float = DEFAULT_PERCENTILE) -> list[dict]:
    """Suggestions for [start, end) from ``table`` (rep × period values before ``start``)."""
    import numpy as np
    import pandas as pd

    cols = [c for c in table.columns if pd.Timestamp(c).date() < start]
    table = table[cols]
    labels = [pd.Timestamp(c).date() for c in cols]
    # the team's seasonality by position in the (fiscal) year
    totals = table.sum(axis=0).to_numpy(dtype=float)
    by_year: dict[dt.date, list[tuple[int, float]]] = {}
    for lab, v in zip(labels, totals, strict=True):
        by_year.setdefault(P.floor(lab, "year", fy), []).append((_position(lab, grain, fy), v))
    ratios: dict[int, list[float]] = {}
    per_year = PER_YEAR[grain]
    for items in by_year.values():
        if len(items) < per_year or grain in ("year", "week"):
            continue  # only whole years say what a season weighs
        mean = sum(v for _, v in items) / len(items)
        for pos, v in items:
            if mean > 0:
                ratios.setdefault(pos, []).append(v / mean)
    season = {pos: float(np.clip(np.mean(r), 0.7, 1.3)) for pos, r in ratios.items()}
    s_target = season.get(_position(start, grain, fy), 1.0)
    z = _z(percentile)
    mid = start + (end - start) / 2
    out, ramping = [], []
    for rep_id, info in reps.items():
        hired = info.get("hired_on")
        values = table.loc[rep_id].to_numpy(dtype=float) if rep_id in table.index else np.zeros(len(labels))
        since = [i for i, lab in enumerate(labels) if hired is None or lab >= P.floor(hired, grain, fy)]
        vals = values[since] if len(values) else values
        labs = [labels[i] for i in since]
        deseason = np.array([v / season.get(_position(lab, grain, fy), 1.0) for v, lab in zip(vals, labs,
                                                                                             strict=True)])
        tenure = None if hired is None else (mid - hired).days / 30.44
        inputs = {"periods_of_history": int(len(deseason)), "season_index": round(s_target, 3),
                  "tenure_months": None if tenure is None else round(tenure, 1), "percentile": percentile}
        if len(deseason) < 4 or (tenure is not None and tenure < RAMP_MONTHS):
            ramping.append((rep_id, info, tenure, inputs))
            continue
        level = float(deseason[-4:].mean())
        older = deseason[-8:-4]
        trend = float(np.clip(level / older.mean(), 0.85, 1.15)) if len(older) and older.mean() > 0 else 1.0
        last8 = deseason[-8:]
        cv = float(np.clip(last8.std() / last8.mean(), 0.1, 0.6)) if last8.mean() > 0 else 0.6
        forecast = level * trend * s_target
        target = max(0.0, forecast * (1 + z * cv))
        inputs.update({"level": round(level, 2), "trend": round(trend, 3), "cv": round(cv, 3),
                       "forecast": round(forecast, 2)})
        reasons = [f"average of the last 4 periods, seasonally adjusted: {level:,.0f}",
                   f"trend {trend - 1:+.0%} (last 4 periods against the 4 before, capped at ±15 %)",
                   f"season: this period weighs {s_target:.2f} × an average one for the team",
                   f"forecast {forecast:,.0f}; the {percentile:.0%} percentile of it given a "
                   f"{cv:.0%} period-to-period spread: {target:,.0f}"]
        out.append({"rep_id": rep_id, "name": info.get("name"), "suggested": round(target, 2), "new_hire": False,
                    "reasons": reasons, "inputs": inputs})
    team_median = float(np.median([r["suggested"] for r in out])) if out else None
    for rep_id, info, tenure, inputs in ramping:
        if team_median is None:
            continue
        ramp = 1.0 if tenure is None else float(np.clip(tenure / RAMP_MONTHS, 0.1, 1.0))
        target = team_median * ramp
        inputs.update({"team_median": round(team_median, 2), "ramp": round(ramp, 3)})
        reasons = [f"new or little history ({inputs['periods_of_history']} periods"
                   + (f", {tenure:.1f} months in" if tenure is not None else "") + ")",
                   f"team median suggestion {team_median:,.0f} × ramp-up {ramp:.0%} "
                   f"(full after {RAMP_MONTHS} months)"]
        out.append({"rep_id": rep_id, "name": info.get("name"), "suggested": round(target, 2), "new_hire": True,
                    "reasons": reasons, "inputs": inputs})
    out.sort(key=lambda r: r["rep_id"])
    return out


def _reps(ws, start: dt.date, end: dt.date) -> dict:
    """Reps employed during [start, end)."""
    out = {}
    for rid, name, hired, left in ws.db.fetchall(f"SELECT rep_id, name, hired_on, left_on FROM {ws.db.q('reps')}"):
        if (hired is None or hired < end) and (left is None or left > start):
            out[str(rid)] = {"name": name, "hired_on": hired, "left_on": left}
    return out


def suggest(ws, period: str | None = None, kpi: str = "revenue", percentile: float = DEFAULT_PERCENTILE,
            company_target: float | None = None, today: dt.date | None = None, user=None) -> dict:
    """Suggested quotas for ``period`` (default: the next fiscal quarter)."""
    from pilotage.goals.service import additive

    if not additive(kpi):
        raise InvalidCut(f"quotas are suggested for counts and amounts (e.g. revenue, deals_won), not {kpi!r}")
    if not 0.05 <= percentile <= 0.95:
        raise InvalidCut("the percentile must be between 0.05 and 0.95")
    st = ws.settings
    today = today or dt.date.today()
    if period:
        label, start, end = GP.parse(period, st.fiscal_year_start, st.week_start)
    else:
        start = P.step(P.floor(today, "quarter", st.fiscal_year_start), "quarter")
        end = P.step(start, "quarter")
        label = GP.label(start, end, st.fiscal_year_start)
    grain = _grain(start, end)
    # only complete periods count: the one running today is left out of the history
    upto = min(start, P.floor(today, grain, st.fiscal_year_start, st.week_start))
    table = history(ws, kpi, grain, P.add_months(start, -12 * LOOKBACK_YEARS), upto)
    reps = _reps(ws, start, end)
    if user is not None and user.role != "admin":
        from pilotage.goals.service import _rep_team

        rt = _rep_team(ws)
        reps = {r: v for r, v in reps.items() if r == user.rep_id or rt.get(r) in set(user.team_ids)}
    rows = suggest_from(table, reps, start, end, grain, st.fiscal_year_start, percentile)
    total = sum(r["suggested"] for r in rows)
    if company_target is not None:
        for r in rows:
            r["allocated"] = round(company_target * r["suggested"] / total, 2) if total else None
    return {"kpi": kpi, "period": label, "period_start": start.isoformat(), "period_end": end.isoformat(),
            "percentile": percentile, "total_suggested": round(total, 2), "company_target": company_target,
            "reps": rows}


def backtest(ws, kpi: str = "revenue", grain: str = "quarter", periods: int = 4,
             percentile: float = DEFAULT_PERCENTILE, today: dt.date | None = None) -> dict:
    """Replay the last ``periods`` complete periods: how often the suggestions (made with the data
    before each period only) were met, and within ±20 %, beside "same period last year + 10 %"."""
    import pandas as pd

    st = ws.settings
    fy = st.fiscal_year_start
    today = today or _last_data_day(ws) or dt.date.today()
    last_end = P.floor(today, grain, fy, st.week_start)  # the current period is not complete
    starts = [P.step(last_end, grain, -k) for k in range(periods, 0, -1)]
    table = history(ws, kpi, grain, P.add_months(starts[0], -12 * (LOOKBACK_YEARS + 1)), last_end)
    rows, scored = [], {"suggested": [], "last_year_plus_10": []}
    for s in starts:
        e = P.step(s, grain)
        sugg = suggest_from(table, _reps(ws, s, e), s, e, grain, fy, percentile)
        col = pd.Timestamp(s)
        ly = pd.Timestamp(P.add_months(s, -12)) if grain != "week" else pd.Timestamp(s - dt.timedelta(weeks=52))
        period_rows = {"suggested": [], "last_year_plus_10": []}
        for r in sugg:
            actual = float(table.loc[r["rep_id"], col]) if r["rep_id"] in table.index and col in table.columns else 0.0
            if r["suggested"] > 0:
                period_rows["suggested"].append((actual, r["suggested"]))
            if r["rep_id"] in table.index and ly in table.columns and table.loc[r["rep_id"], ly] > 0:
                period_rows["last_year_plus_10"].append((actual, 1.1 * float(table.loc[r["rep_id"], ly])))
        for k, pairs in period_rows.items():
            scored[k] += pairs
        rows.append({"period": GP.label(s, e, fy), "period_start": s.isoformat(),
                     **{k: _score(v) for k, v in period_rows.items()}})
    return {"kpi": kpi, "grain": grain, "percentile": percentile, "periods": rows,
            "overall": {k: _score(v) for k, v in scored.items()},
            "aim": "55-75 % of reps meeting their quota; as many as possible within ±20 %"}


def _score(pairs: list[tuple[float, float]]) -> dict:
    n = len(pairs)
    if not n:
        return {"reps": 0, "met_share": None, "within_20_share": None}
    met = sum(1 for a, t in pairs if a >= t)
    within = sum(1 for a, t in pairs if t > 0 and abs(a / t - 1) <= 0.2)
    return {"reps": n, "met_share": round(met / n, 4), "within_20_share": round(within / n, 4)}


def _last_data_day(ws) -> dt.date | None:
    got = ws.db.fetchall(f"SELECT MAX(closed_at) FROM {ws.db.q('opportunities')}")[0][0]
    if got is None:
        return None
    return got.date() if isinstance(got, dt.datetime) else got


__all__ = ["suggest", "backtest", "suggest_from", "math"]
