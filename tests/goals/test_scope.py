"""Scope by role (the users interface of the common brief: email, role, rep_id, team_ids), single-user = None."""

from __future__ import annotations

import datetime as dt

import pytest

from pilotage.challenges import service as C
from pilotage.goals import service as G
from tests.goals.test_goals import AS_OF, load


from pilotage.auth.model import User  # noqa: E402


REP1 = User("r1@x.test", "rep", "r1")
REP3 = User("r3@x.test", "rep", "r3")
MANAGER_T1 = User("m@x.test", "manager", None, ("t1",))


def test_roles(duck):
    load(duck)
    G.set_goal(duck, "revenue", "2025-03", 20000, rep="r1")
    G.set_goal(duck, "revenue", "2025-03", 9000, rep="r3")
    # a rep sees their own goals only, and sets none
    assert {r["owner_id"] for r in G.progress(duck, period="2025-03", as_of=AS_OF, user=REP1)} == {"r1"}
    with pytest.raises(G.Forbidden):
        G.set_goal(duck, "revenue", "2025-03", 1, rep="r1", user=REP1)
    # a manager sets goals for their team's reps and the team, not for another team's
    G.set_goal(duck, "revenue", "2025-03", 5000, rep="r2", user=MANAGER_T1)
    G.set_goal(duck, "revenue", "2025-03", 40000, team="t1", user=MANAGER_T1)
    for kw in ({"rep": "r3"}, {"team": "t2"}, {}):
        with pytest.raises(G.Forbidden):
            G.set_goal(duck, "revenue", "2025-03", 1, user=MANAGER_T1, **kw)
    seen = {r["owner_id"] for r in G.progress(duck, period="2025-03", as_of=AS_OF, user=MANAGER_T1)}
    assert seen == {"r1", "r2", "t1"}  # not r3 (team t2)
    # challenges: r1 takes part and sees names, ranks and scores only; r3 does not take part
    c = C.create(duck, name="Mars", kpi="revenue", start="2025-03-01", end="2025-04-01", participants=["r1", "r2"],
                 rewards=["1:bonus:500"])
    mine = C.get(duck, c["challenge_id"], user=REP1, today=dt.date(2025, 3, 10))
    assert mine["leaderboard"] == [{"name": "Rep r1", "rank": 1, "score": 6000}, {"name": "Rep r2", "rank": 2,
                                                                                     "score": 1500}]
    assert "rewards" not in mine and "budget" not in mine
    assert [x["challenge_id"] for x in C.list_(duck, user=REP3)] == []
    with pytest.raises(G.Forbidden):
        C.get(duck, c["challenge_id"], user=REP3, today=dt.date(2025, 3, 10))
    with pytest.raises(G.Forbidden):  # a manager cannot enrol another team's rep
        C.create(duck, name="X", kpi="revenue", start="2025-03-01", end="2025-04-01", participants=["r1", "r3"],
                 user=MANAGER_T1)
