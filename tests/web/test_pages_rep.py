"""The rep scorecard (/commercial/<rep_id>), the activity page (/activite) and the focus form of the
admin page, over real HTTP on a small org whose figures are worked out by hand.

Org (tests/auth/test_scope.py): teams root <- a <- a1, root <- b; reps r_root (root), r_a1 Alain (a1),
r_b Bea (b). Users: admin, boss (manager of team b), alain (rep r_a1).
"""

from __future__ import annotations

import html
import re

import httpx
import pytest

import pilotage
from tests.auth.conftest import login, make_users
from tests.auth.test_scope import REPS, TEAMS
from tests.kpis._helpers import act, opp
from tests.web.conftest import LiveServer

CUT = {"period": "custom", "from": "2024-01-01", "to": "2025-01-01"}

ACCOUNTS = [{"account_id": "ACC-1", "name": "Acme"}, {"account_id": "ACC-2", "name": "Globex"},
            {"account_id": "ACC-9", "name": "Initech"}]
STAGES = [{"pipeline": "default", "stage": s, "position": i} for i, s in
          enumerate(("discovery", "proposal", "closed_won", "closed_lost"), start=1)]
OPPS = [
    # Alain (r_a1): three deals won in 2024 of 10 000, 20 000 and 30 000 => revenue 60 000, 3 deals won,
    # average deal 20 000; one lost and one still open, all five created in 2024 => win rate 3 / 5 = 60 %
    opp("W1", "won", created_at="2024-01-10 09:00:00", closed_at="2024-02-10 09:00:00", amount=10000,
        owner="r_a1", account_id="ACC-1"),
    opp("W2", "won", created_at="2024-02-10 09:00:00", closed_at="2024-04-10 09:00:00", amount=20000,
        owner="r_a1", account_id="ACC-2"),
    opp("W3", "won", created_at="2024-03-10 09:00:00", closed_at="2024-06-10 09:00:00", amount=30000,
        owner="r_a1", account_id="ACC-1"),
    opp("L1", "lost", created_at="2024-03-15 09:00:00", closed_at="2024-05-15 09:00:00", amount=15000,
        owner="r_a1", account_id="ACC-2"),
    opp("O1", "open", created_at="2024-09-01 09:00:00", amount=45000, owner="r_a1", account_id="ACC-2",
        stage="proposal"),
    # Bea (r_b): one deal of 77 777 that nobody but Bea, her manager and the admin may see
    opp("B1", "won", created_at="2024-03-01 09:00:00", closed_at="2024-03-20 09:00:00", amount=77777,
        owner="r_b", account_id="ACC-9"),
]
# Alain's quota for 2024: 50 000 of revenue => attainment 60 000 / 50 000 = 120 %, met: nothing left to cover
QUOTAS = [{"quota_id": "Q1", "rep_id": "r_a1", "metric": "revenue", "period_start": "2024-01-01",
           "period_end": "2025-01-01", "target": 50000}]
ACTIVITIES = [act(f"c{i}", "call", f"2024-03-0{i + 1} 10:00:00", rep_id="r_a1") for i in range(4)] + [
    act("e1", "email", "2024-03-05 10:00:00", rep_id="r_a1"),
    act("m1", "meeting", "2024-03-06 10:00:00", rep_id="r_a1"),
    act("bc1", "call", "2024-03-07 10:00:00", rep_id="r_b"),
]


@pytest.fixture(scope="module")
def org(tmp_path_factory):
    ws = pilotage.connect(str(tmp_path_factory.mktemp("rep") / "rep.duckdb"), create=True)
    ws.load({"teams": TEAMS, "reps": REPS, "accounts": ACCOUNTS, "stages": STAGES, "opportunities": OPPS,
             "activities": ACTIVITIES, "quotas": QUOTAS})
    make_users(ws)
    with LiveServer(ws) as server:
        yield server
    ws.close()


@pytest.fixture(scope="module")
def sessions(org):
    out = {who: login(org.url, f"{who}@x.org").client for who in ("admin", "boss", "alain")}
    yield out
    for c in out.values():
        c.close()


def plain(s: str) -> str:
    """Unescaped, with the no-break spaces of French numbers as plain spaces."""
    return html.unescape(s).replace("\u00a0", " ").replace("\u202f", " ")


def text(r: httpx.Response) -> str:
    body = re.sub(r"<script.*?</script>", " ", r.text, flags=re.S)
    return re.sub(r"\s+", " ", plain(re.sub(r"<[^>]+>", " ", body)))


def figure(r: httpx.Response, kpi: str) -> tuple[str, str | None]:
    """(shown text, exact figure on hover) of a card."""
    m = re.search(rf'data-kpi="{kpi}"(?: title="([^"]*)")?>([^<]*)<', r.text)
    assert m, kpi
    return plain(m.group(2)), plain(m.group(1)) if m.group(1) else None


def test_scorecard_shows_the_reps_figures_worked_out_by_hand(sessions):
    r = sessions["admin"].get("/commercial/r_a1", params=CUT)
    assert r.status_code == 200, r.text[:500]
    assert "<h1>Alain</h1>" in r.text
    assert figure(r, "revenue") == ("60 k€", "60 000,00 €")
    assert figure(r, "deals_won") == ("3", None)
    assert figure(r, "avg_deal_size") == ("20 k€", "20 000,00 €")
    assert figure(r, "win_rate")[0] == "60,0 %"
    assert figure(r, "quota_attainment")[0] == "120,0 %"
    t = text(r)
    assert "3 sur 5" in t  # the win rate's counts
    # pipeline coverage is empty since the target is met, and the card says why
    assert "Couverture du pipeline non disponible" in t and "Objectif déjà atteint : plus rien à couvrir." in t
    # the goal (an imported quota): target, achieved, attainment, status
    # evaluated on the range's last day (31 December), which the goal service counts as still under way
    assert "Chiffre d'affaires 2024 50 000 € 60 000 € 120,0 % en bonne voie" in t
    # each figure leads to its KPI page cut on the rep
    assert 'href="/kpi/revenue?period=custom&amp;from=2024-01-01&amp;to=2025-01-01&amp;rep=r_a1"' in r.text
    # the deals: closed ones latest first (W3, L1, W2, W1), by the account's name (the deal's id on hover),
    # with amount, stage, status and closing date
    closed = r.text.split('id="h-deals-closed"')[1]
    assert [plain(x) for x in re.findall(r'<th scope="row" title="([^"]+)"', closed)] == [
        "W3 · ACC-1", "L1 · ACC-2", "W2 · ACC-2", "W1 · ACC-1"]
    closed = t.split("Affaires clôturées dans la période")[-1]
    assert "Acme 30 000 € closed_won signée 10/06/2024" in closed
    assert "Globex 15 000 € closed_lost perdue 15/05/2024" in closed
    open_ = t.split("Affaires en cours à la fin de la période")[-1].split("Affaires clôturées")[0]
    assert "Globex 45 000 € proposal" in open_ and 'title="O1 · ACC-2"' in r.text
    assert "B1" not in t and "77 777" not in t  # Bea's deal is not Alain's


def test_scorecard_in_english(sessions):
    r = sessions["admin"].get("/commercial/r_a1", params={**CUT, "lang": "en"})
    assert r.status_code == 200
    assert figure(r, "revenue") == ("€60K", "€60,000.00")
    assert "Deals closed in the period" in text(r)


def test_a_rep_sees_only_their_own_scorecard(sessions):
    alain = sessions["alain"]
    own = alain.get("/commercial/r_a1", params=CUT)
    assert own.status_code == 200 and figure(own, "revenue")[0] == "60 k€"
    other = alain.get("/commercial/r_b", params=CUT)
    assert other.status_code == 403
    t = text(other)
    assert "pas dans votre périmètre" in t
    assert "Bea" not in t and "77" not in t and "data-kpi" not in other.text
    # a rep that does not exist gets the same answer: nothing says whether it exists
    ghost = alain.get("/commercial/nobody", params=CUT)
    assert ghost.status_code == 403 and text(ghost).replace("nobody", "") == t.replace("r_b", "")


def test_a_manager_sees_the_reps_of_their_teams_only(sessions):
    boss = sessions["boss"]  # manager of team b: Bea
    r = boss.get("/commercial/r_b", params=CUT)
    assert r.status_code == 200 and figure(r, "revenue") == ("77,8 k€", "77 777,00 €")
    assert boss.get("/commercial/r_a1", params=CUT).status_code == 403


def test_admin_gets_404_for_an_unknown_rep(sessions):
    r = sessions["admin"].get("/commercial/nobody", params=CUT)
    assert r.status_code == 404 and "Commercial inconnu" in text(r)


def test_choosing_another_rep_in_the_filters_opens_their_scorecard(sessions):
    r = sessions["admin"].get("/commercial/r_a1", params={**CUT, "rep": "r_b"}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/commercial/r_b?") and "rep=" not in r.headers["location"]


def test_team_page_links_rep_names_to_their_scorecard(sessions):
    admin = sessions["admin"]
    r = admin.get("/equipe", params=CUT)
    link = re.search(r'<th scope="row"[^>]*><a href="([^"]+)">Alain</a>', r.text)
    assert link, "Alain is not a link on the team page"
    href = html.unescape(link.group(1))
    assert href == "/commercial/r_a1?period=custom&from=2024-01-01&to=2025-01-01"
    card = admin.get(href)
    assert card.status_code == 200 and figure(card, "revenue")[0] == "60 k€"


def test_kpi_breakdown_by_rep_links_to_the_scorecard(sessions):
    r = sessions["admin"].get("/kpi/revenue", params=CUT)
    assert re.search(r'<a href="/commercial/r_b\?[^"]*">Bea</a>', r.text)


def _row(r: httpx.Response, name: str) -> list[str]:
    m = re.search(rf'>{name}</a></th>(.*?)</tr>', r.text, flags=re.S)
    assert m, name
    return [plain(c).strip() for c in re.findall(r"<td[^>]*>([^<]*)", m.group(1))]


def test_activity_page_counts_per_rep_against_results(sessions):
    r = sessions["admin"].get("/activite", params=CUT)
    assert r.status_code == 200, r.text[:500]
    # Alain: 4 calls, 1 e-mail, 1 meeting = 6 activities; 2024 has 366 days = 52,29 weeks => 0,11 a week;
    # 3 deals won, 60 000 € of revenue, 6 / 3 = 2 activities per deal won
    assert _row(r, "Alain") == ["4", "1", "1", "6", "0,11", "3", "60 000 €", "2,0"]
    assert _row(r, "Bea") == ["1", "0", "0", "1", "0,02", "1", "77 777 €", "1,0"]
    assert "activités de la période / 52,29 semaines de la période" in text(r)
    # the weekly chart holds complete weeks only: 2024-01-01 is a Monday; the week of Monday 2024-12-30
    # is cut by the range's end (2025-01-01) and left out, so the last bar is the week of 23 December
    import json

    weekly = json.loads(html.unescape(re.search(r'data-plot="[^"]+">(.*?)</script>', r.text, flags=re.S).group(1)))
    x = weekly["data"][0]["x"]
    assert (x[0], x[-1], len(x)) == ("01/01/2024", "23/12/2024", 52)


def test_activity_page_is_scoped(sessions):
    r = sessions["alain"].get("/activite", params=CUT)
    assert r.status_code == 200
    assert _row(r, "Alain")[:4] == ["4", "1", "1", "6"]
    assert ">Bea<" not in r.text and "77 777" not in r.text


def _csrf(client: httpx.Client, path: str = "/admin") -> str:
    return client.get(path).text.split('name="csrf_token" value="')[1].split('"')[0]


def test_admin_picks_the_overviews_focus_kpis(org, sessions):
    admin = sessions["admin"]
    page = admin.get("/admin")
    assert page.status_code == 200
    # the default ten are ticked, CLV and pipeline coverage among them
    for kpi in ("clv", "pipeline_coverage", "quota_attainment"):
        assert f'name="focus" value="{kpi}" checked' in page.text
    token = _csrf(admin)
    eleven = ["revenue", "deals_won", "avg_deal_size", "win_rate", "lead_conversion_rate", "sales_cycle_days",
              "quota_attainment", "pipeline_coverage", "churn_rate", "clv", "calls"]
    r = admin.post("/admin/settings/focus", data={"focus": eleven, "csrf_token": token})
    assert r.status_code == 422
    assert "11 indicateurs cochés : au plus 10. Décochez-en 1." in text(r)
    assert 'value="calls" checked' in r.text  # the form keeps what was ticked
    assert admin.post("/admin/settings/focus", data={"csrf_token": token}).status_code == 422
    r = admin.post("/admin/settings/focus", data={"focus": ["calls", "revenue", "win_rate"], "csrf_token": token})
    assert r.status_code == 303
    try:
        overview = admin.get("/", params=CUT)
        cards = re.findall(r'<article class="card[^"]*" id="card-([a-z_]+)"', overview.text)
        # kept ones in their place (revenue, win rate), the new one after them
        assert cards == ["revenue", "win_rate", "calls"]
        assert "focus=revenue,win_rate,calls" in admin.get("/admin").text  # audited
    finally:
        from pilotage.settings import DEFAULT_FOCUS

        r = admin.post("/admin/settings/focus", data={"focus": list(DEFAULT_FOCUS), "csrf_token": token})
        assert r.status_code == 303


def test_focus_form_is_admin_only_and_needs_its_csrf_token(sessions):
    alain, admin = sessions["alain"], sessions["admin"]
    assert alain.post("/admin/settings/focus", data={"focus": ["calls"], "csrf_token": "x"}).status_code == 403
    assert admin.post("/admin/settings/focus", data={"focus": ["calls"], "csrf_token": "forged"}).status_code == 403
