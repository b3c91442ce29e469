"""Login, sessions, tokens, CSRF and throttling, over real HTTP."""

from __future__ import annotations

import io
import zipfile

import httpx

from tests.auth.conftest import PASSWORD, login

CSV = b"team_id,name\nz,Zed\n"
FOLDER = {"teams.csv": CSV, "reps.csv": b"rep_id,name,team_id\nr_z,Zoe,z\n",
          "leads.csv": b"lead_id,created_at,source,owner_rep_id\nLz,2024-03-01,event,r_z\n",
          "opportunities.csv": b"opportunity_id,owner_rep_id,created_at,stage,status,amount\n"}


def _teams_zip() -> bytes:
    """A canonical folder adding team z, rep r_z and one lead."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, body in FOLDER.items():
            z.writestr(name, body)
    return buf.getvalue()


def test_nobody_gets_401_json_on_the_api_and_the_login_page_elsewhere(team):
    server, _, _ = team
    r = httpx.get(server.url + "/api/v1/kpi", params={"ids": "leads"})
    assert r.status_code == 401 and r.json()["error"] == "Unauthorized"
    r = httpx.get(server.url + "/equipe?lang=en", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fequipe%3Flang%3Den"
    r = httpx.get(server.url + "/api/v1/health")
    assert r.status_code == 200 and r.json() == {"ok": True}        # no row counts to strangers
    assert "Connexion" in httpx.get(server.url + "/login").text
    assert "Log in" in httpx.get(server.url + "/login?lang=en").text


def test_login_sets_a_safe_session_cookie_then_logout_ends_it(team):
    server, _, _ = team
    r = login(server.url, "alain@x.org")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "pilotage_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie                                     # plain http on loopback
    c = r.client
    assert c.get("/api/v1/dimensions/rep").json() == [{"id": "r_a1", "label": "Alain"}]
    page = c.get("/catalogue")
    assert page.status_code == 200 and "alain@x.org" in page.text
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    assert c.post("/logout", data={"csrf_token": "forged"}).status_code == 303
    assert c.get("/api/v1/dimensions/rep").status_code == 200          # a forged logout does nothing
    r = c.post("/logout", data={"csrf_token": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert c.get("/api/v1/dimensions/rep").status_code == 401


def test_wrong_password_and_throttling_per_account(team):
    server, _, clock = team
    for _ in range(5):
        assert login(server.url, "boss@x.org", "wrong password").status_code == 401
    r = login(server.url, "boss@x.org")                               # right password, but locked
    assert r.status_code == 429 and "15 minutes" in r.text
    assert login(server.url, "alain@x.org").status_code == 303        # other accounts are not
    clock.advance(minutes=16)
    assert login(server.url, "boss@x.org").status_code == 303
    actions = [a["action"] for a in server.app.state.auth.store.audit_log()]
    assert actions.count("login.failed") == 5 and "login.throttled" in actions and "login" in actions


def test_throttling_per_address(team):
    server, _, _ = team
    for i in range(20):
        login(server.url, f"nobody{i}@x.org", "whatever123")
    assert login(server.url, "alain@x.org").status_code == 429       # this address is locked out


def test_session_idle_and_absolute_expiry(team):
    server, _, clock = team
    c = login(server.url, "alain@x.org").client
    clock.advance(minutes=29)
    assert c.get("/api/v1/dimensions/rep").status_code == 200
    clock.advance(minutes=31)                                         # 31 min idle
    assert c.get("/api/v1/dimensions/rep").status_code == 401
    c = login(server.url, "alain@x.org").client
    for _ in range(25):                                               # active every 29 min for 12 h 05
        clock.advance(minutes=29)
        last = c.get("/api/v1/dimensions/rep").status_code
    assert last == 401


def test_tokens_are_read_only_and_die_with_their_user(team):
    server, tokens, _ = team
    h = {"Authorization": "Bearer " + tokens["alain@x.org"]}
    assert httpx.get(server.url + "/api/v1/dimensions/team", headers=h).json() == [{"id": "a1", "label": "Lille"}]
    r = httpx.post(server.url + "/api/v1/import", headers=h, files={"files": ("teams.csv", CSV, "text/csv")})
    assert r.status_code == 403 and "read-only" in r.json()["message"]
    server.app.state.auth.store.disable("alain@x.org")
    assert httpx.get(server.url + "/api/v1/dimensions/team", headers=h).status_code == 401
    assert httpx.get(server.url + "/api/v1/kpis", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_import_is_admin_only(team):
    server, _, _ = team
    store = server.app.state.auth.store
    rep_write = login(server.url, "alain@x.org").client
    r = rep_write.post("/api/v1/import", files={"files": ("teams.csv", CSV, "text/csv")})
    assert r.status_code == 403 and "CSRF" in r.json()["message"]     # no header: refused before anything
    page = rep_write.get("/admin")
    assert page.status_code == 403
    csrf = store.session(rep_write.cookies["pilotage_session"].rsplit(".", 1)[0])[1]
    r = rep_write.post("/api/v1/import", files={"files": ("teams.csv", CSV, "text/csv")},
                       headers={"X-Pilotage-CSRF": csrf})
    assert r.status_code == 403 and r.json()["message"].startswith("admin only")
    adm = store.new_token("admin@x.org", write=True)
    r = httpx.post(server.url + "/api/v1/import", headers={"Authorization": "Bearer " + adm},
                   files={"files": ("teams.zip", _teams_zip(), "application/zip")})
    assert r.status_code == 200, r.text
    assert [a["target"] for a in store.audit_log() if a["action"] == "import"] == ["teams.zip"]


def test_a_cross_site_form_post_to_import_is_refused(tmp_path):
    """Single-user mode: a page of another site posting a form to the local server."""
    import pilotage
    from tests.web.conftest import LiveServer

    ws = pilotage.connect(str(tmp_path / "solo.duckdb"), create=True)
    with LiveServer(ws) as server:
        files = {"files": ("crm.zip", _teams_zip(), "application/zip")}
        r = httpx.post(server.url + "/api/v1/import", files=files, headers={"Origin": "https://evil.example"})
        assert r.status_code == 403 and "cross-site" in r.json()["message"]
        r = httpx.post(server.url + "/api/v1/import", files=files,
                       headers={"Origin": "https://evil.example", "X-Pilotage-CSRF": "1"})
        assert r.status_code == 403
        r = httpx.post(server.url + "/api/v1/import", files=files)     # a plain form: no custom header
        assert r.status_code == 403 and "X-Pilotage-CSRF" in r.json()["message"]
        assert ws.row_counts()["teams"] == 0
        r = httpx.post(server.url + "/api/v1/import", files=files,
                       headers={"Origin": server.url, "X-Pilotage-CSRF": "1"})
        assert r.status_code == 200 and ws.row_counts()["teams"] == 1
    ws.close()


def test_login_form_without_its_csrf_token_is_refused(team):
    server, _, _ = team
    r = httpx.post(server.url + "/login", data={"email": "alain@x.org", "password": PASSWORD})
    assert r.status_code == 403
    r = httpx.post(server.url + "/login", data={"email": "alain@x.org", "password": PASSWORD},
                   headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
