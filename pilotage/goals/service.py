"""Goals on any catalogue KPI, their progress, pace and status (docs/goals.md).

A goal is (KPI, owner, fiscal period, target); owner is a rep, a team or the company.
Imported quotas (the ``quotas`` table) are goals too, on their metric's KPI.

Progress of a goal, at a date ``as_of`` (default today), over its period [start, end):

- ``value``: the KPI computed by the engine over the goal's cut (its owner, from the
  period's start to ``as_of`` included), one query per (KPI, period, owner kind);
- ``attainment``: value / target when higher is better, target / value when lower is
  better (a 40-day sales cycle against a 30-day goal is 30 / 40 = 75 %);
- ``pace_value``: the projected end value. Additive KPIs (counts, sums) follow the run
  rate: value × days in period / days elapsed; other KPIs (rates, averages) are
  projected flat (the value so far). ``pace_with_pipeline`` (revenue and deals won):
  value + the weighted open pipeline expected to close before the period ends;
- ``status``: ``on_track`` when the pace reaches the target (projected attainment
  ≥ 100 %), ``at_risk`` from 90 % to 100 %, ``behind`` under 90 %; once the period is
  over ``met`` / ``missed``; ``not_started`` before it, ``no_data`` when the KPI has no
  value.
"""

from __future__ import annotations

import datetime as dt
import math

from pilotage.catalogue.kpis import BY_ID
from pilotage.catalogue.model import Simple
from pilotage.errors import InvalidCut, PilotageError, UnknownKpi, shorten
from pilotage.goals import periods as GP
from pilotage.goals import store as S

ON_TRACK, AT_RISK = 1.0, 0.9  # projected attainment thresholds of the status (docs/goals.md)
MILESTONES = (50, 90, 100)
OWNER_TYPES = ("rep", "team", "company")
PIPELINE_KPIS = {"revenue": "weighted", "deals_won": "probability"}


class Forbidden(PilotageError):
    """The user's role does not allow this (a rep setting goals, a manager outside their teams)."""

    http_status = 403


def additive(kpi_id: str) -> bool:
    """Counts and sums add up over reps and over days (their run rate and rollup make sense)."""
    k = BY_ID.get(kpi_id)
    if k is None:
        raise UnknownKpi(f"unknown KPI {shorten(kpi_id)}: see `pilotage kpis` for the catalogue")
    return isinstance(k.kind, Simple) and k.kind.measure.agg in ("count", "sum") and k.kind.measure.anchor is not None


def _today(as_of) -> dt.date:
    from pilotage.periods import parse_date

    return parse_date(as_of, "as_of") or dt.date.today()


# --------------------------------------------------------------------------- scope
def _rep_team(ws) -> dict[str, str | None]:
    return {r: t for r, t in ws.db.fetchall(f"SELECT rep_id, team_id FROM {ws.db.q('reps')}")}


def _names(ws, table: str, key: str) -> dict[str, str]:
    return {str(i): str(n) for i, n in ws.db.fetchall(f"SELECT {key}, name FROM {ws.db.q(table)}")}


def can_see(goal: dict, user, rep_team: dict) -> bool:
    """A rep sees their own goals; a manager their teams' and their teams' reps'; admins everything."""
    if user is None or user.role == "admin":
        return True
    if user.role == "rep":
        return goal["owner_type"] == "rep" and goal["owner_id"] == user.rep_id
    teams = set(user.team_ids)
    if goal["owner_type"] == "team":
        return goal["owner_id"] in teams
    if goal["owner_type"] == "rep":
        return goal["owner_id"] == user.rep_id or rep_team.get(goal["owner_id"]) in teams
    return False


def can_set(owner_type: str, owner_id: str | None, user, rep_team: dict) -> bool:
    if user is None or user.role == "admin":
        return True
    if user.role != "manager":
        return False
    teams = set(user.team_ids)
    return (owner_type == "team" and owner_id in teams) or (owner_type == "rep" and rep_team.get(owner_id) in teams)


def _audit(ws, user, action: str, detail: dict) -> None:
    """Goal and challenge changes in the workspace's audit log (pilotage.auth.store), as `pilotage audit` shows."""
    import json

    from pilotage.auth.store import AuthStore

    actor = user.email if user is not None else "cli"
    AuthStore(ws.db).audit(actor, action, detail.get("goal_id") or detail.get("challenge_id"),
                           json.dumps(detail, default=str)[:500])


# --------------------------------------------------------------------------- writing
def set_goal(ws, kpi: str, period: str, target: float, *, rep: str | None = None, team: str | None = None,
             user=None) -> dict:
    """Create the goal, or change its target when the same KPI, owner and period already has one."""
    if kpi not in BY_ID:
        raise UnknownKpi(f"unknown KPI {kpi!r} (see `pilotage kpis`)")
    if rep and team:
        raise InvalidCut("a goal is for one rep, one team or the company: give --rep or --team, not both")
    try:
        target = float(target)
    except (TypeError, ValueError):
        raise InvalidCut(f"target {target!r}: expected a number") from None
    if not math.isfinite(target) or target < 0 or (target == 0 and BY_ID[kpi].better == "down"):
        raise InvalidCut(f"target {target:g}: expected a positive number")
    st = ws.settings
    label, start, end = GP.parse(period, st.fiscal_year_start, st.week_start)
    owner_type, owner_id = ("rep", rep) if rep else ("team", team) if team else ("company", None)
    if owner_type != "company":
        table = "reps" if owner_type == "rep" else "teams"
        if owner_id not in _names(ws, table, f"{owner_type}_id"):
            raise InvalidCut(f"{owner_type} {owner_id!r}: no such {owner_type} in {table}")
    rep_team = _rep_team(ws)
    if not can_set(owner_type, owner_id, user, rep_team):
        raise Forbidden(f"{user.email} ({user.role}) may not set goals for {owner_type} {owner_id or ''}".strip())
    db = ws.db
    same = S.rows(db, f"SELECT goal_id, target FROM {db.q('goals')} WHERE kpi = ? AND owner_type = ? AND "
                      f"COALESCE(owner_id, '') = ? AND period_start = ? AND period_end = ?",
                  [kpi, owner_type, owner_id or "", start, end])
    with db.transaction():
        if same:
            goal_id = same[0]["goal_id"]
            S.run(db, f"UPDATE {db.q('goals')} SET target = ? WHERE goal_id = ?", [target, goal_id])
            S.run(db, f"DELETE FROM {db.q('goal_milestones')} WHERE goal_id = ?", [goal_id])
        else:
            goal_id = S.new_id("g")
            S.insert(db, "goals", {"goal_id": goal_id, "kpi": kpi, "owner_type": owner_type, "owner_id": owner_id,
                                   "period": label, "period_start": start, "period_end": end, "target": target,
                                   "created_at": S.now(), "created_by": getattr(user, "email", None)})
    _audit(ws, user, "goal.set", {"goal_id": goal_id, "kpi": kpi, "owner_type": owner_type, "owner_id": owner_id,
                                  "period": label, "target": target,
                                  "previous_target": same[0]["target"] if same else None})
    return {"goal_id": goal_id, "kpi": kpi, "owner_type": owner_type, "owner_id": owner_id, "period": label,
            "period_start": start.isoformat(), "period_end": end.isoformat(), "target": target,
            "replaced": bool(same)}


def delete_goal(ws, goal_id: str, user=None) -> None:
    db = ws.db
    found = S.rows(db, f"SELECT * FROM {db.q('goals')} WHERE goal_id = ?", [goal_id])
    if not found:
        raise InvalidCut(f"goal {goal_id!r}: no such goal (imported quotas are removed by importing them)")
    g = found[0]
    if not can_set(g["owner_type"], g["owner_id"], user, _rep_team(ws)):
        raise Forbidden(f"{user.email} ({user.role}) may not delete goal {goal_id}")
    with db.transaction():
        S.run(db, f"DELETE FROM {db.q('goals')} WHERE goal_id = ?", [goal_id])
        S.run(db, f"DELETE FROM {db.q('goal_milestones')} WHERE goal_id = ?", [goal_id])
    _audit(ws, user, "goal.delete", {"goal_id": goal_id})


# --------------------------------------------------------------------------- reading
def _d(v) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else v if isinstance(v, dt.date) else dt.date.fromisoformat(str(v))


def all_goals(ws) -> list[dict]:
    """The goals set in the app and the imported quotas (as goals on their metric's KPI)."""
    db = ws.db
    out = []
    for g in S.rows(db, f"SELECT goal_id, kpi, owner_type, owner_id, period, period_start, period_end, target "
                        f"FROM {db.q('goals')}"):
        out.append({**g, "period_start": _d(g["period_start"]), "period_end": _d(g["period_end"]),
                    "target": float(g["target"]), "source": "set"})
    fy = ws.settings.fiscal_year_start
    for q in S.rows(db, f"SELECT quota_id, rep_id, team_id, metric, period_start, period_end, target "
                        f"FROM {db.q('quotas')}"):
        if q["metric"] not in BY_ID:
            continue
        s, e = _d(q["period_start"]), _d(q["period_end"])
        out.append({"goal_id": f"quota:{q['quota_id']}", "kpi": q["metric"],
                    "owner_type": "rep" if q["rep_id"] else "team", "owner_id": q["rep_id"] or q["team_id"],
                    "period": GP.label(s, e, fy), "period_start": s, "period_end": e,
                    "target": float(q["target"]), "source": "quota"})
    return out


def select(ws, goals: list[dict], *, period: str | None, rep: str | None, team: str | None, as_of: dt.date,
           user, rep_team: dict) -> list[dict]:
    """Goals within ``period`` (default: running at ``as_of``; ``all``: every one), of ``rep`` or of ``team``
    and its reps, that the user may see."""
    if rep and team:
        raise InvalidCut("give --rep or --team, not both")
    if period in (None, ""):
        goals = [g for g in goals if g["period_start"] <= as_of < g["period_end"]]
    elif period != "all":
        st = ws.settings
        _, ps, pe = GP.parse(period, st.fiscal_year_start, st.week_start)
        goals = [g for g in goals if g["period_start"] >= ps and g["period_end"] <= pe]
    if rep:
        goals = [g for g in goals if g["owner_type"] == "rep" and g["owner_id"] == rep]
    if team:
        goals = [g for g in goals if (g["owner_type"] == "team" and g["owner_id"] == team)
                 or (g["owner_type"] == "rep" and rep_team.get(g["owner_id"]) == team)]
    return [g for g in goals if can_see(g, user, rep_team)]


def rollups(goals: list[dict], rep_team: dict) -> list[dict]:
    """Team goals rolled up from their reps' goals: the sum of the targets, for additive KPIs only
    (a rate keeps its own target). Set team goals get ``rollup_target``; teams without one get a
    ``rollup`` goal."""
    sums: dict[tuple, float] = {}
    for g in goals:
        if g["owner_type"] == "rep" and additive(g["kpi"]) and rep_team.get(g["owner_id"]):
            key = (g["kpi"], rep_team[g["owner_id"]], g["period_start"], g["period_end"])
            sums[key] = sums.get(key, 0.0) + g["target"]
    out = []
    seen = set()
    for g in goals:
        g = dict(g)
        if g["owner_type"] == "team":
            key = (g["kpi"], g["owner_id"], g["period_start"], g["period_end"])
            g["rollup_target"] = sums.get(key)
            seen.add(key)
        out.append(g)
    for key, total in sums.items():
        if key not in seen:
            kpi, team, s, e = key
            period = next(x["period"] for x in goals if x["kpi"] == kpi and x["period_start"] == s
                          and x["period_end"] == e)
            out.append({"goal_id": f"rollup:{kpi}:{team}:{period}", "kpi": kpi, "owner_type": "team",
                        "owner_id": team, "period": period, "period_start": s, "period_end": e,
                        "target": total, "source": "rollup", "rollup_target": total})
    return out


def _values(ws, goals: list[dict], as_of: dt.date, user) -> dict[str, float | None]:
    """goal_id -> KPI value over the goal's cut, one engine query per (KPI, period, owner kind)."""
    from pilotage import service
    from pilotage.engine import query

    groups: dict[tuple, list[dict]] = {}
    for g in goals:
        if g["period_start"] > as_of:
            continue
        end = min(g["period_end"], as_of + dt.timedelta(days=1))
        groups.setdefault((g["kpi"], g["period_start"], end, g["owner_type"]), []).append(g)
    out: dict[str, float | None] = {}
    for (kpi, start, end, owner_type), gs in groups.items():
        dims = query.dimensions_of(BY_ID[kpi])
        if owner_type != "company" and owner_type not in dims:
            for g in gs:
                out[g["goal_id"]] = None
            continue
        if owner_type == "company":
            df = service.kpi_query(ws, [kpi], start=start, end=end, user=user)
            v = service._clean(df[kpi].iloc[0]) if len(df) else None
            for g in gs:
                out[g["goal_id"]] = v
            continue
        ids = sorted({g["owner_id"] for g in gs})
        df = service.kpi_query(ws, [kpi], by=[owner_type], start=start, end=end, filters={owner_type: ids},
                               user=user)
        found = {str(r[owner_type]): service._clean(r[kpi]) for r in df.to_dict(orient="records")}
        for g in gs:
            out[g["goal_id"]] = found.get(g["owner_id"])
    return out


def _pipeline(ws, goals: list[dict], as_of: dt.date) -> dict[str, float]:
    """goal_id -> weighted open pipeline expected to close between ``as_of`` and the period's end
    (revenue: Σ amount × stage win probability; deals won: Σ probability), by the engine."""
    from pilotage.engine import query

    wanted = [g for g in goals if g["kpi"] in PIPELINE_KPIS and g["period_start"] <= as_of < g["period_end"]]
    if not wanted:
        return {}
    day = as_of + dt.timedelta(days=1)
    cut = query.Cut.make(["weighted_pipeline"], start=as_of, end=day, settings=ws.settings)
    ctx = query.Context(ws.db, ws.settings, cut)
    if not ctx.available(("opportunities", "stages")):
        return {}
    f = ctx.fact("open_at_end")
    out = {}
    for g in wanted:
        col = PIPELINE_KPIS[g["kpi"]]
        t = f.filter(f.expected_close_date.notnull(), f.expected_close_date >= as_of,
                     f.expected_close_date < g["period_end"])
        if g["owner_type"] != "company":
            t = t.filter(t[g["owner_type"]] == g["owner_id"])
        v = t[col].sum().cast("float64").execute()
        out[g["goal_id"]] = float(v) if v is not None and not (isinstance(v, float) and math.isnan(v)) else 0.0
    return out


def attainment(value: float | None, target: float, better: str) -> float | None:
    """value / target, or target / value for a lower-is-better KPI; None without a value."""
    if value is None or target is None:
        return None
    if better == "down":
        return None if value <= 0 else target / value
    return None if target == 0 else value / target


def evaluate(g: dict, value: float | None, as_of: dt.date, pipeline: float | None = None) -> dict:
    """The progress fields of one goal (module docstring: pace and status)."""
    k = BY_ID[g["kpi"]]
    s, e = g["period_start"], g["period_end"]
    total = (e - s).days
    elapsed = max(0, min((as_of - s).days + 1, total))  # as_of counts as elapsed
    pace = None
    if value is not None and elapsed > 0:
        pace = value * total / elapsed if additive(g["kpi"]) and elapsed < total else value
    att = attainment(value, g["target"], k.better)
    projected = attainment(pace, g["target"], k.better)
    if as_of < s:
        status = "not_started"
    elif as_of >= e:
        status = "no_data" if att is None else "met" if att >= 1 else "missed"
    elif projected is None:
        status = "no_data"
    else:
        status = "on_track" if projected >= ON_TRACK else "at_risk" if projected >= AT_RISK else "behind"
    with_pipe = None if pipeline is None or value is None else value + pipeline
    return {"value": value, "attainment": _r(att), "pace_value": _r(pace, 6), "pace_with_pipeline": _r(with_pipe, 6),
            "projected_attainment": _r(projected), "status": status, "days_total": total,
            "days_elapsed": elapsed, "days_left": total - elapsed}


def _r(v, digits: int = 6):
    return None if v is None else float(f"{v:.{13 if digits > 6 else 10}g}")


def progress(ws, *, period: str | None = None, rep: str | None = None, team: str | None = None,
             as_of=None, user=None) -> list[dict]:
    """One object per goal: the CLI's ``goals progress --format json`` and the API's shape."""
    as_of = _today(as_of)
    rep_team = _rep_team(ws)
    goals = select(ws, rollups(all_goals(ws), rep_team), period=period, rep=rep, team=team, as_of=as_of,
                   user=user, rep_team=rep_team)
    values = _values(ws, goals, as_of, user)
    pipe = _pipeline(ws, goals, as_of)
    names = {"rep": _names(ws, "reps", "rep_id"), "team": _names(ws, "teams", "team_id")}
    out = []
    for g in goals:
        k = BY_ID[g["kpi"]]
        row = {"goal_id": g["goal_id"], "kpi": g["kpi"], "owner_type": g["owner_type"], "owner_id": g["owner_id"],
               "owner_name": names.get(g["owner_type"], {}).get(g["owner_id"]) if g["owner_id"] else None,
               "period": g["period"], "period_start": g["period_start"].isoformat(),
               "period_end": g["period_end"].isoformat(), "target": g["target"], "source": g["source"],
               "rollup_target": g.get("rollup_target"), "unit": k.unit, "better": k.better}
        row.update(evaluate(g, values.get(g["goal_id"]), as_of, pipe.get(g["goal_id"])))
        out.append(row)
    order = {"company": 0, "team": 1, "rep": 2}
    out.sort(key=lambda r: (r["period_start"], r["kpi"], order[r["owner_type"]], r["owner_id"] or ""))
    return out


def check_milestones(ws, as_of=None) -> list[dict]:
    """Announce the 50/90/100 % milestones the running goals have newly reached (after a goal is set,
    after each import): in-app notifications, and e-mails when SMTP settings exist."""
    from pilotage.goals import notify

    if not S.rows(ws.db, f"SELECT 1 AS x FROM {ws.db.q('goals')} LIMIT 1") and \
            not S.rows(ws.db, f"SELECT 1 AS x FROM {ws.db.q('quotas')} LIMIT 1"):
        return []
    return notify.check(ws, progress(ws, as_of=as_of))


BUCKETS = ((0.0, 0.5, "< 50 %"), (0.5, 0.8, "50-80 %"), (0.8, 1.0, "80-100 %"), (1.0, 1.2, "100-120 %"),
           (1.2, math.inf, "≥ 120 %"))
HEALTHY = (0.5, 0.7)  # share of reps at or above quota a sales-ops lead calls healthy
WARN_BELOW = 0.6  # under this share of reps at quota, quotas are likely too ambitious


def team_picture(ws, *, period: str | None = None, team: str | None = None, kpi: str = "revenue",
                 as_of=None, user=None) -> dict:
    """The team's quota picture over the reps' goals on ``kpi`` in ``period``: share at quota (with the
    < 60 % warning), the attainment distribution, quota-quality signals (healthy when 50-70 % of reps are
    at or above quota; the share within ±20 % of their target). One goal per rep and period: a goal set
    in the app wins over an imported quota."""
    rows = [r for r in progress(ws, period=period, team=team, as_of=as_of, user=user)
            if r["kpi"] == kpi and r["owner_type"] == "rep" and r["attainment"] is not None]
    best: dict[tuple, dict] = {}
    for r in rows:
        key = (r["owner_id"], r["period_start"], r["period_end"])
        if key not in best or (best[key]["source"] == "quota" and r["source"] == "set"):
            best[key] = r
    rows = sorted(best.values(), key=lambda r: (r["period_start"], -(r["attainment"] or 0)))
    n = len(rows)
    at = sum(1 for r in rows if r["attainment"] >= 1)
    within = sum(1 for r in rows if abs(r["attainment"] - 1) <= 0.2)
    share = at / n if n else None
    dist = [{"bucket": label, "reps": sum(1 for r in rows if lo <= r["attainment"] < hi)} for lo, hi, label in BUCKETS]
    signals = []
    if share is not None and share < WARN_BELOW:
        signals.append(f"only {share:.0%} of reps at quota (under {WARN_BELOW:.0%}): quotas are likely too ambitious")
    if share is not None and not HEALTHY[0] <= share <= HEALTHY[1]:
        signals.append(f"{share:.0%} at or above quota: outside the healthy {HEALTHY[0]:.0%}-{HEALTHY[1]:.0%} band"
                       + (" (quotas likely too easy)" if share > HEALTHY[1] else ""))
    return {"kpi": kpi, "period": period, "team": team, "reps": n, "reps_at_quota": at, "share_at_quota": share,
            "warning": share is not None and share < WARN_BELOW, "healthy": None if share is None else
            HEALTHY[0] <= share <= HEALTHY[1], "within_20_share": within / n if n else None,
            "distribution": dist, "signals": signals,
            "at_risk": [r for r in rows if r["status"] in ("at_risk", "behind")], "goals": rows}
