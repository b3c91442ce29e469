"""Objectifs: the goals of a manager's team (a rep: their own; an admin: everything).

Every figure comes from :mod:`pilotage.goals.service` (the functions under the CLI's
``goals progress`` / ``goals team`` and the API's ``/api/v1/goals``): progress, pace and
status per goal, the team's quota picture. The page only lays them out, links each value
to its KPI page over the goal's cut, and explains status and pace in a title (docs/goals.md).

The period shown is a goal period (``goal_period=2026-Q2``, the CLI's forms). By default:
the fiscal quarter running at the data's current day (today, or the data's last day when
the data stopped earlier, so the goals shown have figures), else the latest period that
has goals; the page says which period it shows and at which date progress is measured.

The form sets a goal through :func:`pilotage.goals.service.set_goal` (the same rules as the
API: a rep sets none, a manager their teams' and their reps', an admin everything) and
carries the CSRF token of the server-rendered forms (:mod:`pilotage.auth.forms`).
"""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pilotage import service as PS
from pilotage.auth import forms
from pilotage.auth.web import user_of
from pilotage.catalogue.kpis import BY_ID, KPIS
from pilotage.engine import periods as P
from pilotage.errors import PilotageError
from pilotage.goals import periods as GP
from pilotage.web import data
from pilotage.web.charts import PALETTE, base_layout, chart
from pilotage.web.pages.common import PageError, error_page, page, parse_view, render
from pilotage.web.state import State, StateDep

router = APIRouter(include_in_schema=False)

STATUS_CLASS = {"on_track": "good", "met": "good", "at_risk": "warn", "behind": "bad", "missed": "bad",
                "not_started": "neutral", "no_data": "neutral"}
QUOTA_KPI = "revenue"  # the team's quota picture is on the quota KPI (imported quotas are revenue)
MAX_PERIODS_OFFERED = 24


# --------------------------------------------------------------------------- the period shown
def _quarter_of(day: dt.date, fy: int) -> str:
    start = P.floor(day, "quarter", fy)
    end = P.floor(start + dt.timedelta(days=100), "quarter", fy)
    return GP.label(start, end, fy)


def periods_offered(ws) -> list[str]:
    """The periods that hold goals (set or imported), newest first, in the CLI's forms."""
    from pilotage.goals import service as G

    seen: dict[str, dt.date] = {}
    for g in G.all_goals(ws):
        if ".." not in g["period"]:
            seen.setdefault(g["period"], g["period_start"])
    return sorted(seen, key=lambda p: (seen[p], -len(p)), reverse=True)[:MAX_PERIODS_OFFERED]


def pick_period(state: State, view, requested: str | None) -> dict:
    """The goal period to show: the one asked for, else the fiscal quarter running at the data's current
    day (today, or the data's last day), else the latest period holding goals that had begun by then."""
    st = state.ws.settings
    with state.reader() as (ws, _):
        offered = periods_offered(ws)
    ref = data.reference(state, view.today)
    anchor = ref.current_day
    how = "asked"
    if requested:
        try:
            label, start, end = GP.parse(requested, st.fiscal_year_start, st.week_start)
        except PilotageError as exc:
            raise PageError(400, str(exc)) from None
    else:
        label = _quarter_of(anchor, st.fiscal_year_start)
        how = "stale" if ref.stale else "current"
        if label not in offered:
            begun = [p for p in offered
                     if GP.parse(p, st.fiscal_year_start, st.week_start)[1] <= anchor]
            if begun:
                label, how = begun[0], "latest"
        label, start, end = GP.parse(label, st.fiscal_year_start, st.week_start)
    if label not in offered:
        offered = [label, *offered]
    return {"label": label, "start": start, "end": end, "offered": offered, "how": how,
            "data_end": ref.data_end if ref.stale else None}


def period_text(view, chosen: dict, as_of: dt.date) -> str:
    last = chosen["end"] - dt.timedelta(days=1)
    state = ("over" if as_of >= chosen["end"] else "not_started" if as_of < chosen["start"] else "running")
    text = view.t("goals.period_shown", period=chosen["label"], start=view.date(chosen["start"], "long"),
                  end=view.date(last, "long"), as_of=view.date(as_of, "long"))
    text += " " + view.t(f"goals.period_{state}")
    if chosen["how"] in ("stale", "latest"):
        text += " " + view.t(f"goals.why_{chosen['how']}")
    return text


# --------------------------------------------------------------------------- one goal, laid out
def _cut(view, g: dict, as_of: dt.date) -> dict:
    """The goal's cut as the KPI page's query string: its owner, from its start to the as-of day included."""
    start = dt.date.fromisoformat(g["period_start"])
    end = min(dt.date.fromisoformat(g["period_end"]), as_of + dt.timedelta(days=1))
    if end <= start:
        end = dt.date.fromisoformat(g["period_end"])
    cut = {"period": "custom", "from_": start.isoformat(), "to": end.isoformat(), "team": None, "rep": None,
           "grain": None}
    if g["owner_type"] in ("rep", "team"):
        cut[g["owner_type"]] = g["owner_id"]
    return cut


def _pct(view, v) -> str:
    return view.fmt(v, "rate") if v is not None else view.t("goals.na")


def goal_row(view, g: dict, as_of: dt.date) -> dict:
    """A progress object of the service, as the page shows it: texts, links and the rules in titles."""
    unit, kpi = g["unit"], g["kpi"]
    href = view.url(f"/kpi/{kpi}", **_cut(view, g, as_of))
    value = view.fmt_table(g["value"], unit) if g["value"] is not None else view.t("goals.na")
    target = view.fmt_table(g["target"], unit)
    rollup = None
    if g.get("rollup_target") is not None and g["source"] != "rollup" and g["rollup_target"] != g["target"]:
        rollup = view.t("goals.rollup_beside", target=view.fmt_table(g["rollup_target"], unit))
    att = g["attainment"]
    att_rule = view.t("goals.att_rule_down" if g["better"] == "down" else "goals.att_rule_up")
    pace = view.fmt_table(g["pace_value"], unit) if g["pace_value"] is not None else view.t("goals.na")
    additive = g["days_elapsed"] < g["days_total"] and _additive(kpi)
    if g["pace_value"] is None:
        pace_rule = view.t("goals.pace_rule_none")
    elif additive:
        pace_rule = view.t("goals.pace_rule_rate", value=value, total=g["days_total"], elapsed=g["days_elapsed"])
    else:
        pace_rule = view.t("goals.pace_rule_flat")
    pipe = None
    if g.get("pace_with_pipeline") is not None:
        pipe = view.t("goals.with_pipeline", value=view.fmt_table(g["pace_with_pipeline"], unit))
    status = g["status"]
    owner = g["owner_name"] or g["owner_id"] or view.t("goals.company")
    width = 0 if att is None else max(0.0, min(att, 1.5)) / 1.5 * 100
    return {
        "id": g["goal_id"], "owner": owner, "owner_id": g["owner_id"], "owner_type": g["owner_type"],
        "owner_kind": view.t(f"goals.owner_{g['owner_type']}"), "kpi": kpi, "kpi_label": BY_ID[kpi].label[view.lang],
        "kpi_href": view.url(f"/kpi/{kpi}", period=None, team=None, rep=None, grain=None),
        "period": g["period"], "value": value, "value_href": href, "value_na": g["value"] is None,
        "target": target, "rollup": rollup, "source": view.t(f"goals.source_{g['source']}"),
        "attainment": _pct(view, att), "att_rule": att_rule, "width": round(width, 1),
        "reached": bool(att and att >= 1),
        "pace": pace, "pace_rule": pace_rule, "pipeline": pipe,
        "projected": _pct(view, g["projected_attainment"]),
        "status": status, "status_text": view.t(f"goals.status_{status}"), "status_cls": STATUS_CLASS[status],
        "status_rule": view.t(f"goals.rule_{status}"), "days_left": g["days_left"],
        "days_text": view.t("goals.days_of", left=g["days_left"], total=g["days_total"]),
    }


def _additive(kpi: str) -> bool:
    from pilotage.goals import service as G

    return G.additive(kpi)


# --------------------------------------------------------------------------- the quota picture
def quota_picture(view, pic: dict, overall: float | None) -> dict:
    """The team picture of the service, with the < 60 % warning only where it means something
    (:func:`pilotage.service.quotas_too_ambitious`: three reps at least, team not at its target)."""
    n, share = pic["reps"], pic["share_at_quota"]
    warn = PS.quotas_too_ambitious(share, overall, n)
    healthy = None
    if share is not None and n >= PS.MIN_REPS_FOR_QUOTA_WARNING:
        healthy = view.t(("goals.healthy_but_warn" if warn else "goals.healthy_yes") if pic["healthy"] else
                         "goals.healthy_easy" if share > 0.7 else "goals.healthy_hard")
    return {"reps": n, "at_quota": pic["reps_at_quota"], "share": _pct(view, share),
            "within": _pct(view, pic["within_20_share"]), "warn": view.t("goals.warn_ambitious") if warn else None,
            "few": n and n < PS.MIN_REPS_FOR_QUOTA_WARNING, "healthy": healthy,
            "kpi_label": BY_ID[pic["kpi"]].label[view.lang]}


def distribution_chart(view, pic: dict) -> dict:
    buckets = [d["bucket"] for d in pic["distribution"]]
    reps = [d["reps"] for d in pic["distribution"]]
    colours = [PALETTE[3], PALETTE[1], PALETTE[6], PALETTE[2], PALETTE[0]]
    fig = go.Figure(go.Bar(x=buckets, y=reps, marker={"color": colours}, text=[str(r) for r in reps],
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{x} : %{y}<extra></extra>"),
                    layout=base_layout(view, height=260, legend=False, hovermode="closest",
                                       xaxis={"type": "category", "title": {"text": view.t("goals.dist_x")}},
                                       yaxis={"title": {"text": view.t("goals.dist_y")}, "rangemode": "tozero"}))
    return chart(fig, view.t("goals.dist_title"), 260)


# --------------------------------------------------------------------------- the form
def form_choices(ws, user) -> dict:
    """The owners the user may set goals for (the service's own rule, :func:`can_set`) and the KPIs."""
    from pilotage.goals import service as G

    rep_team = G._rep_team(ws)
    reps = G._names(ws, "reps", "rep_id")
    teams = G._names(ws, "teams", "team_id")
    owners = []
    if G.can_set("company", None, user, rep_team):
        owners.append(("company", None))
    owners += [(f"team:{t}", n) for t, n in sorted(teams.items(), key=lambda x: x[1])
               if G.can_set("team", t, user, rep_team)]
    owners += [(f"rep:{r}", n) for r, n in sorted(reps.items(), key=lambda x: x[1])
               if G.can_set("rep", r, user, rep_team)]
    return {"owners": owners, "kpis": [k.id for k in KPIS]}


def may_set_goals(user) -> bool:
    return user is None or user.role in ("admin", "manager")


# --------------------------------------------------------------------------- the page
def fresh(resp):
    """Never kept by the page cache (:mod:`pilotage.web.pagecache`): goals, challenges and settings change
    without an import, so the data version in its key does not move when they do."""
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _view(request: Request, state: State):
    view = parse_view(request, state)
    goal_period = (request.query_params.get("goal_period") or "").strip() or None
    team = view.filters.get("team")
    view.extra = {k: v for k, v in {"goal_period": goal_period}.items() if v}
    return view, goal_period, team


def build(request: Request, state: State, message: str | None = None, status: int = 200, posted: dict | None = None):
    from pilotage.goals import service as G

    view, requested, team = _view(request, state)
    user = user_of(request)
    chosen = pick_period(state, view, requested)
    as_of = view.today
    with state.reader() as (ws, _):
        rows = G.progress(ws, period=chosen["label"], team=team, as_of=as_of, user=user)
        pic = G.team_picture(ws, period=chosen["label"], team=team, kpi=QUOTA_KPI, as_of=as_of, user=user)
        choices = form_choices(ws, user) if may_set_goals(user) else None
        teams = sorted(G._names(ws, "teams", "team_id").items(), key=lambda x: x[1])
    if user is not None and user.role == "manager":
        teams = [(t, n) for t, n in teams if t in user.team_ids]
    elif user is not None and user.role == "rep":
        teams = []
    shown = [goal_row(view, g, as_of) for g in rows]
    reps = [r for r in shown if r["owner_type"] == "rep"]
    groups = [r for r in shown if r["owner_type"] != "rep"]
    at_risk = [r for r in shown if r["status"] in ("at_risk", "behind")]
    # the team as a whole against its target: the team's (or the company's) own goal on the quota KPI
    whole = "team" if team else "company"
    overall = next((g["attainment"] for g in rows if g["kpi"] == QUOTA_KPI and g["owner_type"] == whole
                    and (g["owner_id"] == team if team else True)), None)
    quota = quota_picture(view, pic, overall)
    form = None
    if choices is not None:
        csrf, cookie = forms.form_token(request)
        form = {**choices, "csrf": csrf, "cookie": cookie, "period": chosen["label"],
                "labels": {k: BY_ID[k].label[view.lang] for k in choices["kpis"]},
                "posted": posted or {}, "kpi": (posted or {}).get("kpi", QUOTA_KPI)}
    role_note = None
    if user is not None and user.role == "rep":
        role_note = view.t("goals.rep_note")
    resp = render(request, "goals.html", view, state, page="goals", title=view.t("goals.title"), status=status,
                  show_filters=False, reps=reps, groups=groups, at_risk=at_risk, quota=quota,
                  dist_chart=distribution_chart(view, pic) if pic["reps"] else None,
                  chosen=chosen, period_line=period_text(view, chosen, as_of), teams=teams, team=team,
                  form=form, message=message, role_note=role_note, done=request.query_params.get("done") == "1")
    if form is not None:
        forms.set_form_cookie(resp, request, form["cookie"])
    return fresh(resp)


@router.get("/objectifs", response_class=HTMLResponse)
@page
def goals_page(request: Request, state: StateDep):
    return build(request, state)


@router.post("/objectifs", response_class=HTMLResponse)
@page
def set_goal(request: Request, state: StateDep, kpi: str = Form(""), period: str = Form(""),
             owner: str = Form(""), target: str = Form(""), csrf_token: str = Form(""), lang: str = Form("fr")):
    """Set a goal from the form: the service decides who may (403 otherwise), as for the API."""
    from pilotage.goals import service as G

    lang = lang if lang in ("fr", "en") else "fr"
    if not forms.form_ok(request, csrf_token):
        return error_page(request, 403, "the form expired or came from another site (CSRF): reload the page")
    user = user_of(request)
    if not may_set_goals(user):
        return error_page(request, 403, f"{user.email} ({user.role}) may not set goals")
    kind, _, owner_id = owner.partition(":")
    rep = owner_id if kind == "rep" else None
    team = owner_id if kind == "team" else None
    posted = {"kpi": kpi, "period": period, "owner": owner, "target": target}
    try:
        value = float(target.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", "."))
    except ValueError:
        return build(request, state, message=f"target {target!r}: expected a number", status=422, posted=posted)
    try:
        with state.lock:
            G.set_goal(state.ws, kpi, period, value, rep=rep, team=team, user=user)
            G.check_milestones(state.ws)
            data.after_write(state)
    except G.Forbidden as exc:
        return error_page(request, 403, str(exc))
    except PilotageError as exc:
        return build(request, state, message=str(exc), status=422, posted=posted)
    q = f"goal_period={period.strip().upper()}&done=1" + ("&lang=en" if lang == "en" else "")
    return RedirectResponse(f"/objectifs?{q}", status_code=303)
