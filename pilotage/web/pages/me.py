"""Mon tableau de bord: a rep's own goals, progress and pace, rank in running challenges, rewards won.

The rep is the logged-in user's ``rep_id``. An admin or a manager without one is told so
plainly (with a link to Objectifs); in single-user mode (no users) ``?rep=ID`` shows a rep's
view, and without it the page offers the list of reps. Figures come from the goals and
challenges services (:mod:`pilotage.goals.service`, :mod:`pilotage.challenges.service`) with
the user's scope, as the API's.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilotage.auth.web import user_of
from pilotage.web.pages.common import page, parse_view, render
from pilotage.web.pages.goals import fresh, goal_row, period_text, pick_period
from pilotage.web.state import State, StateDep

router = APIRouter(include_in_schema=False)


def _rep_of(request: Request, state: State) -> tuple[str | None, str | None]:
    """(rep_id, why not): the user's own rep; ``?rep=`` only in single-user mode."""
    user = user_of(request)
    asked = (request.query_params.get("rep") or "").strip() or None
    if user is None:
        return (asked, None) if asked else (None, "choose")
    if user.rep_id:
        return user.rep_id, None
    return None, "no_rep"


def challenge_ranks(ws, rep: str, team: str | None, user, today) -> list[dict]:
    """The rep's rank and score in each running challenge they take part in (the leaderboard of the
    challenges service; only the rep's own line is kept)."""
    from pilotage.challenges import service as C

    out = []
    for c in C.list_(ws, user=user, today=today):
        if c["status"] != "running":
            continue
        raw = C._challenge(ws, c["challenge_id"])
        mine = rep if raw["mode"] == "individual" else team
        if mine not in raw["participants"]:
            continue
        rows = C.get(ws, c["challenge_id"], user=user, today=today)["leaderboard"]
        line = next((r for r in rows if r.get("participant_id") == mine), None)
        if line is None and rows and "participant_id" not in rows[0]:  # a rep's view: names, ranks, scores
            name = _name(ws, "reps" if raw["mode"] == "individual" else "teams", mine)
            line = next((r for r in rows if r["name"] == name), None)
        out.append({"id": c["challenge_id"], "name": c["name"], "kpi": c["kpi"], "end": c["end"],
                    "days_left": c["days_left"], "rank": line["rank"] if line else None,
                    "score": line["score"] if line else None, "of": len(rows),
                    "team": raw["mode"] == "team"})
    return out


def _name(ws, table: str, key: str | None) -> str | None:
    from pilotage.goals import service as G

    return G._names(ws, table, f"{table[:-1]}_id").get(key) if key else None


@router.get("/moi", response_class=HTMLResponse)
@page
def me_page(request: Request, state: StateDep):
    from pilotage.catalogue.kpis import BY_ID
    from pilotage.challenges import service as C
    from pilotage.goals import service as G

    view = parse_view(request, state)
    user = user_of(request)
    rep, why = _rep_of(request, state)
    requested = (request.query_params.get("goal_period") or "").strip() or None
    view.extra = {k: v for k, v in {"goal_period": requested, "rep": rep if user is None else None}.items() if v}
    view.filters.pop("rep", None)
    chosen = pick_period(state, view, requested)
    as_of = view.today
    ctx: dict = {"why": why, "rep": rep, "chosen": chosen, "goals": [], "ranks": [], "rewards": [],
                 "period_line": period_text(view, chosen, as_of), "reps": [], "rep_name": None}
    if why == "choose":
        with state.reader() as (ws, _):
            ctx["reps"] = sorted(G._names(ws, "reps", "rep_id").items(), key=lambda x: x[1])
    if rep:
        with state.reader() as (ws, _):
            names = G._names(ws, "reps", "rep_id")
            if rep not in names:
                ctx["why"], rep = "unknown", None
            else:
                ctx["rep_name"] = names[rep]
                ctx["goals"] = [goal_row(view, g, as_of) for g in
                                G.progress(ws, period=chosen["label"], rep=rep, as_of=as_of, user=user)]
                team = G._rep_team(ws).get(rep)
        if rep:
            with state.lock:  # reading a challenge that has ended freezes it (a write), as the API does
                ranks = challenge_ranks(state.ws, rep, team, user, as_of)
                ledger = C.ledger(state.ws, user=user)
            for r in ranks:
                unit = BY_ID[r["kpi"]].unit
                r["score_text"] = view.fmt_table(r["score"], unit) if r["score"] is not None else view.t("goals.na")
                r["kpi_label"] = BY_ID[r["kpi"]].label[view.lang]
                r["href"] = view.url(f"/challenges/{r['id']}", period=None, team=None, rep=None)
            ctx["ranks"] = ranks
            score = lambda e: view.fmt_table(e["score"], BY_ID[e["kpi"]].unit)  # noqa: E731
            ctx["rewards"] = [{"challenge": e["challenge"], "kind": view.t(f"challenges.kind_{e['kind']}"),
                               "amount": view.fmt(e["amount"], "money") if e["amount"] is not None else "",
                               "description": e["description"] or "", "rank": e["rank"],
                               "score": score(e) if e["score"] is not None else "",
                               "at": e["awarded_at"][:10]}
                              for e in ledger if e["participant_id"] in (rep, team)]
    title = view.t("me.title")
    return fresh(render(request, "me.html", view, state, page="me", title=title, show_filters=False, **ctx))
