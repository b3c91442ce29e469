"""Sales challenges: a time-boxed contest on a KPI, with a leaderboard, points, badges and rewards.

The leaderboard is the KPI computed by the engine over the challenge's cut (its dates, its
participants, cut by rep or team): one query, never row by row, so it follows every import
while the challenge runs. When the challenge ends its leaderboard is frozen (table
``challenge_results``) and its rewards written to the ledger; later imports change nothing.

Rules (docs/goals.md):
- ranking: by score in the KPI's direction (lower is better for a sales cycle); equal scores
  share a rank (competition ranking: 1, 2, 2, 4) and the badge of that rank; the rewards of
  the positions a tie covers are pooled and split equally (two tied first with 500 and 300
  for first and second: 400 each), so the budget holds; no score, no rank.
- threshold: everyone whose score reaches the threshold earns ``threshold_points`` and the
  threshold rewards (position 0).
- both: ranking and threshold; a rank reward then also needs the threshold met.
Points: ``rank_points`` (default 100, 60, 30 for ranks 1 to 3) + ``threshold_points``.
Badges: gold, silver, bronze for ranks 1, 2 and 3.
"""

from __future__ import annotations

import datetime as dt
import math

from pilotage.catalogue.kpis import BY_ID
from pilotage.errors import InvalidCut, PilotageError, UnknownKpi
from pilotage.goals import store as S
from pilotage.goals.service import Forbidden, _audit, _names, _rep_team

MODES = ("individual", "team")
RULES = ("ranking", "threshold", "both")
REWARD_KINDS = ("bonus", "gift", "trip", "training")
BADGES = {1: "gold", 2: "silver", 3: "bronze"}


def _dim(mode: str) -> str:
    return "rep" if mode == "individual" else "team"


def parse_reward(text: str) -> dict:
    """``1:bonus:500:Prime`` or ``threshold:gift:50:Dîner`` -> a reward (position 0 = threshold)."""
    parts = text.split(":", 3)
    if len(parts) < 2:
        raise InvalidCut(f"reward {text!r}: expected POSITION:KIND[:AMOUNT[:DESCRIPTION]], e.g. 1:bonus:500")
    pos, kind = parts[0].strip().lower(), parts[1].strip().lower()
    try:
        position = 0 if pos == "threshold" else int(pos)
        amount = float(parts[2]) if len(parts) > 2 and parts[2].strip() else None
    except ValueError:
        raise InvalidCut(f"reward {text!r}: the position is a rank (1, 2...) or `threshold`, "
                         "the amount a number") from None
    if position < 0 or kind not in REWARD_KINDS:
        raise InvalidCut(f"reward {text!r}: kind must be one of {', '.join(REWARD_KINDS)}, position ≥ 1 or threshold")
    if amount is not None and (not math.isfinite(amount) or amount < 0):
        raise InvalidCut(f"reward {text!r}: the amount must be a positive number")
    return {"position": position, "kind": kind, "amount": amount,
            "description": parts[3].strip() if len(parts) > 3 else None}


def create(ws, *, name: str, kpi: str, start, end, mode: str = "individual", participants=None,
           rule: str = "ranking", threshold: float | None = None, rank_points=(100, 60, 30),
           threshold_points: int = 50, rewards=(), budget: float | None = None, user=None) -> dict:
    if kpi not in BY_ID:
        raise UnknownKpi(f"unknown KPI {kpi!r} (see `pilotage kpis`)")
    if mode not in MODES:
        raise InvalidCut(f"mode {mode!r}: expected individual or team")
    if rule not in RULES:
        raise InvalidCut(f"rule {rule!r}: expected ranking, threshold or both")
    if rule != "ranking" and threshold is None:
        raise InvalidCut(f"rule {rule!r} needs a --threshold")
    if not (name or "").strip():
        raise InvalidCut("a challenge needs a name")
    from pilotage.periods import parse_date

    start, end = parse_date(start, "start"), parse_date(end, "end")
    if start is None or end is None:
        raise InvalidCut("a challenge needs a start and an end date (YYYY-MM-DD)")
    if end <= start:
        raise InvalidCut(f"the challenge must end after it starts ({start} .. {end}, end excluded)")
    dim = _dim(mode)
    known = _names(ws, "reps" if dim == "rep" else "teams", f"{dim}_id")
    people = sorted(set(participants or known))
    unknown = [p for p in people if p not in known]
    if unknown:
        raise InvalidCut(f"unknown {dim}(s): {', '.join(unknown)}")
    if len(people) < 2:
        raise InvalidCut("a challenge needs at least two participants")
    rewards = [parse_reward(r) if isinstance(r, str) else r for r in rewards]
    cost = worst_case_cost(rewards, len(people))
    if budget is not None and cost > budget:
        raise InvalidCut(f"the rewards may cost {cost:,.2f} (threshold rewards counted for every participant), "
                         f"over the budget of {budget:,.2f}")
    rep_team = _rep_team(ws)
    if user is not None and user.role != "admin":
        teams = set(user.team_ids)
        mine = [p for p in people if (rep_team.get(p) if dim == "rep" else p) in teams]
        if user.role != "manager" or len(mine) != len(people):
            raise Forbidden(f"{user.email} ({user.role}) may only run challenges within their own teams")
    cid = S.new_id("c")
    db = ws.db
    with db.transaction():
        S.insert(db, "challenges", {
            "challenge_id": cid, "name": name.strip(), "kpi": kpi, "mode": mode, "rule": rule,
            "threshold": threshold, "start_date": start, "end_date": end,
            "rank_points": ",".join(str(int(p)) for p in rank_points), "threshold_points": int(threshold_points),
            "budget": budget, "status": "running", "created_at": S.now(),
            "created_by": getattr(user, "email", None), "frozen_at": None})
        for p in people:
            S.insert(db, "challenge_participants", {"challenge_id": cid, "participant_id": p})
        for r in rewards:
            S.insert(db, "challenge_rewards", {"challenge_id": cid, **r})
    _audit(ws, user, "challenge.create", {"challenge_id": cid, "name": name, "kpi": kpi})
    return get(ws, cid, user=user, freeze=False)


def worst_case_cost(rewards: list[dict], n: int) -> float:
    return sum((r["amount"] or 0) * (n if r["position"] == 0 else 1) for r in rewards)


def _challenge(ws, cid: str) -> dict:
    found = S.rows(ws.db, f"SELECT * FROM {ws.db.q('challenges')} WHERE challenge_id = ?", [cid])
    if not found:
        raise InvalidCut(f"challenge {cid!r}: no such challenge (see `pilotage challenges list`)")
    c = found[0]
    c["start_date"], c["end_date"] = _d(c["start_date"]), _d(c["end_date"])
    c["participants"] = [r["participant_id"] for r in S.rows(
        ws.db, f"SELECT participant_id FROM {ws.db.q('challenge_participants')} WHERE challenge_id = ? "
               "ORDER BY participant_id", [cid])]
    c["rewards"] = S.rows(ws.db, f"SELECT position, kind, amount, description FROM {ws.db.q('challenge_rewards')} "
                                 "WHERE challenge_id = ? ORDER BY position, kind", [cid])
    return c


def _d(v) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else v


def _visible(c: dict, user, rep_team: dict) -> bool:
    """A rep sees the challenges they take part in; a manager those with their teams in; admins all."""
    if user is None or user.role == "admin":
        return True
    if user.role == "rep":
        me = user.rep_id if c["mode"] == "individual" else rep_team.get(user.rep_id)
        return me in c["participants"]
    teams = set(user.team_ids)
    return any((rep_team.get(p) if c["mode"] == "individual" else p) in teams for p in c["participants"])


def standings(c: dict, scores: dict[str, float | None], names: dict[str, str]) -> list[dict]:
    """Ranks, points, badges and rewards from the scores (module docstring: the rules, ties)."""
    better = BY_ID[c["kpi"]].better
    rank_points = [int(x) for x in str(c["rank_points"]).split(",") if x.strip()]
    thr = c["threshold"]

    def met(v):
        if thr is None or v is None:
            return None if thr is None else False
        return v <= thr if better == "down" else v >= thr

    scored = sorted((v, p) for p, v in scores.items() if v is not None)
    if better != "down":
        scored.sort(key=lambda x: (-x[0], x[1]))
    ranks, i = {}, 0
    while i < len(scored):
        j = i
        while j < len(scored) and scored[j][0] == scored[i][0]:
            j += 1
        for k in range(i, j):
            ranks[scored[k][1]] = (i + 1, j - i)  # (shared rank, size of the tie)
        i = j
    rows = []
    for p in c["participants"]:
        v = scores.get(p)
        rank, tied = ranks.get(p, (None, 0))
        m = met(v)
        pts = 0
        if c["rule"] in ("ranking", "both") and rank is not None and (c["rule"] == "ranking" or m):
            # a tie pools the points of the positions it covers, split equally (rounded down)
            pts += sum(rank_points[q - 1] for q in range(rank, rank + tied) if q <= len(rank_points)) // tied
        if c["rule"] in ("threshold", "both") and m:
            pts += int(c["threshold_points"])
        rows.append({"participant_id": p, "name": names.get(p, p), "score": v, "rank": rank, "tied": tied > 1,
                     "points": pts, "badge": BADGES.get(rank) if rank else None, "threshold_met": m,
                     "rewards": _rewards_of(c, rank, tied, m)})
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"]))
    return rows


def _rewards_of(c: dict, rank: int | None, tied: int, met) -> list[dict]:
    out = []
    if rank is not None and c["rule"] in ("ranking", "both") and (c["rule"] == "ranking" or met):
        pooled: dict[str, dict] = {}
        for r in c["rewards"]:
            if r["position"] and rank <= r["position"] < rank + tied:
                p = pooled.setdefault(r["kind"], {"kind": r["kind"], "amount": None, "description": []})
                if r["amount"] is not None:
                    p["amount"] = (p["amount"] or 0) + r["amount"] / tied
                if r["description"]:
                    p["description"].append(r["description"])
        for p in pooled.values():
            out.append({"kind": p["kind"], "amount": None if p["amount"] is None else round(p["amount"], 2),
                        "description": " / ".join(p["description"]) or None, "position": rank})
    if met and c["rule"] in ("threshold", "both"):
        out += [{"kind": r["kind"], "amount": r["amount"], "description": r["description"], "position": 0}
                for r in c["rewards"] if r["position"] == 0]
    return out


def _scores(ws, c: dict, upto: dt.date, user=None) -> dict[str, float | None]:
    from pilotage import service

    dim = _dim(c["mode"])
    end = min(c["end_date"], upto)
    if end <= c["start_date"]:
        return {p: None for p in c["participants"]}
    df = service.kpi_query(ws, [c["kpi"]], by=[dim], start=c["start_date"], end=end,
                           filters={dim: c["participants"]})
    found = {str(r[dim]): service._clean(r[c["kpi"]]) for r in df.to_dict(orient="records")}
    return {p: found.get(p) for p in c["participants"]}


def leaderboard(ws, c: dict, user=None, today: dt.date | None = None) -> list[dict]:
    if c["frozen_at"] is not None:
        rows = S.rows(ws.db, f"SELECT * FROM {ws.db.q('challenge_results')} WHERE challenge_id = ?",
                      [c["challenge_id"]])
        ledger = S.rows(ws.db, f"SELECT participant_id, kind, amount, description, rank FROM "
                               f"{ws.db.q('reward_ledger')} WHERE challenge_id = ?", [c["challenge_id"]])
        for r in rows:
            r.pop("challenge_id")
            r["tied"] = sum(1 for x in rows if x["rank"] == r["rank"]) > 1 if r["rank"] else False
            r["rewards"] = [{k: e[k] for k in ("kind", "amount", "description")} | {"position": e["rank"] or 0}
                            for e in ledger if e["participant_id"] == r["participant_id"]]
        rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["name"] or ""))
    else:
        today = today or dt.date.today()
        names = _names(ws, "reps" if c["mode"] == "individual" else "teams", f"{_dim(c['mode'])}_id")
        rows = standings(c, _scores(ws, c, today + dt.timedelta(days=1)), names)
    if user is not None and user.role == "rep":
        rows = [{"name": r["name"], "rank": r["rank"], "score": r["score"]} for r in rows]
    return rows


def _summary(c: dict, today: dt.date) -> dict:
    status = c["status"]
    if status == "running" and today < c["start_date"]:
        status = "upcoming"
    elif status == "running" and today >= c["end_date"]:
        status = "ended"  # frozen at the next import or reading with write access
    return {"challenge_id": c["challenge_id"], "name": c["name"], "kpi": c["kpi"], "mode": c["mode"],
            "rule": c["rule"], "threshold": c["threshold"], "start": c["start_date"].isoformat(),
            "end": c["end_date"].isoformat(), "status": status, "budget": c["budget"],
            "rank_points": [int(x) for x in str(c["rank_points"]).split(",") if x],
            "threshold_points": c["threshold_points"], "participants": c["participants"], "rewards": c["rewards"],
            "frozen_at": c["frozen_at"].isoformat() if c["frozen_at"] else None,
            "days_left": max(0, (c["end_date"] - today).days)}


def get(ws, cid: str, user=None, today: dt.date | None = None, freeze: bool = True) -> dict:
    """One challenge with its leaderboard (frozen first if it has ended)."""
    today = today or dt.date.today()
    c = _challenge(ws, cid)
    if not _visible(c, user, _rep_team(ws)):
        raise Forbidden(f"challenge {cid!r} is not one you take part in")
    if freeze and c["frozen_at"] is None and today >= c["end_date"] and not _read_only(ws):
        close(ws, cid, today=today)
        c = _challenge(ws, cid)
    out = _summary(c, today)
    if user is not None and user.role == "rep":
        out = {k: out[k] for k in ("challenge_id", "name", "kpi", "start", "end", "status", "days_left")}
    out["leaderboard"] = leaderboard(ws, c, user, today)
    return out


def _read_only(ws) -> bool:
    try:
        return bool(ws.db.engine == "duckdb" and ws.db.fetchall("SELECT current_setting('access_mode')")[0][0]
                    == "read_only")
    except Exception:  # noqa: BLE001 - older engines: assume writable
        return False


def list_(ws, user=None, today: dt.date | None = None) -> list[dict]:
    today = today or dt.date.today()
    rep_team = _rep_team(ws)
    ids = [r["challenge_id"] for r in S.rows(ws.db, f"SELECT challenge_id FROM {ws.db.q('challenges')} "
                                                    "ORDER BY start_date DESC, name")]
    out = []
    for cid in ids:
        c = _challenge(ws, cid)
        if _visible(c, user, rep_team):
            s = _summary(c, today)
            if user is not None and user.role == "rep":
                s = {k: s[k] for k in ("challenge_id", "name", "kpi", "start", "end", "status", "days_left")}
            out.append(s)
    return out


def close(ws, cid: str, user=None, today: dt.date | None = None) -> dict:
    """Freeze the leaderboard as it stands (the whole period once it has ended) and write the ledger."""
    today = today or dt.date.today()
    c = _challenge(ws, cid)
    if user is not None and user.role == "rep":
        raise Forbidden("a rep cannot close a challenge")
    if c["frozen_at"] is not None:
        raise PilotageError(f"challenge {cid!r} is already closed (its results were frozen at {c['frozen_at']})")
    names = _names(ws, "reps" if c["mode"] == "individual" else "teams", f"{_dim(c['mode'])}_id")
    rows = standings(c, _scores(ws, c, min(c["end_date"], today + dt.timedelta(days=1))), names)
    now = S.now()
    db = ws.db
    with db.transaction():
        for r in rows:
            S.insert(db, "challenge_results", {"challenge_id": cid, "participant_id": r["participant_id"],
                                               "name": r["name"], "score": r["score"], "rank": r["rank"],
                                               "points": r["points"], "badge": r["badge"],
                                               "threshold_met": r["threshold_met"]})
            for w in r["rewards"]:
                S.insert(db, "reward_ledger", {"entry_id": S.new_id("w"), "challenge_id": cid,
                                               "participant_id": r["participant_id"], "kind": w["kind"],
                                               "description": w["description"], "amount": w["amount"],
                                               "rank": r["rank"], "score": r["score"], "awarded_at": now})
        S.run(db, f"UPDATE {db.q('challenges')} SET status = 'closed', frozen_at = ? WHERE challenge_id = ?",
              [now, cid])
    _audit(ws, user, "challenge.close", {"challenge_id": cid})
    return get(ws, cid, user=user, today=today)


def freeze_ended(ws, today: dt.date | None = None) -> list[str]:
    """Close every running challenge whose end has passed (called before each import)."""
    today = today or dt.date.today()
    ended = [r["challenge_id"] for r in S.rows(
        ws.db, f"SELECT challenge_id FROM {ws.db.q('challenges')} WHERE frozen_at IS NULL AND end_date <= ?",
        [today])]
    for cid in ended:
        close(ws, cid, today=today)
    return ended


def ledger(ws, user=None) -> list[dict]:
    """Who won what, when, for which result (a rep: their own rewards)."""
    rows = S.rows(ws.db, f"SELECT l.*, c.name AS challenge, c.kpi FROM {ws.db.q('reward_ledger')} l JOIN "
                         f"{ws.db.q('challenges')} c ON c.challenge_id = l.challenge_id "
                         "ORDER BY l.awarded_at DESC, l.challenge_id, l.rank, l.participant_id")
    if user is not None and user.role == "rep":
        rep_team = _rep_team(ws)
        rows = [r for r in rows if r["participant_id"] in (user.rep_id, rep_team.get(user.rep_id))]
    for r in rows:
        r["awarded_at"] = r["awarded_at"].isoformat()
    return rows
