"""The authorization matrix: every GET route (pages, API, CSV exports) × role × own / other
scope, over org trees built by hypothesis, on DuckDB and PostgreSQL: 0 leaks.

A leak is any rep or team (id or name) outside the user's scope appearing in an
answer, or a figure counting records outside it. Every example adds a new org tree
(fresh ids) to one server, so the earlier trees are out of scope too.
"""

from __future__ import annotations

import itertools
import os
import re
import uuid

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pilotage
from pilotage.auth.store import AuthStore
from pilotage.service import DIMENSION_SOURCES
from tests.conftest import _PG_MISSING, PG_URL
from tests.web.conftest import LiveServer

COUNTER = itertools.count()
RANGE = {"from": "2024-01-01", "to": "2025-01-01"}
SKIP = ("/static", "/docs", "/api/v1/openapi.json", "/api/v1/health", "/login", "/logout")


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def server(request, tmp_path_factory):
    if request.param == "postgres":
        if _PG_MISSING:
            if os.environ.get("CI") == "true":
                pytest.fail(_PG_MISSING)
            pytest.skip(_PG_MISSING)
        ws = pilotage.connect(PG_URL, schema="t_" + uuid.uuid4().hex[:12])
    else:
        ws = pilotage.connect(str(tmp_path_factory.mktemp("matrix") / "m.duckdb"), create=True)
    store = AuthStore(ws.db)
    store.add_user("root@x.org", "admin")
    with LiveServer(ws) as s:
        s.ws, s.store = ws, store
        s.known = {"reps": {}, "teams": {}}  # every id loaded so far -> its name
        yield s
    if request.param == "postgres":
        ws.drop_schema()
    ws.close()


# an org tree: team i's parent is one of the teams before it (or none); 0-2 reps per team, 1-3 leads each
orgs = st.integers(1, 4).flatmap(lambda n: st.tuples(
    st.tuples(*[st.one_of(st.none(), st.integers(0, i - 1)) if i else st.none() for i in range(n)]),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(1, 3)), min_size=1, max_size=5),
    st.data()))


def _flat(routes, prefix=""):
    """(path, methods) of every route, included routers opened (FastAPI >= 0.16x keeps them whole)."""
    for r in routes:
        if hasattr(r, "original_router"):
            yield from _flat(r.original_router.routes, prefix + r.include_context.prefix)
        else:
            yield prefix + getattr(r, "path", ""), getattr(r, "methods", None)


def _routes(app) -> list[str]:
    """Every GET route of the app, path parameters filled with values that exist."""
    out = []
    for path, methods in _flat(app.routes):
        if "GET" not in (methods or ()) or path.startswith(SKIP):
            continue
        if "{dim}" in path:
            out += [path.replace("{dim}", d) for d in DIMENSION_SOURCES]
        else:
            out.append(re.sub(r"\{kpi_id\}", "leads", path))
    return sorted(set(re.sub(r"\{[^}]+\}", "x", p) for p in out))


def _filtered(path: str) -> bool:
    """Routes that take filters (the others are asked once)."""
    return not path.startswith(("/api/v1/dimensions", "/api/v1/kpis", "/api/v1/settings", "/catalogue", "/admin"))


def _params(path: str, where: dict) -> dict | list:
    if path == "/api/v1/kpi":
        return [("ids", "leads"), ("by", "rep"), *RANGE.items(), *[("where", f"{d}={v}") for d, v in where.items()]]
    if path.startswith("/api/v1/"):
        return [*RANGE.items(), *[("where", f"{d}={v}") for d, v in where.items()]]
    return {**RANGE, **where, "period": "custom"}


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(org=orgs)
def test_no_route_leaks_out_of_scope(server, org):
    parents, reps_spec, data = org
    k = next(COUNTER)
    tid = [f"T{k}x{i}Z" for i in range(len(parents))]
    teams = [{"team_id": tid[i], "name": f"Team{k}n{i}Q",
              **({"parent_team_id": tid[p]} if p is not None else {})} for i, p in enumerate(parents)]
    reps, leads, n_leads = [], [], {}
    for j, (team_i, n) in enumerate(reps_spec):
        rid = f"R{k}x{j}Z"
        reps.append({"rep_id": rid, "name": f"Rep{k}n{j}Q", "team_id": tid[team_i]})
        n_leads[rid] = n
        leads += [{"lead_id": f"L{k}x{j}x{m}", "created_at": "2024-03-01", "source": f"src{k}x{j}z",
                   "owner_rep_id": rid} for m in range(n)]
    server.ws.load({"teams": teams, "reps": reps, "leads": leads})
    server.known["teams"].update({t["team_id"]: t["name"] for t in teams})
    server.known["reps"].update({r["rep_id"]: r["name"] for r in reps})

    # the users: one rep, one manager of a team chosen by hypothesis
    rep = data.draw(st.sampled_from(reps))
    mteam = data.draw(st.integers(0, len(teams) - 1))
    below = {mteam}
    for i, p in enumerate(parents):  # parents precede children: one pass finds the whole subtree
        if p in below:
            below.add(i)
    users = {
        "rep": (f"rep{k}@x.org", dict(rep_id=rep["rep_id"]), {rep["rep_id"]}),
        "manager": (f"mgr{k}@x.org", dict(team_ids=(tid[mteam],)),
                    {r["rep_id"] for r in reps if tid.index(r["team_id"]) in below}),
    }
    routes = _routes(server.app)
    assert "/kpi/leads/records.csv" in routes and "/api/v1/explain/leads" in routes
    for role, (email, link, allowed_reps) in users.items():
        server.store.add_user(email, role, **link)
        token = server.store.new_token(email)
        allowed_teams = {r["team_id"] for r in reps if r["rep_id"] in allowed_reps}
        if role == "manager":
            allowed_teams |= {tid[i] for i in below}
        hidden = ({i: n for i, n in server.known["reps"].items() if i not in allowed_reps}
                  | {i: n for i, n in server.known["teams"].items() if i not in allowed_teams})
        hidden_srcs = {f"src{k}x{j}z" for j, r in enumerate(reps) if r["rep_id"] not in allowed_reps}
        other = next(iter(sorted(set(server.known["reps"]) - allowed_reps)), "nobody")
        with httpx.Client(base_url=server.url, timeout=120,
                          headers={"Authorization": "Bearer " + token}) as c:
            asks = [(p, w) for p in routes for w in (({}, {"rep": other}) if _filtered(p) else ({},))]
            for path, where in asks:
                r = c.get(path, params=_params(path, where))
                assert r.status_code < 500, (role, path, where, r.text[:300])
                body = r.text
                for hid, name in hidden.items():
                    if hid == where.get("rep"):
                        body = body.replace(hid, "")  # the asked value echoed back, as for a typo
                    assert hid not in body and name not in body, (role, path, where, hid, name)
                for src in hidden_srcs:
                    assert src not in body, (role, path, where, src)
            # the figure counts exactly the records in scope
            got = c.get("/api/v1/kpi", params={"ids": "leads", **RANGE}).json()[0]["leads"]
            assert got == sum(n for i, n in n_leads.items() if i in allowed_reps)
            assert c.get("/api/v1/kpi", params={"ids": "leads", "where": f"rep={other}", **RANGE}
                         ).json()[0]["leads"] in (0, None)
