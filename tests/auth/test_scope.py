"""Row-level scope through the service layer: a rep sees their records, a manager their teams
and sub-teams (parent_team_id), an admin everything, anyone else nothing; on both engines."""

from __future__ import annotations

import pytest

from pilotage import service
from pilotage.auth.model import User

# root <- a <- a1 ; root <- b.  Reps: r_root in root, r_a1 in a1, r_b in b.
TEAMS = [{"team_id": "root", "name": "Direction"}, {"team_id": "a", "name": "Nord", "parent_team_id": "root"},
         {"team_id": "a1", "name": "Lille", "parent_team_id": "a"},
         {"team_id": "b", "name": "Sud", "parent_team_id": "root"}]
REPS = [{"rep_id": "r_root", "name": "Rose", "team_id": "root"}, {"rep_id": "r_a1", "name": "Alain", "team_id": "a1"},
        {"rep_id": "r_b", "name": "Bea", "team_id": "b"}]
# leads per rep: r_root 1, r_a1 2, r_b 3 (linkedin only for r_b)
LEADS = ([{"lead_id": "L1", "created_at": "2024-02-01", "source": "event", "owner_rep_id": "r_root"}]
         + [{"lead_id": f"L2{i}", "created_at": "2024-02-02", "source": "event", "owner_rep_id": "r_a1"}
            for i in range(2)]
         + [{"lead_id": f"L3{i}", "created_at": "2024-02-03", "source": "linkedin", "owner_rep_id": "r_b"}
            for i in range(3)])
CUT = dict(start="2024-01-01", end="2025-01-01")


@pytest.fixture
def org(ws):
    ws.load({"teams": TEAMS, "reps": REPS, "leads": LEADS})
    return ws


def leads(ws, user, **filters):
    return service.kpi_query(ws, ["leads"], filters=filters or None, user=user, **CUT)


@pytest.mark.parametrize("user, expected", [
    (None, 6), (User("a@x", "admin"), 6),
    (User("r@x", "rep", rep_id="r_a1"), 2),                 # own leads only
    (User("m@x", "manager", team_ids=("a",)), 2),           # team a has no rep; sub-team a1 has r_a1
    (User("m@x", "manager", team_ids=("root",)), 6),        # the whole tree below root
    (User("m@x", "manager", team_ids=("b",)), 3),
    (User("r@x", "rep"), 0),                                # a rep without rep_id: nothing
    (User("x@x", "viewer", rep_id="r_b"), 0),               # unknown role: nothing
    (User("m@x", "manager"), 0),                            # a manager of no team: nothing
])
def test_scope_bounds_every_figure(org, user, expected):
    assert leads(org, user)["leads"].iloc[0] == expected


def test_a_filter_narrows_the_scope_never_widens_it(org):
    rep = User("r@x", "rep", rep_id="r_a1")
    assert leads(org, rep, rep=["r_b"])["leads"].iloc[0] == 0   # asking for another rep gives nothing
    mgr = User("m@x", "manager", team_ids=("a",))
    assert leads(org, mgr, team=["b"])["leads"].iloc[0] == 0
    assert leads(org, mgr, team=["a1", "b"])["leads"].iloc[0] == 2


def test_unknown_value_warning_does_not_reveal_out_of_scope_values(org):
    rep = User("r@x", "rep", rep_id="r_a1")
    w_out = leads(org, rep, rep=["r_b"]).attrs["warnings"]          # r_b exists, out of scope
    w_none = leads(org, rep, rep=["nobody"]).attrs["warnings"]      # does not exist
    assert [w.replace("r_b", "X") for w in w_out] == [w.replace("nobody", "X") for w in w_none]
    # linkedin exists only in r_b's leads: for r_a1 it is an unknown value, as a typo would be
    w_src = leads(org, rep, source=["linkedin"]).attrs["warnings"]
    assert w_src == [w.replace("rep 'nobody'", "source 'linkedin'").replace("reps", "leads") for w in w_none]
    assert leads(org, None, source=["linkedin"]).attrs["warnings"] == []


def test_drop_downs_hold_only_what_the_user_may_see(org):
    rep = User("r@x", "rep", rep_id="r_a1")
    assert service.dimension_values(org, "rep", user=rep) == [("r_a1", "Alain")]
    assert service.dimension_values(org, "team", user=rep) == [("a1", "Lille")]
    assert service.dimension_values(org, "source", user=rep) == [("event", "event")]
    mgr = User("m@x", "manager", team_ids=("a",))
    assert [i for i, _ in service.dimension_values(org, "team", user=mgr)] == ["a1", "a"]  # by label: Lille, Nord
    assert [i for i, _ in service.dimension_values(org, "rep", user=None)] == ["r_a1", "r_b", "r_root"]


def test_explain_records_are_scoped(org):
    ex = service.explain(org, "leads", user=User("r@x", "rep", rep_id="r_b"), **CUT)
    assert ex["sections"][0]["total"] == 3
    assert set(ex["sections"][0]["rows"]["rep"]) == {"r_b"}


def test_a_kpi_without_rep_or_team_is_not_available_to_a_scoped_user(org):
    from pilotage.errors import InvalidCut

    df = service.kpi_query(org, ["leads", "lead_source_share"], user=User("r@x", "rep", rep_id="r_b"), **CUT)
    assert df["leads"].iloc[0] == 3
    with pytest.raises(InvalidCut, match="not available in your scope"):
        service.kpi_query(org, ["nps"], user=User("r@x", "rep", rep_id="r_b"), **CUT)
