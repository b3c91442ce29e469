"""The dashboard pages over real HTTP: French by default, English on demand, clear 4xx, safe CSV."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re

import httpx
import pytest

import pilotage
from pilotage.formatting import fmt
from pilotage.web.pages.common import preset_range
from pilotage.web.pages.kpi import csv_safe, records_csv_text
from tests.web.conftest import PAGES as ALL_PAGES
from tests.web.conftest import LiveServer

CUT = {"from": "2025-07-01", "to": "2026-07-01"}

PAGES = [(path, fr, en) for _, path, fr, en in ALL_PAGES]


def text(r: httpx.Response) -> str:
    return html.unescape(r.text)


def h1(r: httpx.Response) -> str:
    m = re.search(r"<h1>(.*?)</h1>", text(r), re.S)
    return m.group(1).strip() if m else ""


def figure(r: httpx.Response, kpi_id: str) -> str:
    """The exact figure of a card or tile: its hover title when the card shows it compact (155,2 M€)."""
    m = re.search(rf'data-kpi="{kpi_id}"(?: title="([^"]*)")?>(.*?)</', text(r), re.S)
    assert m, f"no figure for {kpi_id}"
    return (m.group(1) or m.group(2)).strip()


@pytest.mark.parametrize("path, fr, en", PAGES)
def test_every_page_answers_in_french_then_english(http, path, fr, en):
    r = http.get(path, params=CUT)
    assert r.status_code == 200, r.text[:2000]
    assert '<html lang="fr">' in r.text
    assert h1(r) == fr
    assert "Vue d'ensemble" in text(r) and "Filtres" in text(r)  # navigation and filter bar
    r = http.get(path, params={**CUT, "lang": "en"})
    assert r.status_code == 200
    assert '<html lang="en">' in r.text
    assert h1(r) == en
    assert "Overview" in text(r) and "Vue d'ensemble" not in text(r)


RAW_KEY = re.compile(r"\b(?:app|nav|lang|footer|filters|preset|grain|compare|common|overview|leads|pipeline|team|"
                     r"customers|pricing|kpi|catalogue|unit|quarter|error|colon|goals|me|challenges|forecast|deals|cvalue|"
                     r"rep|activity|admin)\.[a-z_]+(?:\.[a-z_]+)*\b")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_page_shows_a_raw_translation_key(http, lang):
    """Every page, and the KPI pages of the product and growth kinds, in both languages: no "kpi.role.xxx"."""
    paths = [p for p, _, _ in PAGES] + ["/kpi/clv", "/kpi/revenue_growth", "/kpi/nps", "/kpi/avg_purchase_value",
                                        "/objectifs", "/moi", "/challenges"]
    paths += ["/previsions", "/affaires", "/valeur-client"]  # the forecast pages
    paths += ["/commercial/REP-0001"]
    for path in paths:
        r = http.get(path, params={**CUT, "lang": lang})
        assert r.status_code == 200, path
        visible = re.sub(r"<script.*?</script>", " ", r.text, flags=re.S)
        attrs = re.findall(r'(?:title|aria-label|placeholder)="([^"]*)"', r.text)
        shown = html.unescape(visible) + " " + " ".join(attrs)
        assert RAW_KEY.findall(shown) == [], f"{path} ({lang}): {RAW_KEY.findall(shown)}"


def test_english_changes_the_labels_of_the_figures(http):
    fr, en = text(http.get("/", params=CUT)), text(http.get("/", params={**CUT, "lang": "en"}))
    assert "Chiffre d'affaires" in fr and "Taux de transformation" in fr
    assert "Revenue" in en and "Win rate" in en and "Chiffre d'affaires" not in en
    assert "vs période précédente" in fr and "vs previous period" in en
    # one click: the header links to the same view in the other language
    href = re.search(r'<a class="lang" href="([^"]+)"', http.get("/", params=CUT).text).group(1)
    url = httpx.URL(html.unescape(href))
    assert url.path == "/" and dict(url.params) == {"lang": "en", "period": "custom", **CUT}


def test_overview_figures_are_the_apis_in_the_workspace_locale(http):
    r = http.get("/", params=CUT)
    for kpi, unit in (("revenue", "money"), ("win_rate", "rate"), ("deals_won", "count")):
        api = http.get("/api/v1/kpi", params={"ids": kpi, **CUT}).json()[0][kpi]
        assert figure(r, kpi) == fmt(api, unit, "fr_FR", "EUR")
    # with a filter: the card follows it, and so does the API
    team = {**CUT, "team": "TEAM-1"}
    r = http.get("/", params=team)
    api = http.get("/api/v1/kpi", params={"ids": "revenue", "where": "team=TEAM-1", **CUT}).json()[0]["revenue"]
    assert figure(r, "revenue") == fmt(api, "money", "fr_FR", "EUR")


def test_cards_compare_with_previous_period_and_last_year(http):
    t = text(http.get("/", params=CUT))
    assert "vs période précédente" in t and "vs l'an dernier" in t
    assert "Objectif :" in t  # the demo has revenue quotas


def test_a_filter_a_kpi_cannot_take_is_set_aside_with_a_note(http):
    r = http.get("/clients", params={**CUT, "team": "TEAM-1"})
    assert r.status_code == 200
    assert "Filtre non applicable ici, ignoré" in text(r)
    r = http.get("/", params={**CUT, "source": "linkedin"})
    assert r.status_code == 200
    card = text(r).split('id="card-churn_rate"')[1].split("</article>")[0]
    assert "Filtre non applicable ici, ignoré\xa0: Source" in card


def test_the_view_lives_in_the_url(http):
    r = http.get("/equipe", params={**CUT, "team": "TEAM-2", "grain": "quarter", "compare": "year"})
    t = r.text
    # navigation keeps the filters, the form shows them selected
    assert 'href="/leads?period=custom&amp;from=2025-07-01&amp;to=2026-07-01&amp;grain=quarter&amp;team=TEAM-2' \
           '&amp;compare=year"' in t
    assert '<option value="TEAM-2" selected>' in t
    assert '<option value="quarter" selected>' in t


def test_presets_follow_today(http):
    r = http.get("/catalogue", params={"period": "last_month", "today": "2026-06-15"})
    assert "1 mai 2026 – 31 mai 2026" in text(r)
    # issue #9: the current quarter runs to today (to date, said so), not to its end
    r = http.get("/catalogue", params={"period": "quarter", "today": "2026-05-02"})
    assert "1 avril 2026 – 2 mai 2026" in text(r)
    assert "Période en cours : comparée au même nombre de jours de la période précédente." in text(r)
    assert preset_range("ytd", dt.date(2026, 6, 15)) == (dt.date(2026, 1, 1), dt.date(2026, 6, 16))
    # the last 12 complete months: June 2025 .. May 2026 (June 2026 is under way)
    assert preset_range("12m", dt.date(2026, 6, 15)) == (dt.date(2025, 6, 1), dt.date(2026, 6, 1))
    assert preset_range("last_quarter", dt.date(2026, 2, 1)) == (dt.date(2025, 10, 1), dt.date(2026, 1, 1))
    assert preset_range("quarter", dt.date(2026, 5, 2), fiscal_start=4) == (dt.date(2026, 4, 1), dt.date(2026, 5, 3))


def test_unknown_kpi_is_a_404_page(http):
    r = http.get("/kpi/revenu")
    assert r.status_code == 404
    assert "text/html" in r.headers["content-type"]
    assert "Indicateur inconnu : « revenu »" in text(r)
    assert http.get("/kpi/revenu/records.csv").status_code == 404
    assert "Unknown KPI" in text(http.get("/kpi/revenu", params={"lang": "en"}))


@pytest.mark.parametrize("params, message", [
    ({"from": "2025-13-01", "to": "2026-01-01"}, "« 2025-13-01 » n'est pas une date"),
    ({"from": "2026-03-01", "to": "2026-01-01"}, "La période est vide"),
    ({"period": "custom", "to": "demain"}, "« demain » n'est pas une date"),
    ({"grain": "fortnight"}, "« fortnight » n'est pas un choix possible"),
    ({"period": "forever"}, "« forever » n'est pas un choix possible"),
    ({"today": "2026-02-30"}, "n'est pas une date"),
    ({"from": "2000-01-01", "to": "2026-01-01", "grain": "day"}, "granularité plus large"),
])
def test_bad_parameters_give_a_4xx_page_with_the_message(http, params, message):
    for path in ("/", "/equipe", "/kpi/revenue"):
        r = http.get(path, params=params)
        assert 400 <= r.status_code < 500, (path, r.status_code)
        assert "text/html" in r.headers["content-type"]
        assert message in text(r), text(r)
        assert 'role="alert"' in r.text


def test_kpi_page_formula_breakdown_and_records(http):
    r = http.get("/kpi/win_rate", params=CUT)
    t = text(r)
    assert "opportunités créées dans la période aujourd'hui signées" in t
    assert "<code>S / O</code>" in t
    for dim in ("Par commercial", "Par équipe", "Par source", "Par segment", "Par pipeline"):
        assert dim in t
    # a won deal stands at the last stage by definition: no win rate "by current stage"
    assert "Par étape" not in t
    assert "Par étape" in text(http.get("/kpi/open_pipeline", params=CUT))
    assert "Détail des enregistrements" in t and "Numérateur" in t and "Dénominateur" in t
    api = http.get("/api/v1/explain/win_rate", params={**CUT, "limit": 1}).json()
    total = api["sections"][1]["total"]
    assert f"{fmt(total, 'count')} enregistrements" in t
    assert "Page 1 sur" in t
    r2 = http.get("/kpi/win_rate", params={**CUT, "page": 2})
    assert "Page 2 sur" in text(r2)
    assert '<th scope="col">' in r.text and '<th scope="row">' in r.text


def test_records_csv_has_the_records_of_the_same_cut(http):
    params = {**CUT, "team": "TEAM-1"}
    r = http.get("/kpi/deals_won/records.csv", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    # French Excel: a byte order mark, ";" between cells, French headers
    assert r.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    api = http.get("/api/v1/kpi", params={"ids": "deals_won", "where": "team=TEAM-1", **CUT}).json()[0]
    assert len(rows) == api["deals_won"]
    assert {row["équipe"] for row in rows} == {"TEAM-1"}
    assert not any(v in ("NaT", "nan", "None") for row in rows for v in row.values())
    assert 'href="/kpi/deals_won/records.csv?period=custom&amp;from=2025-07-01&amp;to=2026-07-01&amp;team=TEAM-1"' \
        in http.get("/kpi/deals_won", params=params).text


def test_csv_cells_cannot_run_as_formulas():
    for bad in ("=HYPERLINK(\"http://x\")", "+33 6 12", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(bad) == "'" + bad
    assert csv_safe("Prix") == "Prix"
    assert csv_safe(-12.5) == "-12.5"  # a number stays a number
    assert csv_safe(None) == "" and csv_safe(float("nan")) == ""
    import pandas as pd

    ex = {"sections": [{"role": "value", "fact": "leads",
                        "rows": pd.DataFrame({"lead_id": ["l1"], "source": ["=cmd|' /C calc'!A0"], "n": [-3]})}]}
    out = list(csv.reader(io.StringIO(records_csv_text(ex))))
    assert out == [["role", "fact", "lead_id", "source", "n"], ["value", "leads", "l1", "'=cmd|' /C calc'!A0", "-3"]]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A workspace with a handful of records, one of them carrying a formula, and most tables empty."""
    folder = tmp_path_factory.mktemp("tiny")
    (folder / "reps.csv").write_text("rep_id,name\nr1,Alice\n")
    (folder / "leads.csv").write_text(
        "lead_id,created_at,source\nl1,2026-01-10,=HYPERLINK(\"http://evil\")\nl2,2026-01-11,@SUM(A1)\n"
        "l3,2026-01-12,web\n")
    (folder / "opportunities.csv").write_text(
        "opportunity_id,owner_rep_id,created_at,stage,status,amount,closed_at,lost_reason\n"
        "o1,r1,2026-01-02,S,won,1000,2026-01-20,\n"
        "o2,r1,2026-01-03,S,lost,500,2026-01-25,+33 6 00 00 00 00\n")
    ws = pilotage.connect(str(folder / "tiny.duckdb"), create=True)
    ws.import_folder(folder)
    with LiveServer(ws) as server, httpx.Client(base_url=server.url, timeout=60,
                                                headers={"X-Pilotage-CSRF": "1"}) as client:
        yield client
    ws.close()


def test_csv_export_over_http_neutralises_formula_cells(tiny):
    r = tiny.get("/kpi/leads/records.csv", params={"from": "2026-01-01", "to": "2026-02-01"})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")), delimiter=";"))
    # (the importer stores sources in lower case)
    assert sorted(row["source"] for row in rows) == ["'=hyperlink(\"http://evil\")", "'@sum(a1)", "web"]
    r = tiny.get("/kpi/close_rate/records.csv", params={"from": "2026-01-01", "to": "2026-02-01"})
    reasons = {row["motif de perte"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")),
                                                                delimiter=";")}
    assert "'+33 6 00 00 00 00" in reasons


def test_records_as_xlsx_keep_types_and_neutralise_formulas(tiny):
    import openpyxl

    r = tiny.get("/kpi/close_rate/records.xlsx", params={"from": "2026-01-01", "to": "2026-02-01", "lang": "en"})
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    assert 'filename="close_rate_2026-01-01_2026-02-01.xlsx"' in r.headers["content-disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    head = rows[0]
    o2 = next(dict(zip(head, row, strict=True)) for row in rows[1:] if row[head.index("opportunity_id")] == "o2")
    assert o2["amount"] == 500 and isinstance(o2["amount"], (int, float))  # a number, not text
    assert o2["lost_reason"] == "+33 6 00 00 00 00"
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula anywhere
    o1 = next(dict(zip(head, row, strict=True)) for row in rows[1:] if row[head.index("opportunity_id")] == "o1")
    assert o1["lost_reason"] is None  # empty, not "nan"




@pytest.mark.parametrize("path", [p for p, _, _ in PAGES] + ["/kpi/nps", "/kpi/clv", "/kpi/revenue_growth"])
def test_pages_hold_on_a_nearly_empty_workspace(tiny, path):
    """Most tables empty: figures say "non disponible", nothing breaks, and the page escapes what it shows."""
    # a fresh connection each time: after a 500 the server drops the kept-alive one
    r = tiny.get(path, params={"from": "2026-01-01", "to": "2026-02-01", "source": "<b>x</b>"},
                 headers={"Connection": "close"})
    assert r.status_code == 200, r.text[:3000]
    assert "<b>x</b>" not in r.text
    if path in ("/", "/clients"):
        assert "non disponible" in text(r)


def test_team_page_warns_when_under_60_percent_of_reps_reach_quota(http):
    q4 = {"from": "2025-10-01", "to": "2026-01-01"}
    q = {"ids": "reps_at_quota_share,quota_attainment", "where": "team=TEAM-2", **q4}
    share = http.get("/api/v1/kpi", params=q).json()[0]
    assert share["reps_at_quota_share"] < 0.6
    # issue #9: half the reps at quota, but the team at 124 % of its target: no "too ambitious"
    # banner (the rule itself: tests/service/test_periods.py)
    assert share["quota_attainment"] >= 1
    warning = "Moins de 60 % des commerciaux atteignent leur quota"
    assert warning not in text(http.get("/equipe", params={"team": "TEAM-2", **q4}))
    assert warning not in text(http.get("/equipe", params={"team": "TEAM-1", **q4}))
    # the leaderboard: one row per rep of the team, names not ids, ranked by revenue
    t = text(http.get("/equipe", params={"team": "TEAM-2", **q4}))
    board = t.split('class="data leaderboard"')[1].split("</table>")[0]
    reps = http.get("/api/v1/kpi", params={"ids": "revenue", "by": "rep", "where": "team=TEAM-2", **q4}).json()
    names = dict((d["id"], d["label"]) for d in http.get("/api/v1/dimensions/rep").json())
    best = max((r for r in reps if r["revenue"]), key=lambda r: r["revenue"])
    first_row = board.split("<tbody>")[1].split("</tr>")[0]
    assert names[best["rep"]] in first_row and fmt(best["revenue"], "money") in first_row


def test_the_default_period_follows_data_that_stopped_earlier(http):
    # issue #9: the demo data stops on 30 June 2026; seen on 4 December 2026 the default range
    # is the data's last 12 complete months, not the 12 months before December (mostly empty)
    r = http.get("/", params={"today": "2026-12-04"})
    t = text(r)
    assert "1 juillet 2025 – 30 juin 2026" in t
    assert "Les données s'arrêtent au 30 juin 2026" in t
    # "this month" is then June 2026, the data's last month
    r = http.get("/", params={"today": "2026-12-04", "period": "month", "lang": "en"})
    assert "June 1, 2026 – June 30, 2026" in text(r)


def test_overview_shows_quota_attainment_with_a_bar_per_team(http):
    r = http.get("/", params=CUT)
    assert 'id="card-quota_attainment"' in r.text
    assert len(re.findall(r'<article class="card', r.text)) == 10  # the articles' limit of ten stands
    card = text(r).split('id="card-quota_attainment"')[1].split("</article>")[0]
    names = dict((d["id"], d["label"]) for d in http.get("/api/v1/dimensions/team").json())
    rows = [x for x in http.get("/api/v1/kpi", params={"ids": "quota_attainment", "by": "team", **CUT}).json()
            if x["quota_attainment"] is not None and x["team"] is not None]
    assert rows  # the small demo has quotas for every team
    for x in rows:
        assert f'{names[x["team"]]}</span>' in card
        assert fmt(x["quota_attainment"], "rate", "fr_FR") in card


def test_an_immature_cohort_rate_is_said_so_not_compared(http):
    # the demo data ends on 30 June 2026: deals created in spring 2026 are still open, so the win
    # rate of July 2025 - June 2026 is not final; its card says so instead of showing a fall in red
    t = text(http.get("/", params={"today": "2026-12-04"}))
    card = t[t.index("Taux de transformation"):][:400]
    assert "en cours de maturation" in card
    assert "▼" not in card
