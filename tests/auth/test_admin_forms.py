"""The admin page's forms over real HTTP: add a user, new token, revoke, disable; CSRF and roles."""

from __future__ import annotations

import html
import re

import httpx

from tests.auth.conftest import PASSWORD, login


def _csrf(page: httpx.Response) -> str:
    return page.text.split('name="csrf_token" value="')[1].split('"')[0]


def _text(page: httpx.Response) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.text)))


def test_admin_adds_a_user_who_can_then_log_in(team):
    server, _, _ = team
    admin = login(server.url, "admin@x.org").client
    csrf = _csrf(admin.get("/admin"))
    r = admin.post("/admin/users", data={"email": "bea@x.org", "role": "rep", "rep_id": "r_b1",
                                         "password": "another long one", "csrf_token": csrf, "lang": "fr"})
    assert r.status_code == 303
    page = admin.get("/admin")
    assert "bea@x.org" in _text(page) and "r_b1" in _text(page)
    assert "user.add bea@x.org role=rep rep=r_b1" in _text(page).split("Journal d'audit")[1]  # audited
    assert page.headers["cache-control"] == "no-store"
    assert login(server.url, "bea@x.org", "another long one").status_code == 303


def test_a_bad_new_user_gets_the_reason_and_adds_nothing(team):
    server, _, _ = team
    admin = login(server.url, "admin@x.org").client
    csrf = _csrf(admin.get("/admin"))
    r = admin.post("/admin/users", data={"email": "zed@x.org", "role": "emperor", "password": "long enough pw",
                                         "csrf_token": csrf})
    assert r.status_code == 422
    assert "emperor" in _text(r)
    assert "zed@x.org" not in _text(admin.get("/admin")).split("Journal d'audit")[0]


def test_token_is_shown_once_and_revoke_and_disable_take_effect(team):
    server, _, _ = team
    admin = login(server.url, "admin@x.org").client
    csrf = _csrf(admin.get("/admin"))
    r = admin.post("/admin/users/alain@x.org/token", data={"csrf_token": csrf, "lang": "en"})
    assert r.status_code == 200 and "Token (shown once):" in _text(r)
    tok = re.search(r"<code>([^<]+)</code>", r.text).group(1)
    api = httpx.Client(base_url=server.url, timeout=60, headers={"Authorization": f"Bearer {tok}"})
    assert api.get("/api/v1/kpi", params={"ids": "leads"}).status_code == 200
    assert tok not in admin.get("/admin").text  # shown once

    csrf = _csrf(admin.get("/admin"))
    assert admin.post("/admin/users/alain@x.org/revoke", data={"csrf_token": csrf}).status_code == 303
    assert api.get("/api/v1/kpi", params={"ids": "leads"}).status_code == 401

    assert admin.post("/admin/users/alain@x.org/disable", data={"csrf_token": csrf}).status_code == 303
    assert "alain@x.org (désactivé)" in _text(admin.get("/admin"))
    assert login(server.url, "alain@x.org", PASSWORD).status_code != 303  # a disabled user cannot log in


def test_an_unknown_user_is_a_404_with_the_reason(team):
    server, _, _ = team
    admin = login(server.url, "admin@x.org").client
    csrf = _csrf(admin.get("/admin"))
    for action in ("disable", "revoke", "token"):
        r = admin.post(f"/admin/users/nobody@x.org/{action}", data={"csrf_token": csrf})
        assert r.status_code == 404, action
        assert "nobody@x.org" in _text(r), action


def test_a_form_without_its_csrf_token_changes_nothing(team):
    server, _, _ = team
    admin = login(server.url, "admin@x.org").client
    r = admin.post("/admin/users/alain@x.org/disable", data={"csrf_token": "forged"})
    assert r.status_code == 403
    assert "CSRF" in r.text
    assert "(désactivé)" not in _text(admin.get("/admin"))


def test_managers_and_reps_cannot_use_the_admin_page(team):
    server, _, _ = team
    for email in ("boss@x.org", "alain@x.org"):
        c = login(server.url, email).client
        assert c.get("/admin").status_code == 403, email
        csrf = _csrf(c.get("/login")) if 'name="csrf_token"' in c.get("/login").text else "x"
        r = c.post("/admin/users", data={"email": "evil@x.org", "role": "admin", "password": "long enough pw",
                                         "csrf_token": csrf})
        assert r.status_code == 403, email
    admin = login(server.url, "admin@x.org").client
    assert "evil@x.org" not in _text(admin.get("/admin"))


def test_login_and_admin_pages_load_their_stylesheet(team):
    server, _, _ = team
    admin = login(server.url, "admin@x.org").client
    for client, path in ((httpx.Client(base_url=server.url), "/login"), (admin, "/admin")):
        page = client.get(path)
        css = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text).group(1)
        assert client.get(css).status_code == 200, (path, css)
        assert 'rel="icon"' in page.text  # no /favicon.ico 404 in the browser's console
