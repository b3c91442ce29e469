"""Open deals: forecast categories, slipping and stuck deals, and a calibrated win probability.

Win probability (scikit-learn): one training example per (closed deal, stage it went
through), labelled won or lost; features: pipeline and stage, days spent in that stage
(log), source, account segment, amount (log), activities logged on the deal. A logistic
regression calibrated by Platt scaling (`CalibratedClassifierCV`, sigmoid, 3 folds).
Backtested on a time split: trained on the deals closed before the 80th percentile of close
dates, scored on those closed after, beside the stage-average baseline (each stage's win
rate in the training part). Brier score = mean (p - won)²; lower is better. The weighted
pipeline uses the model only where it beats the baseline on that backtest.

Note: a closed deal's days in a stage are the whole stay, an open deal's the stay so far
(right-censored); the training examples take half their stay (where a deal seen at a random
moment stands on average), so that the two are read alike.

Stuck: an open deal whose time in its current stage exceeds the 90th percentile of the
stays in that stage (stage history of every deal that left it). Slipping: expected close
date before the as-of date, still open.
"""

from __future__ import annotations

import datetime as dt
import math

from pilotage.errors import PilotageError

CATEGORIES = ("closed", "commit", "best_case", "pipeline", "omitted")
FEATURES_CAT = ("pipeline", "stage", "source", "segment")


def _frames(ws):
    """Deals with segment and activity counts, and the stage history (pandas)."""
    import pandas as pd

    o = ws.db.table("opportunities").execute()
    a = ws.db.table("accounts").select("account_id", "segment", account_name="name").execute()
    sc = ws.db.table("stage_changes").execute()
    act = ws.db.table("activities")
    act = act.filter(act.opportunity_id.notnull())
    act = act.group_by("opportunity_id").aggregate(activities=act.count())
    acts = act.execute()
    o = o.merge(a, on="account_id", how="left").merge(acts, on="opportunity_id", how="left")
    o["activities"] = o["activities"].fillna(0).astype(int)
    o["amount"] = pd.to_numeric(o["amount"]).astype(float)
    for c in ("source", "segment"):
        o[c] = o[c].fillna("—").astype(str)
    return o, sc


def as_of_date(o, sc) -> dt.datetime:
    """The data's "now": the latest creation, close or stage change (a frozen export is judged at its date)."""
    import pandas as pd

    cands = [o["created_at"].max(), o["closed_at"].max(), sc["entered_at"].max() if len(sc) else None]
    return max(pd.Timestamp(c) for c in cands if c is not None and not pd.isna(c)).to_pydatetime()


def _stays(o, sc, now):
    """One row per (deal, stage entered): days in it (to the next stage, the close, or `now`) and whether
    the deal left it. Deals without history get one stay in their current stage from creation."""
    import pandas as pd

    sc = sc[sc["opportunity_id"].isin(o["opportunity_id"])]
    have = set(sc["opportunity_id"])
    first = o[~o["opportunity_id"].isin(have)][["opportunity_id", "stage", "created_at"]].rename(
        columns={"created_at": "entered_at"})
    st = pd.concat([sc[["opportunity_id", "stage", "entered_at"]], first], ignore_index=True)
    st = st.sort_values(["opportunity_id", "entered_at"])
    st["next_at"] = st.groupby("opportunity_id")["entered_at"].shift(-1)
    info = o.set_index("opportunity_id")
    st["status"] = st["opportunity_id"].map(info["status"])
    st["closed_at"] = st["opportunity_id"].map(info["closed_at"])
    end = st["next_at"].fillna(st["closed_at"]).fillna(pd.Timestamp(now))
    st["left"] = st["next_at"].notna() | (st["status"] != "open")
    st["days"] = ((end - st["entered_at"]).dt.total_seconds() / 86400).clip(lower=0)
    st["pipeline"] = st["opportunity_id"].map(info["pipeline"])
    return st


def _design(df, columns=None):
    import numpy as np
    import pandas as pd

    X = pd.DataFrame({"log_days": np.log1p(df["days"].astype(float)),
                      "log_amount": np.log1p(df["amount"].clip(lower=0).astype(float)),
                      "activities": np.log1p(df["activities"].astype(float))})
    for c in FEATURES_CAT:
        X = X.join(pd.get_dummies(df[c].astype(str), prefix=c, prefix_sep="=", dtype=float))
    if columns is not None:
        X = X.reindex(columns=columns, fill_value=0.0)
    return X


def _examples(o, st):
    closed = o[o["status"] != "open"].set_index("opportunity_id")
    if closed.empty:  # nothing to learn from (and pandas cannot map an empty frame's dates)
        return st.iloc[0:0].assign(source=[], segment=[], amount=[], activities=[], won=[], closed_at=[])
    ex = st[st["opportunity_id"].isin(closed.index)].copy()
    for c in ("source", "segment", "amount", "activities"):
        ex[c] = ex["opportunity_id"].map(closed[c])
    ex["won"] = (ex["opportunity_id"].map(closed["status"]) == "won").astype(int)
    ex["closed_at"] = ex["opportunity_id"].map(closed["closed_at"])
    # an open deal is seen part-way through its stay (on average half-way): so are the training examples,
    # else "recently in stage" would read as "about to move on" for every open deal
    ex["days"] = ex["days"] / 2
    # the closing stage itself of a won deal says "won": not a prediction
    return ex[~((ex["won"] == 1) & (~ex["left"] | (ex["next_at"].isna())) & (ex["stage"] == ex["opportunity_id"].map(
        closed["stage"])))]


def _fit(ex):
    import warnings

    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression

    X = _design(ex)
    mu, sd = X.mean(), X.std().replace(0, 1)
    Xs = (X - mu) / sd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = CalibratedClassifierCV(LogisticRegression(C=1.0, max_iter=2000), method="sigmoid", cv=3)
        cal.fit(Xs.values, ex["won"].values)
        plain = LogisticRegression(C=1.0, max_iter=2000).fit(Xs.values, ex["won"].values)
    return {"cal": cal, "plain": plain, "columns": list(X.columns), "mu": mu, "sd": sd}


def _predict(model, df):
    X = (_design(df, model["columns"]) - model["mu"]) / model["sd"]
    return model["cal"].predict_proba(X.values)[:, 1], X


def _stage_rates(ex):
    g = ex.groupby(["pipeline", "stage"])["won"].mean()
    return {k: float(v) for k, v in g.items()}, float(ex["won"].mean())


def backtest(o, st) -> dict:
    """Time split: train before the 80th percentile of close dates, test after."""
    import numpy as np

    ex = _examples(o, st)
    if ex["won"].nunique() < 2 or len(ex) < 50:
        return {"trained": 0, "tested": 0, "brier": None, "baseline_brier": None, "beats_baseline": False,
                "calibration": [], "verdict": "too little closed history (50 stage visits, wins and losses)"}
    cut = ex["closed_at"].quantile(0.8)
    train, test = ex[ex["closed_at"] < cut], ex[ex["closed_at"] >= cut]
    if train["won"].nunique() < 2 or test.empty:
        return {"trained": len(train), "tested": len(test), "brier": None, "baseline_brier": None,
                "beats_baseline": False, "calibration": [], "verdict": "the time split leaves one class only"}
    model = _fit(train)
    p, _ = _predict(model, test)
    rates, overall = _stage_rates(train)
    base = np.array([rates.get((a, b), overall) for a, b in zip(test["pipeline"], test["stage"], strict=True)])
    y = test["won"].to_numpy()
    brier, bbrier = float(np.mean((p - y) ** 2)), float(np.mean((base - y) ** 2))
    bins = np.minimum((p * 10).astype(int), 9)
    table = [{"bin": f"{b / 10:.1f}–{(b + 1) / 10:.1f}", "deals": int((bins == b).sum()),
              "predicted": round(float(p[bins == b].mean()), 3), "observed": round(float(y[bins == b].mean()), 3)}
             for b in range(10) if (bins == b).any()]
    beats = brier < bbrier
    return {"trained": int(len(train)), "tested": int(len(test)), "split_at": str(cut)[:10],
            "brier": round(brier, 4), "baseline_brier": round(bbrier, 4), "beats_baseline": bool(beats),
            "calibration": table,
            "verdict": ("the model beats the stage-average baseline" if beats else
                        "the model is no better than the stage averages: the weighted pipeline uses them")}


def _factors(model, X_row, lang: str = "en", top: int = 3) -> list[str]:
    """The strongest contributions (coefficient × standardised value) of the plain logistic regression."""
    coef = model["plain"].coef_[0]
    contrib = coef * X_row
    out = []
    for i in sorted(range(len(coef)), key=lambda i: -abs(contrib[i]))[:top]:
        if abs(contrib[i]) < 0.05:
            break
        name = model["columns"][i]
        up = contrib[i] > 0
        if "=" in name:
            k, v = name.split("=", 1)
            label = {"stage": "étape"}.get(k, k) if lang == "fr" else k
            what = f"{label} {v}"
            if X_row[i] < 0:  # the deal is *not* in that category: skip, it says little
                continue
        else:
            high = X_row[i] > 0
            what = {"log_days": {"en": "long in stage" if high else "recently in stage",
                                 "fr": "longtemps à cette étape" if high else "récemment à cette étape"},
                    "log_amount": {"en": "large amount" if high else "small amount",
                                   "fr": "montant élevé" if high else "petit montant"},
                    "activities": {"en": "many activities" if high else "few activities",
                                   "fr": "beaucoup d'activités" if high else "peu d'activités"}}[name][lang]
        out.append(f"{what} {'↑' if up else '↓'}")
    return out


def in_scope(result: dict, reps) -> dict:
    """``open_deals``'s answer cut to the deals of ``reps`` (None: every deal); the model's backtest
    stays (it describes the company's model, see :mod:`pilotage.forecast.scope`)."""
    if reps is None:
        return result
    return {**result, "deals": [d for d in result["deals"] if str(d["owner_rep_id"]) in reps]}


def open_deals(ws, user=None, lang: str = "en", as_of=None, frames=None) -> dict:
    """Open deals with win probability, factors, category, slipping and stuck flags; the backtest.
    ``frames``: `_frames(ws)` already read (the web app reads on a reader and fits outside it).
    ``user``: the deals listed are those of the user's scope (the model learns from every deal)."""
    from pilotage.forecast.scope import reps_in_scope

    res = _open_deals(frames if frames is not None else _frames(ws), lang, as_of)
    return in_scope(res, reps_in_scope(ws, user))


def _open_deals(frames, lang: str = "en", as_of=None) -> dict:
    import numpy as np
    import pandas as pd

    o, sc = frames
    if o.empty:
        raise PilotageError("no opportunities: import deals first")
    now = pd.Timestamp(as_of).to_pydatetime() if as_of else as_of_date(o, sc)
    st = _stays(o, sc, now)
    bt = backtest(o, st)
    ex = _examples(o, st)
    rates, overall = _stage_rates(ex) if len(ex) else ({}, float("nan"))
    cur = st[~st["left"] & (st["status"] == "open")].drop_duplicates("opportunity_id", keep="last")
    opn = o[o["status"] == "open"].merge(cur[["opportunity_id", "days"]], on="opportunity_id", how="left")
    opn["days"] = opn["days"].fillna(0.0)
    left = st[st["left"]]
    p90 = left.groupby(["pipeline", "stage"])["days"].quantile(0.9).to_dict()
    model = _fit(ex) if len(ex) >= 50 and ex["won"].nunique() == 2 else None
    if model is not None and len(opn):
        p, X = _predict(model, opn)
    else:
        p, X = np.full(len(opn), np.nan), None
    rows, today = [], pd.Timestamp(now).normalize()
    for i, r in enumerate(opn.itertuples(index=False)):
        base = rates.get((r.pipeline, r.stage), overall)
        prob = float(p[i]) if model is not None else None
        used = prob if (bt["beats_baseline"] and prob is not None) else base
        limit = p90.get((r.pipeline, r.stage))
        ecd = r.expected_close_date
        rows.append({
            "opportunity_id": r.opportunity_id, "owner_rep_id": r.owner_rep_id, "account_id": r.account_id,
            "account_name": None if r.account_name is None or pd.isna(r.account_name) else str(r.account_name),
            "pipeline": r.pipeline, "stage": r.stage, "amount": round(float(r.amount), 2),
            "forecast_category": r.forecast_category if isinstance(r.forecast_category, str) and r.forecast_category
            else "pipeline",
            "expected_close_date": None if ecd is None or pd.isna(ecd) else str(ecd)[:10],
            "days_in_stage": round(float(r.days), 1),
            "win_probability": None if prob is None else round(prob, 4),
            "stage_probability": None if base is None or math.isnan(base) else round(base, 4),
            "weighted": None if used is None or math.isnan(used) else round(float(r.amount) * used, 2),
            "factors": _factors(model, X.values[i], lang) if model is not None else [],
            "slipping": bool(ecd is not None and not pd.isna(ecd) and pd.Timestamp(ecd) < today),
            "stuck": bool(limit is not None and r.days > limit),
            "stage_p90_days": None if limit is None else round(float(limit), 1),
        })
    rows.sort(key=lambda d: (-(d["weighted"] or 0), d["opportunity_id"]))
    return {"as_of": str(now)[:10], "backtest": bt, "deals": rows}


def categories(ws, start=None, end=None, by: str | None = None, user=None) -> list[dict]:
    """Forecast by category (closed = won in the period, then open deals by their category) and by
    expected close month; `by`: None (company), "rep" or "team"; the deals of ``user``'s scope."""
    import pandas as pd

    from pilotage.forecast.scope import reps_in_scope

    o, _ = _frames(ws)
    allowed = reps_in_scope(ws, user)
    if allowed is not None:
        o = o[o["owner_rep_id"].astype(str).isin(allowed)]
    reps = ws.db.table("reps").select("rep_id", "team_id").execute().set_index("rep_id")["team_id"]
    o["rep"] = o["owner_rep_id"]
    o["team"] = o["owner_rep_id"].map(reps).fillna("—")
    s = pd.Timestamp(start) if start else None
    e = pd.Timestamp(end) if end else None
    won = o[o["status"] == "won"]
    if s is not None:
        won = won[won["closed_at"] >= s]
    if e is not None:
        won = won[won["closed_at"] < e]
    opn = o[o["status"] == "open"].copy()
    ecd = pd.to_datetime(opn["expected_close_date"])
    if s is not None:
        opn = opn[ecd.isna() | (ecd >= s)]
    if e is not None:
        opn = opn[pd.to_datetime(opn["expected_close_date"]).isna() | (pd.to_datetime(opn["expected_close_date"]) < e)]
    opn["category"] = opn["forecast_category"].fillna("pipeline")
    opn["month"] = pd.to_datetime(opn["expected_close_date"]).dt.strftime("%Y-%m").fillna("—")
    won = won.assign(category="closed", month=won["closed_at"].dt.strftime("%Y-%m"))
    allr = pd.concat([won, opn], ignore_index=True)
    keys = ([by] if by else []) + ["month", "category"]
    g = allr.groupby(keys, dropna=False).agg(deals=("opportunity_id", "size"), amount=("amount", "sum")).reset_index()
    return [{k: (round(float(v), 2) if k == "amount" else int(v) if k == "deals" else v) for k, v in r.items()}
            for r in g.to_dict(orient="records")]


def summary(rows: list[dict]) -> dict:
    """Totals of ``open_deals``'s deals: how many, their amount, the weighted amount (model or stage
    averages, as each deal's ``weighted``), how many are slipping and stuck."""
    return {"deals": len(rows), "amount": round(sum(d["amount"] for d in rows), 2),
            "weighted": round(sum(d["weighted"] or 0 for d in rows), 2),
            "slipping": sum(d["slipping"] for d in rows), "stuck": sum(d["stuck"] for d in rows)}


def category_table(rows: list[dict], key: str = "month") -> list[dict]:
    """``categories``'s rows as one row per ``key`` (month, rep or team) with the amount of each
    category and their total, ``key`` values in order ("—", no date, last)."""
    out: dict = {}
    for r in rows:
        k = r.get(key) or "—"
        g = out.setdefault(k, {key: k, **{c: 0.0 for c in CATEGORIES}, "total": 0.0})
        g[r["category"]] = g.get(r["category"], 0.0) + r["amount"]
        g["total"] += r["amount"]
    return [{k: (round(v, 2) if isinstance(v, float) else v) for k, v in g.items()}
            for _, g in sorted(out.items(), key=lambda kv: (kv[0] == "—", str(kv[0])))]
