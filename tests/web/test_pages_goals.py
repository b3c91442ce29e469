"""The Objectifs, Mon tableau de bord and Challenges pages, and the SMTP settings of the admin page,
over real HTTP, on a tiny workspace whose answers are worked out by hand.

Team t1 = r1, r2, r3; team t2 = r4. Revenue won in 2025-Q1 (90 days, 1 January to 1 April), as of
14 February (45 days elapsed, the 14th counts: halfway):

    rep  won                         goal      attainment  pace = value × 90 / 45   projected  status
    r1   20 000 (01-10) + 40 000 (02-03)  100 000   60 %        120 000                  120 %      on track
    r2   30 000 (01-20)              100 000   30 %         60 000                   60 %      behind
    r3   47 500 (02-01)              100 000   47,5 %       95 000                   95 %      at risk
    r4   10 000 (01-15)               10 000  100 %         20 000                  200 %      on track

Team picture (admin): 1 rep of 4 at quota (25 %, under 60 % over at least three reps: the warning);
distribution < 50 %: r2, r3; 50-80 %: r1; 100-120 %: r4; within ±20 %: r4 only (25 %).
Manager of t1: r1, r2, r3, none at quota (0 %, three reps: the warning). Rep r1: their own goal only,
one rep: no warning.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re

import httpx
import pytest

import pilotage
from pilotage.auth.store import AuthStore
from pilotage.goals import service as G
from tests.auth.conftest import PASSWORD, login
from tests.kpis._helpers import rep, team, won
from tests.web.conftest import LiveServer

TODAY = {"today": "2025-02-14"}


def load(ws) -> None:
    ws.load({
        "teams": [team("t1"), team("t2")],
        "reps": [rep("r1", "t1"), rep("r2", "t1"), rep("r3", "t1"), rep("r4", "t2")],
        "opportunities": [
            won("o1", "2025-01-10 10:00:00", 20000, owner="r1", created_at="2024-12-01 09:00:00"),
            won("o2", "2025-02-03 10:00:00", 40000, owner="r1", created_at="2024-12-01 09:00:00"),
            won("o3", "2025-01-20 10:00:00", 30000, owner="r2", created_at="2024-12-01 09:00:00"),
            won("o4", "2025-02-01 10:00:00", 47500, owner="r3", created_at="2024-12-01 09:00:00"),
            won("o5", "2025-01-15 10:00:00", 10000, owner="r4", created_at="2024-12-01 09:00:00"),
        ],
    })
    for r, target in (("r1", 100000), ("r2", 100000), ("r3", 100000), ("r4", 10000)):
        G.set_goal(ws, "revenue", "2025-Q1", target, rep=r)


@pytest.fixture
def tiny(tmp_path):
    """Single-user mode (no users) over the tiny workspace."""
    ws = pilotage.connect(str(tmp_path / "goals.duckdb"), create=True)
    load(ws)
    with LiveServer(ws) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        client.ws = ws
        yield client
    ws.close()


@pytest.fixture
def roles(tmp_path):
    """The same workspace with users: admin, manager of t1, rep r1 (logged-in clients by role)."""
    ws = pilotage.connect(str(tmp_path / "goals-team.duckdb"), create=True)
    load(ws)
    store = AuthStore(ws.db)
    store.add_user("admin@x.org", "admin", password=PASSWORD)
    store.add_user("boss@x.org", "manager", team_ids=("t1",), password=PASSWORD)
    store.add_user("r1@x.org", "rep", rep_id="r1", password=PASSWORD)
    with LiveServer(ws) as server:
        clients = {e.split("@")[0]: login(server.url, e).client for e in ("admin@x.org", "boss@x.org", "r1@x.org")}
        clients["url"] = server.url
        clients["ws"] = ws
        yield clients
        for k, c in clients.items():
            if k not in ("url", "ws"):
                c.close()
    ws.close()


def text(r: httpx.Response) -> str:
    return html.unescape(r.text)


def row(r: httpx.Response, owner: str) -> str:
    """The table row of the goal owned by ``owner``."""
    found = re.search(rf'<tr data-goal="[^"]*" data-owner="{owner}">(.*?)</tr>', r.text, flags=re.S)
    assert found, f"no goal row for {owner}"
    return flat(html.unescape(found.group(1)))


def flat(s: str) -> str:
    """Numbers with plain spaces (babel puts narrow and no-break spaces in 60 000 € and 25,0 %)."""
    return s.replace("\u202f", " ").replace("\xa0", " ")


def csrf_of(r: httpx.Response) -> str:
    return r.text.split('name="csrf_token" value="')[1].split('"')[0]


def test_objectifs_shows_the_hand_worked_numbers(tiny):
    r = tiny.get("/objectifs", params=TODAY)
    assert r.status_code == 200, r.text[:2000]
    page = text(r)
    # the period shown is said: the fiscal quarter running on the 14th
    assert "Période affichée : 2025-Q1, du 1 janvier 2025 au 31 mars 2025" in page
    assert "mesuré au 14 février 2025" in page
    r1 = row(r, "r1")
    assert ">60 000 €<" in r1 and "100 000 €" in r1 and "60,0 %" in r1 and "120 000 €" in r1 and "120,0 %" in r1
    assert 'data-status="on_track"' in r1 and ">En bonne voie<" in r1
    # the rule in a title: pace = 60 000 € × 90 / 45; status: projected ≥ 100 %
    assert "60 000 € × 90 / 45" in r1 and "au moins 100 %" in r1
    # the value links to the KPI page over the goal's cut: r1, 1 January to the 14th included
    assert 'href="/kpi/revenue?today=2025-02-14&period=custom&from=2025-01-01&to=2025-02-15&rep=r1"' in r1
    assert 'data-status="behind"' in row(r, "r2") and "30,0 %" in row(r, "r2")
    assert 'data-status="at_risk"' in row(r, "r3") and "47,5 %" in row(r, "r3")
    assert "95 000 €" in row(r, "r3")
    # the at-risk list: r3 (at risk) and r2 (behind), not r1 nor r4
    risk = page.split('id="h-risk"')[1].split("</section>")[0]
    assert "Rep r2" in risk and "Rep r3" in risk and "Rep r1" not in risk and "Rep r4" not in risk
    # the quota picture: 1 of 4 at quota, 25 %, the warning (4 reps); within ±20 %: 25 %
    assert re.search(r'id="share-at-quota">25,0\s%<', page) and "1 sur 4" in page
    assert re.search(r'id="within-20">25,0\s%<', page)
    assert "quotas probablement trop ambitieux" in page
    # the distribution chart: < 50 %: 2, 50-80 %: 1, 80-100 %: 0, 100-120 %: 1, ≥ 120 %: 0
    plots = [json.loads(html.unescape(m)) for m in re.findall(r'data-plot="[^"]+">(.*?)</script>', r.text, re.S)]
    bars = [p for p in plots if p["data"][0].get("x") and "< 50 %" in p["data"][0]["x"]]
    assert bars and bars[0]["data"][0]["y"] == [2, 1, 0, 1, 0]
    # the team t1, rolled up from its reps: 300 000 target, 137 500 won
    t1 = row(r, "t1")
    assert "300 000 €" in t1 and "137 500 €" in t1
    # in English too, without a raw key
    en = text(tiny.get("/objectifs", params={**TODAY, "lang": "en"}))
    assert "Period shown: 2025-Q1" in en and "On track" in en and "quotas likely too ambitious" in en


def test_a_period_chosen_and_a_period_without_goals(tiny):
    r = tiny.get("/objectifs", params={**TODAY, "goal_period": "2025-03"})
    assert r.status_code == 200 and "Aucun objectif sur cette période." in text(r)
    assert tiny.get("/objectifs", params={**TODAY, "goal_period": "2025-13"}).status_code == 400


def test_the_goal_form_sets_a_goal_over_http(tiny):
    page = tiny.get("/objectifs", params=TODAY)
    token = csrf_of(page)
    r = tiny.post("/objectifs", data={"kpi": "deals_won", "period": "2025-Q1", "owner": "rep:r4", "target": "4",
                                      "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    assert [g["target"] for g in G.progress(tiny.ws, period="2025-Q1", rep="r4", as_of="2025-02-14")
            if g["kpi"] == "deals_won"] == [4]
    shown = tiny.get(r.headers["location"] + "&today=2025-02-14")
    assert "Objectif enregistré." in text(shown)
    # deals won by r4 so far: 1 (o5) against 4; pace 1 × 90 / 45 = 2 -> 50 %: behind
    r4 = [flat(html.unescape(m)) for m in re.findall(r'<tr data-goal="[^"]*" data-owner="r4">(.*?)</tr>', shown.text,
                                                     re.S)]
    deals = next(x for x in r4 if "/kpi/deals_won" in x)
    assert ">1<" in deals and ">4<" in deals and "25,0 %" in deals and 'data-status="behind"' in deals
    # a bad target is said on the page (422), a form without its token is refused (403)
    bad = tiny.post("/objectifs", data={"kpi": "revenue", "period": "2025-Q1", "owner": "rep:r4", "target": "-5",
                                        "csrf_token": token})
    assert bad.status_code == 422 and "expected a positive number" in bad.text
    assert tiny.post("/objectifs", data={"kpi": "revenue", "period": "2025-Q1", "owner": "rep:r4",
                                         "target": "5"}).status_code == 403


def test_roles_on_the_goals_page(roles):
    # a rep sees their own goal only, no form, and cannot post one
    mine = roles["r1"].get("/objectifs", params=TODAY)
    assert mine.status_code == 200
    assert 'data-owner="r1"' in mine.text and 'data-owner="r2"' not in mine.text and 'data-owner="r4"' not in mine.text
    assert 'id="set-goal"' not in mine.text
    assert "trop ambitieux" not in text(mine)  # one rep: no warning
    token = mine.text.split('name="csrf_token" value="')[1].split('"')[0]  # the logout form's: the session's token
    r = roles["r1"].post("/objectifs", data={"kpi": "revenue", "period": "2025-Q1", "owner": "rep:r1",
                                             "target": "1", "csrf_token": token})
    assert r.status_code == 403
    assert [g["target"] for g in G.progress(roles["ws"], period="2025-Q1", rep="r1", as_of="2025-02-14")] == [100000]
    # a manager sees team t1's reps, not r4; 0 of 3 at quota: the warning; sets a goal for r2, not r4
    boss = roles["boss"].get("/objectifs", params=TODAY)
    assert {o for o in re.findall(r'data-owner="(\w+)"', boss.text)} >= {"r1", "r2", "r3"}
    assert 'data-owner="r4"' not in boss.text
    assert re.search(r'id="share-at-quota">0,0\s%<', text(boss)) and "trop ambitieux" in text(boss)
    assert 'value="rep:r4"' not in boss.text and 'value="company"' not in boss.text
    token = csrf_of(boss)
    ok = roles["boss"].post("/objectifs", data={"kpi": "revenue", "period": "2025-Q1", "owner": "rep:r2",
                                                "target": "90000", "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303
    no = roles["boss"].post("/objectifs", data={"kpi": "revenue", "period": "2025-Q1", "owner": "rep:r4",
                                                "target": "1", "csrf_token": token})
    assert no.status_code == 403
    # the admin sees everything
    assert 'data-owner="r4"' in roles["admin"].get("/objectifs", params=TODAY).text


def test_my_dashboard(roles):
    from pilotage.challenges import service as C

    C.create(roles["ws"], name="Sprint février", kpi="revenue", start="2025-02-01", end="2025-03-01",
             participants=["r1", "r2", "r3"], rewards=["1:bonus:500"])
    old = C.create(roles["ws"], name="Janvier", kpi="revenue", start="2025-01-01", end="2025-02-01",
                   participants=["r1", "r2", "r4"], rewards=["1:bonus:300"])
    C.close(roles["ws"], old["challenge_id"], today=dt.date(2025, 2, 14))
    r = roles["r1"].get("/moi", params=TODAY)
    assert r.status_code == 200
    page = text(r).replace("\u202f", " ").replace("\xa0", " ")
    assert 'data-owner="r1"' in r.text and 'data-owner="r2"' not in r.text
    assert "60,0 %" in page and "120 000 €" in page
    # February: r1 40 000, r3 47 500, r2 none -> r1 second of three
    assert "2e sur 3" in page and "40 000 €" in page
    # January (frozen): r1 20 000, r2 30 000 (first: 300), r4 10 000 -> no reward for r1
    assert "Aucune récompense pour l'instant." in page
    # the admin has no rep: said plainly, with the way to Objectifs
    a = roles["admin"].get("/moi", params=TODAY)
    assert a.status_code == 200 and 'id="no-rep"' in a.text and 'href="/objectifs' in a.text


def test_my_dashboard_in_single_user_mode(tiny):
    r = tiny.get("/moi", params=TODAY)
    assert r.status_code == 200 and 'name="rep"' in r.text  # choose a rep
    r = tiny.get("/moi", params={**TODAY, "rep": "r3"})
    assert 'data-status="at_risk"' in r.text and "Rep r3" in text(r)


def test_challenges_pages(tiny, roles):
    # create over HTTP (single-user mode): Q1 revenue, r1 60 000, r3 47 500, r2 30 000, r4 10 000
    page = tiny.get("/challenges", params=TODAY)
    assert page.status_code == 200 and 'id="create-challenge"' in page.text
    r = tiny.post("/challenges", data={"name": "Trimestre", "kpi": "revenue", "start": "2025-01-01",
                                       "end": "2025-04-01", "rewards": "1:bonus:500\n2:gift::Dîner",
                                       "budget": "1000", "csrf_token": csrf_of(page)}, follow_redirects=False)
    assert r.status_code == 303, r.text[:1000]
    board = tiny.get(r.headers["location"], params=TODAY)
    assert board.status_code == 200
    rows = re.findall(r'<tr>\s*<td class="num rank">(\d*).*?</td>\s*<th scope="row">(.*?)</th>\s*<td[^>]*>(.*?)</td>',
                      board.text, re.S)
    got = [(rank, re.sub(r"<[^>]+>", "", name).strip()[-6:], re.sub(r"<[^>]+>", "", score).strip())
           for rank, name, score in rows]
    assert [(g[0], g[1]) for g in got] == [("1", "Rep r1"), ("2", "Rep r3"), ("3", "Rep r2"), ("4", "Rep r4")]
    assert [flat(g[2]) for g in got] == ["60 000 €", "47 500 €", "30 000 €", "10 000 €"]
    assert [m for m in re.findall(r'class="medal (\w+)"', board.text)] == ["gold", "silver", "bronze"]
    assert "Prime · 500,00 €" in text(board).replace("\xa0", " ").replace("\u202f", " ")
    # an over-budget challenge is refused with the reason, on the page
    bad = tiny.post("/challenges", data={"name": "X", "kpi": "revenue", "start": "2025-01-01", "end": "2025-04-01",
                                         "rewards": "1:bonus:500", "budget": "100", "csrf_token": csrf_of(page)})
    assert bad.status_code == 422 and "over the budget" in bad.text
    # an ended challenge shows as frozen, its reward in the ledger
    from pilotage.challenges import service as C

    c = C.create(tiny.ws, name="Janvier", kpi="revenue", start="2025-01-01", end="2025-02-01",
                 rewards=["1:bonus:300"])
    j = tiny.get(f"/challenges/{c['challenge_id']}", params=TODAY)
    assert "Résultats figés" in text(j)
    listing = text(tiny.get("/challenges", params=TODAY))
    ledger = listing.split('id="h-ledger"')[1]
    assert "Rep r2" in ledger and "Janvier" in ledger  # January: r2 first with 30 000

    # roles: r1 sees the challenges they take part in, names, ranks and scores only; posts nothing
    ws = roles["ws"]
    feb = C.create(ws, name="Février", kpi="revenue", start="2025-02-01", end="2025-03-01",
                   participants=["r1", "r3"], rewards=["1:bonus:500"])
    other = C.create(ws, name="Autre", kpi="revenue", start="2025-02-01", end="2025-03-01",
                     participants=["r2", "r4"])
    mine = roles["r1"].get(f"/challenges/{feb['challenge_id']}", params=TODAY)
    assert mine.status_code == 200 and "Rep r3" in mine.text and "Points" not in mine.text and "Prime" not in mine.text
    assert roles["r1"].get(f"/challenges/{other['challenge_id']}", params=TODAY).status_code == 403
    listed = roles["r1"].get("/challenges", params=TODAY)
    assert "Février" in text(listed) and "Autre" not in text(listed) and 'id="create-challenge"' not in listed.text
    token = listed.text.split('name="csrf_token" value="')[1].split('"')[0]
    r = roles["r1"].post("/challenges", data={"name": "Moi", "kpi": "revenue", "start": "2025-02-01",
                                              "end": "2025-03-01", "csrf_token": token})
    assert r.status_code == 403


def test_smtp_settings_on_the_admin_page(roles):
    from pilotage.goals import notify

    page = roles["admin"].get("/admin")
    assert "PILOTAGE_SMTP_PASSWORD" in page.text and 'id="smtp-form"' in page.text
    r = roles["admin"].post("/admin/smtp", data={"host": "127.0.0.1", "port": "2525", "sender": "pilotage@x.org",
                                                 "starttls": "1", "csrf_token": csrf_of(page)},
                            follow_redirects=False)
    assert r.status_code == 303
    assert notify.smtp_settings(roles["ws"]) == {"host": "127.0.0.1", "port": 2525, "sender": "pilotage@x.org",
                                                 "username": None, "starttls": True}
    shown = roles["admin"].get("/admin")
    assert 'value="2525"' in shown.text and "smtp.set" in shown.text  # audited
    bad = roles["admin"].post("/admin/smtp", data={"host": "h", "port": "x", "sender": "a@b",
                                                   "csrf_token": csrf_of(page)})
    assert bad.status_code == 422
    # a manager may not (the admin page is admin only)
    boss = roles["boss"].get("/objectifs")
    r = roles["boss"].post("/admin/smtp", data={"host": "evil", "port": "25", "sender": "a@b.c",
                                                "csrf_token": csrf_of(boss)})
    assert r.status_code == 403
    assert notify.smtp_settings(roles["ws"])["host"] == "127.0.0.1"


@pytest.mark.browser
@pytest.mark.parametrize("width", [1440, 390])
def test_the_pages_in_a_browser(tiny, width):
    """Objectifs, a leaderboard and a rep's dashboard in chromium: drawn, no console error, nothing wider
    than the window (390 px: a phone)."""
    from pilotage.challenges import service as C
    from tests.web.test_pages_browser import ARGS, CHROMIUM, SHOTS, Watched, _why_not

    reason = _why_not()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    c = C.create(tiny.ws, name="Trimestre", kpi="revenue", start="2025-01-01", end="2025-04-01",
                 rewards=["1:bonus:500"])
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR",
                                      is_mobile=width < 800)
        w = Watched(context.new_page(), str(tiny.base_url).rstrip("/"))
        for name, path in (("objectifs", "/objectifs?today=2025-02-14"),
                           ("challenge", f"/challenges/{c['challenge_id']}?today=2025-02-14"),
                           ("moi", "/moi?rep=r1&today=2025-02-14")):
            page = w.open(path)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{path} scrolls sideways"
            if name == "objectifs":
                page.wait_for_selector(".plot .main-svg")  # the distribution chart is drawn
                assert page.locator('tr[data-owner="r1"] .goal-att').inner_text().replace("\u202f", " ") \
                    .replace("\xa0", " ") == "60,0 %"
                # the status explains its rule on hover
                assert "au moins 100 %" in page.locator('tr[data-owner="r1"] .status').get_attribute("title")
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"goals-{name}-{width}.png"), full_page=True)
        assert w.errors == [], w.errors
        assert w.foreign() == []
        context.close()
        browser.close()
