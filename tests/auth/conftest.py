"""A team server over real HTTP: users of each role, a clock the tests move (no sleeping)."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

import pilotage
from pilotage.auth.store import AuthStore
from tests.web.conftest import LiveServer

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self):
        self.now = dt.datetime(2026, 1, 5, 9, 0, 0)

    def __call__(self):
        return self.now

    def advance(self, **kw):
        self.now += dt.timedelta(**kw)


def make_users(ws) -> dict[str, str]:
    """admin, manager of team b, rep r_a1 (the org of tests/auth/test_scope.py); their read-only tokens."""
    store = AuthStore(ws.db)
    store.add_user("admin@x.org", "admin", password=PASSWORD)
    store.add_user("boss@x.org", "manager", team_ids=("b",), password=PASSWORD)
    store.add_user("alain@x.org", "rep", rep_id="r_a1", password=PASSWORD)
    return {e: store.new_token(e) for e in ("admin@x.org", "boss@x.org", "alain@x.org")}


@pytest.fixture
def team(tmp_path):
    """(server, tokens, clock) on a DuckDB file holding the small org and three users."""
    from tests.auth.test_scope import LEADS, REPS, TEAMS

    ws = pilotage.connect(str(tmp_path / "team.duckdb"), create=True)
    ws.load({"teams": TEAMS, "reps": REPS, "leads": LEADS})
    tokens = make_users(ws)
    clock = Clock()
    with LiveServer(ws) as server:
        server.app.state.auth.store.clock = clock
        server.ws = ws
        yield server, tokens, clock
    ws.close()


def login(base: str, email: str, password: str = PASSWORD, headers=None) -> httpx.Response:
    """Open the login page, post the form with its CSRF token; the client keeps the cookies."""
    c = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    page = c.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = c.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"},
               headers=headers or {})
    r.client = c
    return r
