"""REST API for goals and challenges, /api/v1/goals and /api/v1/challenges: the CLI's JSON shapes.

The user is read from ``request.state.user`` (set by the users layer when it exists; absent,
single-user mode). Writes hold the workspace lock and drop the results cache.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from pilotage.web.api_errors import ERRORS
from pilotage.web.state import StateDep

router = APIRouter(prefix="/api/v1", tags=["goals"], responses=ERRORS)


def _user(request: Request):
    return getattr(request.state, "user", None)


class GoalIn(BaseModel):
    kpi: str = Field(max_length=100)
    period: str = Field(max_length=20, description="2025, 2025-Q1, 2025-03 or 2025-W10 (fiscal)")
    target: float
    rep: str | None = Field(None, max_length=200)
    team: str | None = Field(None, max_length=200)


@router.get("/goals", summary="Progress of each goal (the `pilotage goals progress --format json` shape)")
def goals(state: StateDep, request: Request, period: str | None = None, rep: str | None = None,
          team: str | None = None, as_of: str | None = None) -> list[dict]:
    from pilotage.goals import service

    with state.reader() as (ws, _):
        return service.progress(ws, period=period, rep=rep, team=team, as_of=as_of,
                                user=_user(request))


@router.post("/goals", status_code=201, summary="Set a goal (setting it again changes its target)")
def set_goal(state: StateDep, request: Request, goal: GoalIn) -> dict:
    from pilotage.goals import service
    from pilotage.web import data

    with state.writing() as ws:
        g = service.set_goal(ws, goal.kpi, goal.period, goal.target, rep=goal.rep, team=goal.team,
                             user=_user(request))
        service.check_milestones(ws)
        data.after_write(state)
        return g


@router.delete("/goals/{goal_id}", status_code=204, summary="Delete a goal set in the app")
def delete_goal(state: StateDep, request: Request, goal_id: str) -> None:
    from pilotage.goals import service
    from pilotage.web import data

    with state.writing() as ws:
        service.delete_goal(ws, goal_id, user=_user(request))
        data.after_write(state)


@router.get("/goals/team", summary="The team's quota picture (share at quota, distribution, signals)")
def team_picture(state: StateDep, request: Request, period: str | None = None, team: str | None = None,
                 kpi: str = "revenue", as_of: str | None = None) -> dict:
    from pilotage.goals import service

    with state.reader() as (ws, _):
        return service.team_picture(ws, period=period, team=team, kpi=kpi, as_of=as_of,
                                    user=_user(request))


@router.get("/goals/suggest", summary="Suggested personal quotas, or their backtest")
def suggest(state: StateDep, request: Request, period: str | None = None, kpi: str = "revenue",
            percentile: float = 0.45, company_target: float | None = None, backtest: bool = False,
            periods: int = 4) -> dict:
    from pilotage.errors import InvalidCut
    from pilotage.goals import suggest as SG

    if not 1 <= periods <= 16:
        raise InvalidCut("periods: between 1 and 16")
    with state.reader() as (ws, _):
        if backtest:
            return SG.backtest(ws, kpi=kpi, periods=periods, percentile=percentile)
        return SG.suggest(ws, period, kpi=kpi, percentile=percentile, company_target=company_target,
                          user=_user(request))


@router.get("/goals/notifications", summary="Milestone notifications (a rep: their own)")
def notifications(state: StateDep, request: Request, unread: bool = False) -> list[dict]:
    from pilotage.goals import notify

    with state.reader() as (ws, _):
        return notify.notifications(ws, _user(request), unread_only=unread)


class ChallengeIn(BaseModel):
    name: str = Field(max_length=200)
    kpi: str = Field(max_length=100)
    start: dt.date
    end: dt.date = Field(description="excluded")
    mode: Literal["individual", "team"] = "individual"
    participants: list[str] | None = Field(None, max_length=10_000)
    rule: Literal["ranking", "threshold", "both"] = "ranking"
    threshold: float | None = None
    rank_points: list[int] = [100, 60, 30]
    threshold_points: int = 50
    rewards: list[str] = Field([], max_length=100, description="POSITION:KIND[:AMOUNT[:TEXT]], e.g. 1:bonus:500")
    budget: float | None = None


@router.get("/challenges", summary="Challenges: running, upcoming and past")
def challenges(state: StateDep, request: Request) -> list[dict]:
    from pilotage.challenges import service

    with state.reader() as (ws, _):
        return service.list_(ws, user=_user(request))


@router.post("/challenges", status_code=201, summary="Create a challenge")
def create_challenge(state: StateDep, request: Request, c: ChallengeIn) -> dict:
    from pilotage.challenges import service
    from pilotage.web import data

    with state.writing() as ws:
        out = service.create(ws, **c.model_dump(), user=_user(request))
        data.after_write(state)
        return out


@router.get("/challenges/ledger", summary="The reward ledger: who won what, when, for which result")
def ledger(state: StateDep, request: Request) -> list[dict]:
    from pilotage.challenges import service

    with state.reader() as (ws, _):
        return service.ledger(ws, user=_user(request))


@router.get("/challenges/{challenge_id}", summary="A challenge and its leaderboard (frozen once ended)")
def challenge(state: StateDep, request: Request, challenge_id: str) -> dict:
    from pilotage.challenges import service

    with state.reader() as (ws, _):
        out = service.get(ws, challenge_id, user=_user(request), freeze=False)
    if out["status"] == "ended":  # over but not yet frozen: freeze it now, unless an import runs (it freezes first)
        from pilotage.errors import DatabaseLocked
        from pilotage.web import data

        try:
            with state.writing() as ws:
                out = service.get(ws, challenge_id, user=_user(request))
            data.after_write(state)
        except DatabaseLocked:
            pass
    return out


@router.post("/challenges/{challenge_id}/close", summary="Freeze a challenge's results now")
def close(state: StateDep, request: Request, challenge_id: str) -> dict:
    from pilotage.challenges import service
    from pilotage.web import data

    with state.writing() as ws:
        out = service.close(ws, challenge_id, user=_user(request))
        data.after_write(state)
        return out
