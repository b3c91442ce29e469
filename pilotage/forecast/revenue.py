"""Monthly revenue forecast: ETS (statsmodels) with a rolling-origin backtest against the
seasonal-naive forecast, printed with every forecast.

Model (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., ch. 8):
additive-error ETS, with a damped additive trend when there are 10 months or more and an
additive 12-month seasonality when there are 24 months or more (two full seasons), else
simple exponential smoothing. Prediction intervals at 80 % and 95 % come from the model's
state-space form (`ETSModel.get_prediction`), floored at 0 (revenue is never negative).

Backtest (FPP3 §5.10, time-series cross-validation): for each of the last `origins` months
as forecast origin, fit on the months before it and forecast `horizon` months; errors are
pooled over all (origin, step) pairs.

    MAPE = mean |y - ŷ| / |y|   (months with y = 0 left out)
    MASE = mean |y - ŷ| / mean_t |y_t - y_{t-m}|   (scale: in-sample seasonal-naive error, m = 12,
                                                    or 1 with less than two years)

Seasonal naive: ŷ_{t+h} = y_{t+h-12} (the same month last year; the last month without a
year of history). The model "beats naive" when its MASE is below the naive forecast's.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np

from pilotage.errors import PilotageError

MIN_MONTHS = 6


def monthly_revenue(ws, until=None, user=None) -> list[tuple[dt.date, float]]:
    """(month start, revenue) for every complete month of history, zeros included.

    Revenue is the catalogue's `revenue` (won deals by close date, in the workspace currency),
    cut to ``user``'s scope by the KPI engine; a shop without deals uses the orders (which carry
    no rep nor team: an admin's or single-user mode's only). A month counts as complete when it ends on or
    before ``until`` (exclusive; default: the first day after the latest sale).
    """
    import pandas as pd

    from pilotage import service

    o = ws.db.table("opportunities")
    o = o.filter(o.status == "won")
    won = o.aggregate(n=o.count(), first=o.closed_at.min(), last=o.closed_at.max()).execute()
    if int(won["n"][0]):
        first, last = won["first"][0], won["last"][0]
    else:
        from pilotage.forecast.scope import require_everything

        require_everything(user, ws, "the revenue of orders")  # orders carry no rep nor team
        od = ws.db.table("orders")
        agg = od.aggregate(n=od.count(), first=od.ordered_at.min(), last=od.ordered_at.max()).execute()
        if not int(agg["n"][0]):
            raise PilotageError("no revenue to forecast: no won deal and no order")
        first, last = agg["first"][0], agg["last"][0]
    end = dt.date.fromisoformat(str(until)) if until else (pd.Timestamp(last) + pd.Timedelta(days=1)).date()
    end_month = end.replace(day=1)  # the month holding `end` is incomplete unless end is its first day
    start = pd.Timestamp(first).date().replace(day=1)
    if end_month <= start:
        raise PilotageError(f"no complete month of history before {end}")
    if int(won["n"][0]):
        df = service.kpi_query(ws, ["revenue"], grain="month", start=start.isoformat(), end=end_month.isoformat(),
                               user=user)
        vals = {pd.Timestamp(p).date().replace(day=1): float(v or 0) for p, v in zip(df["period_start"]
                if "period_start" in df else df["period"], df["revenue"], strict=True)}
    else:
        od = ws.db.table("orders")
        t = od.select(m=od.ordered_at.truncate("M"), amount=od.amount).group_by("m").aggregate(v=_sum()).execute()
        vals = {pd.Timestamp(m).date(): float(v) for m, v in zip(t["m"], t["v"], strict=True)}
    months = pd.date_range(start, end_month, freq="MS", inclusive="left")
    return [(m.date(), vals.get(m.date(), 0.0)) for m in months]


def _sum():
    from ibis import _

    return _.amount.sum().cast("float64")


def _model(y: np.ndarray):
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    n = len(y)
    trend = "add" if n >= 10 else None
    seasonal = "add" if n >= 24 else None
    m = ETSModel(pd.Series(np.asarray(y, float)), error="add", trend=trend, damped_trend=trend is not None,
                 seasonal=seasonal, seasonal_periods=12 if seasonal else None, initialization_method="estimated")
    name = f"ETS(A,{'Ad' if trend else 'N'},{'A' if seasonal else 'N'})"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return m.fit(disp=False, maxiter=500), name


def _point(y: np.ndarray, h: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit, _ = _model(y)
        return np.maximum(np.asarray(fit.forecast(h)), 0.0)


def seasonal_naive(y: np.ndarray, h: int) -> np.ndarray:
    """ŷ_{n+i} = y_{n+i-12} (repeated beyond a year); the last value when there is less than a year."""
    y = np.asarray(y, float)
    if len(y) < 12:
        return np.repeat(y[-1], h)
    return np.array([y[len(y) - 12 + (i % 12)] for i in range(h)])


def backtest(y, horizon: int = 3, origins: int = 6) -> dict:
    """Rolling-origin errors of the model and of the seasonal naive (see the module docstring)."""
    y = np.asarray(y, float)
    n = len(y)
    origins = max(0, min(origins, n - MIN_MONTHS - horizon + 1))
    if origins == 0:
        return {"origins": 0, "horizon": horizon, "mape": None, "mase": None, "naive_mape": None,
                "naive_mase": None, "better_than_naive": None,
                "verdict": f"too little history for a backtest (needs {MIN_MONTHS + horizon} months)"}
    e_model, e_naive, actual, scales = [], [], [], []
    for o in range(n - horizon - origins + 1, n - horizon + 1):
        train, test = y[:o], y[o:o + horizon]
        e_model.append(np.abs(test - _point(train, horizon)))
        e_naive.append(np.abs(test - seasonal_naive(train, horizon)))
        actual.append(test)
        m = 12 if len(train) > 12 else 1
        scales.append(np.full(horizon, np.mean(np.abs(train[m:] - train[:-m]))))
    em, en, a, s = (np.concatenate(v) for v in (e_model, e_naive, actual, scales))
    nz = a != 0
    ok = s > 0

    def ratio(e, d, keep):
        return float(np.mean(e[keep] / np.abs(d[keep]))) if keep.any() else None

    res = {"origins": int(origins), "horizon": int(horizon),
           "mape": ratio(em, a, nz), "mase": ratio(em, s, ok),
           "naive_mape": ratio(en, a, nz), "naive_mase": ratio(en, s, ok)}
    # compared on the pooled absolute errors (the same as comparing MASEs, and defined when the scale is 0)
    res["better_than_naive"] = bool(em.mean() < en.mean())
    res["verdict"] = ("the model beats the seasonal-naive forecast" if res["better_than_naive"] else
                      "the model is no better than the seasonal-naive forecast (same month last year): "
                      "read its figures as a naive projection")
    return res


def forecast(ws, months: int = 6, until=None, user=None, origins: int = 6) -> dict:
    """The `pilotage forecast revenue --format json` shape: history, forecast with 80 % and 95 %
    intervals, the model's name and its backtest."""
    if not 1 <= int(months) <= 36:
        raise PilotageError(f"months {months}: expected 1 to 36")
    hist = monthly_revenue(ws, until, user)
    return forecast_series(hist, int(months), origins)


def forecast_series(hist: list[tuple[dt.date, float]], months: int, origins: int = 6) -> dict:
    import pandas as pd

    y = np.array([v for _, v in hist], float)
    if len(y) < MIN_MONTHS:
        raise PilotageError(f"only {len(y)} complete month(s) of revenue: a forecast needs {MIN_MONTHS}")
    fit, name = _model(y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = fit.get_prediction(start=len(y), end=len(y) + months - 1)
        f80, f95 = pred.summary_frame(alpha=0.2), pred.summary_frame(alpha=0.05)
    nxt = pd.date_range(pd.Timestamp(hist[-1][0]) + pd.offsets.MonthBegin(1), periods=months, freq="MS")
    rows = [{"month": m.date().isoformat()[:7], "forecast": round(max(float(a), 0.0), 2),
             "lo80": round(max(float(b), 0.0), 2), "hi80": round(max(float(c), 0.0), 2),
             "lo95": round(max(float(d), 0.0), 2), "hi95": round(max(float(e), 0.0), 2)}
            for m, a, b, c, d, e in zip(nxt, f80["mean"], f80["pi_lower"], f80["pi_upper"],
                                        f95["pi_lower"], f95["pi_upper"], strict=True)]
    return {"model": name, "history": [{"month": m.isoformat()[:7], "revenue": round(v, 2)} for m, v in hist],
            "forecast": rows, "backtest": backtest(y, horizon=min(3, months), origins=origins)}
