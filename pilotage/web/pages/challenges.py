"""Challenges: the list (running, upcoming, past), a leaderboard per challenge, the reward ledger,
and a form to create one (managers and admins).

Everything comes from :mod:`pilotage.challenges.service`, the functions under the CLI's
``challenges`` commands and the API's ``/api/v1/challenges``: the leaderboard is the KPI
computed by the engine over the challenge's cut, frozen once the challenge has ended. A rep
sees the challenges they take part in, as names, ranks and scores only (the service strips
the rest). Reading a challenge that has ended freezes it, a write: those reads hold the
writer's lock, as the API's do.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pilotage.auth import forms
from pilotage.auth.web import user_of
from pilotage.catalogue.kpis import BY_ID, KPIS
from pilotage.errors import PilotageError
from pilotage.web import data
from pilotage.web.pages.common import error_page, page, parse_view, render
from pilotage.web.pages.goals import fresh
from pilotage.web.state import State, StateDep

router = APIRouter(include_in_schema=False)

GROUPS = (("running", ("running",)), ("upcoming", ("upcoming",)), ("past", ("ended", "closed")))


def may_run(user) -> bool:
    return user is None or user.role in ("admin", "manager")


def _view(request: Request, state: State):
    view = parse_view(request, state)
    view.filters = {}
    return view


def _summary(view, c: dict) -> dict:
    k = BY_ID[c["kpi"]]
    last = dt.date.fromisoformat(c["end"]) - dt.timedelta(days=1)
    return {"id": c["challenge_id"], "name": c["name"], "kpi_label": k.label[view.lang],
            "kpi_href": view.url(f"/kpi/{c['kpi']}", period="custom", from_=c["start"], to=c["end"], grain=None),
            "dates": f"{view.date(dt.date.fromisoformat(c['start']), 'medium')} – {view.date(last, 'medium')}",
            "status": c["status"], "status_text": view.t(f"challenges.status_{c['status']}"),
            "days_left": c["days_left"], "href": view.url(f"/challenges/{c['challenge_id']}", period=None),
            "mode": view.t(f"challenges.mode_{c['mode']}") if "mode" in c else None,
            "rule": view.t(f"challenges.rule_{c['rule']}") if "rule" in c else None,
            "frozen_at": c.get("frozen_at")}


def _reward_text(view, w: dict) -> str:
    parts = [view.t(f"challenges.kind_{w['kind']}")]
    if w.get("amount") is not None:
        parts.append(view.fmt(w["amount"], "money"))
    if w.get("description"):
        parts.append(w["description"])
    return " · ".join(parts)


def ledger_rows(view, rows: list[dict], names: dict) -> list[dict]:
    return [{"challenge": e["challenge"], "href": view.url(f"/challenges/{e['challenge_id']}", period=None),
             "who": names.get(e["participant_id"], e["participant_id"]), "reward": _reward_text(view, e),
             "rank": e["rank"] or "", "at": e["awarded_at"][:10],
             "score": view.fmt_table(e["score"], BY_ID[e["kpi"]].unit) if e["score"] is not None else ""} for e in rows]


def _names(ws) -> dict[str, str]:
    from pilotage.goals import service as G

    return {**G._names(ws, "teams", "team_id"), **G._names(ws, "reps", "rep_id")}


def build_list(request: Request, state: State, message: str | None = None, status: int = 200,
               posted: dict | None = None):
    from pilotage.challenges import service as C

    view = _view(request, state)
    user = user_of(request)
    with state.lock:
        listed = C.list_(state.ws, user=user, today=view.today)
        ledger = C.ledger(state.ws, user=user)
        names = _names(state.ws)
    groups = [{"key": key, "title": view.t(f"challenges.group_{key}"),
               "entries": [_summary(view, c) for c in listed if c["status"] in statuses]} for key, statuses in GROUPS]
    form = None
    if may_run(user):
        csrf, cookie = forms.form_token(request)
        form = {"csrf": csrf, "cookie": cookie, "kpis": [(k.id, k.label[view.lang]) for k in KPIS],
                "posted": posted or {}}
    resp = render(request, "challenges.html", view, state, page="challenges", title=view.t("challenges.title"),
                  status=status, show_filters=False, groups=groups, ledger=ledger_rows(view, ledger, names),
                  form=form, message=message, rep_view=user is not None and user.role == "rep")
    if form:
        forms.set_form_cookie(resp, request, form["cookie"])
    return fresh(resp)


@router.get("/challenges", response_class=HTMLResponse)
@page
def challenges_page(request: Request, state: StateDep):
    return build_list(request, state)


@router.get("/challenges/{challenge_id}", response_class=HTMLResponse)
@page
def challenge_page(request: Request, state: StateDep, challenge_id: str):
    from pilotage.challenges import service as C
    from pilotage.goals.service import Forbidden

    view = _view(request, state)
    user = user_of(request)
    try:
        with state.lock:
            c = C.get(state.ws, challenge_id, user=user, today=view.today)
    except Forbidden as exc:
        return error_page(request, 403, str(exc))
    except PilotageError as exc:
        return error_page(request, 404, str(exc))
    s = _summary(view, c)
    unit = BY_ID[c["kpi"]].unit
    board = []
    for r in c["leaderboard"]:
        row = {"rank": r["rank"] or "", "name": r["name"], "badge": r.get("badge") or
               {1: "gold", 2: "silver", 3: "bronze"}.get(r["rank"]),
               "score": view.fmt_table(r["score"], unit) if r["score"] is not None else view.t("goals.na"),
               "score_na": r["score"] is None, "tied": r.get("tied")}
        if "points" in r:
            row["points"] = r["points"]
            row["rewards"] = " ; ".join(_reward_text(view, w) for w in r.get("rewards") or [])
            row["met"] = r.get("threshold_met")
            pid = r.get("participant_id")
            if pid:
                dim = "rep" if c.get("mode") == "individual" else "team"
                row["href"] = view.url(f"/kpi/{c['kpi']}", period="custom", from_=c["start"], to=c["end"],
                                       grain=None, **{dim: pid})
        board.append(row)
    rules = None
    if "rule" in c:
        rules = {"rule": s["rule"], "mode": s["mode"], "points": ", ".join(str(p) for p in c["rank_points"]),
                 "threshold": view.fmt(c["threshold"], unit) if c["threshold"] is not None else None,
                 "threshold_points": c["threshold_points"],
                 "budget": view.fmt(c["budget"], "money") if c["budget"] is not None else None,
                 "rewards": [{"position": w["position"], "text": _reward_text(view, w)} for w in c["rewards"]]}
    close = None
    if may_run(user) and "frozen_at" in c and c["frozen_at"] is None:
        csrf, cookie = forms.form_token(request)
        close = {"csrf": csrf, "cookie": cookie}
    frozen = c.get("frozen_at") or (c["status"] == "closed")
    resp = render(request, "challenge.html", view, state, page="challenges", title=c["name"], show_filters=False,
                  c=s, board=board, rules=rules, close=close, frozen=frozen,
                  frozen_at=c.get("frozen_at", "")[:16].replace("T", " ") if c.get("frozen_at") else None,
                  full="rule" in c)
    if close:
        forms.set_form_cookie(resp, request, close["cookie"])
    return fresh(resp)


def _num(text: str, what: str) -> float | None:
    text = (text or "").strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise PilotageError(f"{what} {text!r}: expected a number") from None


@router.post("/challenges", response_class=HTMLResponse)
@page
def create(request: Request, state: StateDep, name: str = Form(""), kpi: str = Form(""), start: str = Form(""),
           end: str = Form(""), mode: str = Form("individual"), rule: str = Form("ranking"),
           threshold: str = Form(""), points: str = Form("100,60,30"), threshold_points: str = Form("50"),
           rewards: str = Form(""), budget: str = Form(""), participants: str = Form(""),
           csrf_token: str = Form("")):
    """Create a challenge through the service (its rules: a manager only within their own teams)."""
    from pilotage.challenges import service as C
    from pilotage.goals import service as G

    if not forms.form_ok(request, csrf_token):
        return error_page(request, 403, "the form expired or came from another site (CSRF): reload the page")
    user = user_of(request)
    if not may_run(user):
        return error_page(request, 403, f"{user.email} ({user.role}) may not create challenges")
    posted = {"name": name, "kpi": kpi, "start": start, "end": end, "mode": mode, "rule": rule,
              "threshold": threshold, "points": points, "threshold_points": threshold_points, "rewards": rewards,
              "budget": budget, "participants": participants}
    try:
        people = [p.strip() for p in participants.replace("\n", ",").split(",") if p.strip()] or None
        with state.lock:
            if people is None and user is not None and user.role == "manager":
                # a manager's challenge: their own teams' reps (or teams) by default
                rep_team = G._rep_team(state.ws)
                people = ([r for r, t in rep_team.items() if t in user.team_ids] if mode == "individual"
                          else list(user.team_ids))
            out = C.create(state.ws, name=name, kpi=kpi, start=start.strip(), end=end.strip(), mode=mode,
                           participants=people, rule=rule, threshold=_num(threshold, "threshold"),
                           rank_points=[int(p) for p in _ints(points, "points")],
                           threshold_points=int(_num(threshold_points, "threshold points") or 0),
                           rewards=[r.strip() for r in rewards.splitlines() if r.strip()],
                           budget=_num(budget, "budget"), user=user)
            data.after_write(state)
    except G.Forbidden as exc:
        return error_page(request, 403, str(exc))
    except PilotageError as exc:
        return build_list(request, state, message=str(exc), status=422, posted=posted)
    lang = "?lang=en" if request.query_params.get("lang") == "en" else ""
    return RedirectResponse(f"/challenges/{out['challenge_id']}{lang}", status_code=303)


def _ints(text: str, what: str) -> list[int]:
    try:
        return [int(p) for p in (text or "").replace(" ", "").split(",") if p]
    except ValueError:
        raise PilotageError(f"{what} {text!r}: expected whole numbers separated by commas, e.g. 100,60,30") from None


@router.post("/challenges/{challenge_id}/close", response_class=HTMLResponse)
@page
def close(request: Request, state: StateDep, challenge_id: str, csrf_token: str = Form("")):
    from pilotage.challenges import service as C
    from pilotage.goals import service as G

    if not forms.form_ok(request, csrf_token):
        return error_page(request, 403, "the form expired or came from another site (CSRF): reload the page")
    user = user_of(request)
    if not may_run(user):
        return error_page(request, 403, f"{user.email} ({user.role}) may not close challenges")
    try:
        with state.lock:
            C.get(state.ws, challenge_id, user=user, freeze=False)  # the visibility check
            C.close(state.ws, challenge_id, user=user)
            data.after_write(state)
    except G.Forbidden as exc:
        return error_page(request, 403, str(exc))
    except PilotageError as exc:
        return error_page(request, 422, str(exc))
    lang = "?lang=en" if request.query_params.get("lang") == "en" else ""
    return RedirectResponse(f"/challenges/{challenge_id}{lang}", status_code=303)
