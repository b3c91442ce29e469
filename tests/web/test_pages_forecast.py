"""The forecast pages (Prévisions, Affaires ouvertes, Valeur client) over real HTTP: the API's
figures on the page in both languages, a hand-worked slipping list, the user's scope (rep,
manager, admin) on the API and the pages, and one page in a real browser at 1440 and 390 px."""

from __future__ import annotations

import html
import re

import httpx
import pytest

import pilotage
from pilotage.auth.store import AuthStore
from pilotage.formatting import fmt, fmt_whole
from tests.web.conftest import LiveServer

LOCALE = {"fr": "fr_FR", "en": "en_US"}


def text(r: httpx.Response) -> str:
    body = re.sub(r"<script.*?</script>", " ", r.text, flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def money(v: float, lang: str) -> str:
    """A table cell's amount (from 1 000 up without cents), as the pages show it."""
    return fmt_whole(v, LOCALE[lang], "EUR") if abs(v) >= 1000 else fmt(v, "money", LOCALE[lang], "EUR")


def cell(v, unit: str, lang: str) -> str:
    return fmt(v, unit, LOCALE[lang], "EUR")


def figure(page: str, key: str) -> str:
    """The exact figure of a tile (its title when the tile shows it compact)."""
    m = re.search(rf'data-fig="{key}" data-exact="([^"]*)"', page)
    assert m, key
    return html.unescape(m.group(1))


# --------------------------------------------------------------------------- the API's figures on the pages
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_previsions_shows_the_forecast_and_backtest_the_api_gives(http, lang):
    api = http.get("/api/v1/forecast/revenue", params={"months": 6}).json()
    r = http.get("/previsions", params={"lang": lang})
    assert r.status_code == 200
    page, shown = r.text, text(r)
    assert ("Prévisions" if lang == "fr" else "Forecast") in shown
    for row in api["forecast"]:  # every month of the forecast table, its 80 % and 95 % intervals
        assert money(row["forecast"], lang) in shown
        assert f"{money(row['lo80'], lang)} – {money(row['hi80'], lang)}" in shown
        assert f"{money(row['lo95'], lang)} – {money(row['hi95'], lang)}" in shown
    assert figure(page, "next") == cell(api["forecast"][0]["forecast"], "money", lang)
    bt = api["backtest"]
    assert figure(page, "mape") == cell(bt["mape"], "rate", lang)
    assert figure(page, "mase") == cell(bt["mase"], "ratio", lang)
    assert f'data-verdict="{"model" if bt["better_than_naive"] else "naive"}"' in page
    # the categories and every slipping or stuck deal come from the same API
    deals = http.get("/api/v1/deals", params={"lang": lang}).json()
    stuck = [d for d in deals if d["stuck"]]
    assert f"({len(stuck)})" in shown
    every = http.get("/previsions", params={"lang": lang, "all": 1}).text  # every row of the lists
    table = every.split('class="data fc-stuck"')[1].split("</table>")[0]
    listed = [html.unescape(n) for n in re.findall(r'<th scope="row"[^>]*>([^<]*)</th>', table)]
    assert sorted(listed) == sorted(d["account_name"] for d in stuck)
    assert 'href="/kpi/pipeline_coverage' in page


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_affaires_lists_the_open_deals_with_the_api_probabilities(http, lang):
    deals = http.get("/api/v1/deals", params={"lang": lang}).json()
    bt = http.get("/api/v1/deals/backtest").json()
    r = http.get("/affaires", params={"lang": lang})
    assert r.status_code == 200
    page, shown = r.text, text(r)
    assert figure(page, "deals") == cell(len(deals), "count", lang)
    assert figure(page, "weighted") == cell(round(sum(d["weighted"] or 0 for d in deals), 2), "money", lang)
    assert figure(page, "brier") == cell(bt["brier"], "ratio", lang)
    rows = re.findall(r"<tr>.*?</tr>", page.split('class="data fc-deals"')[1].split("</table>")[0], flags=re.S)[1:]
    for d, row in zip(deals[:10], rows, strict=False):  # the same order: by weighted amount
        row = html.unescape(row)
        assert d["account_name"] in row
        assert cell(d["win_probability"], "rate", lang) in row
        assert cell(d["stage_probability"], "rate", lang) in row
        assert ", ".join(d["factors"]) in row
    assert len(bt["calibration"]) and bt["calibration"][0]["bin"] in shown


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_valeur_client_shows_the_api_customer_values(http, lang):
    rows = http.get("/api/v1/clv/customers", params={"horizon": 12}).json()
    fit = http.get("/api/v1/clv/fit").json()
    seg = http.get("/api/v1/clv/customers", params={"by_segment": True}).json()
    r = http.get("/valeur-client", params={"lang": lang})
    assert r.status_code == 200
    page, shown = r.text, text(r)
    assert figure(page, "customers") == cell(len(rows), "count", lang)
    assert figure(page, "clv_total") == cell(round(sum(x["clv"] for x in rows), 2), "money", lang)
    top = page.split('class="data fc-top"')[1].split("</table>")[0]
    for x in rows[:5]:
        assert money(x["clv"], lang) in html.unescape(top)
        assert cell(x["p_alive"], "rate", lang) in html.unescape(top)
    for g in seg:
        assert money(g["clv_total"], lang) in shown
    assert cell(fit["bgnbd"]["r"], "ratio", lang) in shown and cell(fit["gamma_gamma"]["gamma"], "ratio", lang) in shown


# --------------------------------------------------------------------------- a hand-worked slipping list
TINY_TEAMS = [{"team_id": "T", "name": "Équipe"}]
TINY_REPS = [{"rep_id": "R", "name": "Rita", "team_id": "T"}]
TINY_ACCOUNTS = [{"account_id": a, "name": n, "segment": "smb", "created_at": "2024-01-01"}
                 for a, n in (("A1", "Alpha SA"), ("A2", "Bravo SARL"), ("A3", "Charlie SAS"))]
# the data's "now" is the latest creation: 1 March 2025. Alpha's close was expected on 15 February
# (14 days late), Bravo's on 31 January (29 days late), Charlie's on 30 June (not slipping).
TINY_DEALS = [
    {"opportunity_id": "O1", "account_id": "A1", "owner_rep_id": "R", "created_at": "2025-01-10", "stage": "s1",
     "status": "open", "amount": 1000, "expected_close_date": "2025-02-15", "pipeline": "default"},
    {"opportunity_id": "O2", "account_id": "A2", "owner_rep_id": "R", "created_at": "2025-02-01", "stage": "s1",
     "status": "open", "amount": 2500, "expected_close_date": "2025-01-31", "pipeline": "default"},
    {"opportunity_id": "O3", "account_id": "A3", "owner_rep_id": "R", "created_at": "2025-03-01", "stage": "s1",
     "status": "open", "amount": 4000, "expected_close_date": "2025-06-30", "pipeline": "default"},
]


@pytest.fixture
def tiny(tmp_path):
    ws = pilotage.connect(str(tmp_path / "tiny.duckdb"), create=True)
    ws.load({"teams": TINY_TEAMS, "reps": TINY_REPS, "accounts": TINY_ACCOUNTS, "opportunities": TINY_DEALS})
    with LiveServer(ws) as server:
        yield server
    ws.close()


def test_the_slipping_list_holds_the_two_deals_past_their_expected_close(tiny):
    with httpx.Client(base_url=tiny.url, timeout=60) as c:
        r = c.get("/previsions")
        api = c.get("/api/v1/deals").json()
    assert r.status_code == 200
    assert sorted(d["opportunity_id"] for d in api if d["slipping"]) == ["O1", "O2"]
    section = text(httpx.Response(200, text=r.text.split('id="h-slip"')[1].split("</section>")[0]))
    assert "(2)" in section
    # oldest expected close first, by account name, with the days late worked out by hand
    assert section.index("Bravo SARL") < section.index("Alpha SA")
    assert "Charlie SAS" not in section
    assert "29,0 j" in section and "14,0 j" in section
    assert "2\u202f500\xa0€" in section and "1\u202f000\xa0€" in section
    # no won deal and no order: the revenue forecast says why, the page still opens
    assert "non disponible" in text(r)


# --------------------------------------------------------------------------- scope over real HTTP
@pytest.fixture(scope="module")
def org(tmp_path_factory, demo_folder):
    """The small demo with an admin, the manager of TEAM-1 and the rep REP-0001 (read-only tokens)."""
    ws = pilotage.connect(str(tmp_path_factory.mktemp("org") / "org.duckdb"), create=True)
    ws.import_folder(demo_folder)
    store = AuthStore(ws.db)
    store.add_user("admin@x.org", "admin", password="correct horse battery")
    store.add_user("boss@x.org", "manager", team_ids=("TEAM-1",), password="correct horse battery")
    store.add_user("rep@x.org", "rep", rep_id="REP-0001", password="correct horse battery")
    tokens = {e: store.new_token(e) for e in ("admin@x.org", "boss@x.org", "rep@x.org")}
    reps = ws.db.fetchall("SELECT rep_id, team_id, name FROM reps")
    team1 = {r for r, t, _ in reps if t == "TEAM-1"}
    outside = {n for _, t, n in reps if t != "TEAM-1"} - {n for _, t, n in reps if t == "TEAM-1"}
    with LiveServer(ws) as server:
        clients = {e.split("@")[0]: httpx.Client(base_url=server.url, timeout=120,
                                                 headers={"Authorization": f"Bearer {tok}"})
                   for e, tok in tokens.items()}
        yield clients, team1, outside
        for c in clients.values():
            c.close()
    ws.close()


def test_a_rep_gets_only_their_deals_a_manager_their_teams_an_admin_every_deal(org):
    clients, team1, _ = org
    every = clients["admin"].get("/api/v1/deals", params={"open": True}).json()
    mine = clients["rep"].get("/api/v1/deals", params={"open": True}).json()
    theirs = clients["boss"].get("/api/v1/deals", params={"open": True}).json()
    assert {d["owner_rep_id"] for d in every} > team1 | {"REP-0001"} or len({d["owner_rep_id"] for d in every}) > 3
    assert mine and {d["owner_rep_id"] for d in mine} == {"REP-0001"}
    assert [d["opportunity_id"] for d in mine] == [d["opportunity_id"] for d in every
                                                   if d["owner_rep_id"] == "REP-0001"]
    assert theirs and {d["owner_rep_id"] for d in theirs} <= team1
    assert len(theirs) == sum(d["owner_rep_id"] in team1 for d in every)
    # the forecast by category is the same deals' amounts
    cat = clients["rep"].get("/api/v1/forecast/pipeline", params={"from": "2026-07-01"}).json()
    by_rep = clients["admin"].get("/api/v1/forecast/pipeline", params={"from": "2026-07-01", "by": "rep"}).json()
    assert round(sum(r["amount"] for r in cat), 2) == round(sum(r["amount"] for r in by_rep
                                                                if r["rep"] == "REP-0001"), 2)


def _revenue(client, where: str, months: list[str]) -> list[float]:
    rows = client.get("/api/v1/kpi", params={"ids": "revenue", "grain": "month", "where": where,
                                             "from": months[0] + "-01", "to": "2026-07-01"}).json()
    got = {r["period"][:7]: r["revenue"] or 0.0 for r in rows}
    return [round(got.get(m, 0.0), 2) for m in months]


def test_the_revenue_forecast_of_a_rep_and_a_manager_is_made_of_their_own_revenue(org):
    clients, _, _ = org
    every = clients["admin"].get("/api/v1/forecast/revenue").json()
    mine = clients["rep"].get("/api/v1/forecast/revenue").json()
    theirs = clients["boss"].get("/api/v1/forecast/revenue").json()
    months = [h["month"] for h in mine["history"]]
    assert [h["revenue"] for h in mine["history"]] == _revenue(clients["admin"], "rep=REP-0001", months)
    months = [h["month"] for h in theirs["history"]]
    assert [h["revenue"] for h in theirs["history"]] == _revenue(clients["admin"], "team=TEAM-1", months)
    assert sum(h["revenue"] for h in mine["history"]) < sum(h["revenue"] for h in theirs["history"]) \
        < sum(h["revenue"] for h in every["history"])
    assert mine["forecast"] != every["forecast"]  # a cached answer of one scope never served to another


def test_customer_value_is_an_admins_the_pages_still_open_for_the_others(org):
    clients, _, _ = org
    assert clients["admin"].get("/api/v1/clv/fit").status_code == 200
    for who in ("rep", "boss"):
        for path in ("/api/v1/clv/fit", "/api/v1/clv/customers", "/api/v1/clv/retention"):
            r = clients[who].get(path)
            assert r.status_code == 422, (who, path)
            assert "not available in your scope" in r.json()["message"]
        page = clients[who].get("/valeur-client")
        assert page.status_code == 200
        assert "non disponible" in text(page) and "administrateur" in text(page)
        assert 'class="data fc-top"' not in page.text
    assert 'class="data fc-top"' in clients["admin"].get("/valeur-client").text


def test_the_pages_of_a_rep_and_a_manager_show_only_their_deals(org):
    clients, _, outside = org
    every = clients["admin"].get("/api/v1/deals").json()
    mine = clients["rep"].get("/api/v1/deals").json()
    page = clients["rep"].get("/affaires")
    assert page.status_code == 200
    table = page.text.split('class="data fc-deals"')[1].split("</table>")[0]
    listed = {html.unescape(n) for n in re.findall(r'<th scope="row"[^>]*>([^<]*)</th>', table)}
    assert listed == {d["account_name"] for d in mine}
    others = {d["account_name"] for d in every} - {d["account_name"] for d in mine}
    assert others and not listed & others
    # the manager's forecast by rep lists the reps of TEAM-1 only
    prev = clients["boss"].get("/previsions")
    assert prev.status_code == 200
    by_rep = text(httpx.Response(200, text=prev.text.split("Par commercial")[-1].split("</table>")[0]))
    assert outside and not [n for n in outside if n in by_rep]
    teams = prev.text.split("Par équipe")[-1].split("</table>")[0].split("<tbody>")[1]
    assert len(re.findall(r'<th scope="row"', teams)) == 1  # TEAM-1 alone
    everyone = clients["admin"].get("/previsions")
    assert [n for n in outside if n in text(everyone)]


# --------------------------------------------------------------------------- the browser
@pytest.mark.browser
@pytest.mark.parametrize("width", [1440, 390])
def test_previsions_in_a_browser_draws_its_charts_without_sideways_overflow(live, width):
    from tests.web.test_pages_browser import ARGS, CHROMIUM, _why_not

    reason = _why_not()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR",
                                      is_mobile=width < 800)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        for path in ("/previsions", "/affaires", "/valeur-client"):
            page.goto(live.url + path)
            page.wait_for_load_state("networkidle")
            plots = page.locator(".plot")
            assert plots.count() >= 1
            for i in range(plots.count()):
                assert plots.nth(i).locator(".main-svg").count() > 0, f"chart {i} of {path} not drawn"
            assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{path} scrolls sideways"
        assert errors == []
        browser.close()
