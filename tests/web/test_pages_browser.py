"""The dashboard in a real browser: Debian's chromium driven by playwright (never a downloaded browser).

Every page loads with no console error and no request to another host; the
language switch, the filters and the keyboard work; a card shows the API's
figure. A full-page screenshot of every page goes to artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from pilotage.formatting import fmt, fmt_compact
from tests.web.conftest import PAGES as ALL_PAGES

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CUT = "from=2025-07-01&to=2026-07-01"

PAGES = [(name, path, fr) for name, path, fr, _ in ALL_PAGES]


def _why_not() -> str | None:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if shutil.which("chromium") is None and not os.path.exists(CHROMIUM):
        return "chromium is not installed"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright for Python is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _why_not()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser tests cannot run under CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page whose console errors and requests are recorded."""

    def __init__(self, page, base: str):
        self.page, self.base = page, base
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def open(self, path: str):
        self.page.goto(self.base + path)
        self.page.wait_for_load_state("networkidle")
        return self.page

    def foreign(self) -> list[str]:
        return [u for u in self.requests
                if urlparse(u).scheme not in ("data", "blob", "about") and urlparse(u).hostname != "127.0.0.1"]


@pytest.fixture
def watched(browser, live):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    w = Watched(context.new_page(), live.url)
    yield w
    context.close()


def _with_cut(path: str) -> str:
    return path + ("&" if "?" in path else "?") + CUT


@pytest.mark.parametrize("name, path, title", PAGES)
def test_page_loads_clean_and_is_photographed(watched, name, path, title):
    page = watched.open(_with_cut(path))
    assert page.locator("h1").inner_text() == title
    assert page.get_attribute("html", "lang") == "fr"
    # every chart was drawn by plotly (no empty placeholder)
    plots = page.locator(".plot")
    for i in range(plots.count()):
        assert plots.nth(i).locator(".main-svg").count() > 0, f"chart {i} of {path} not drawn"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert watched.errors == [], watched.errors
    assert watched.foreign() == [], watched.foreign()
    # nothing wider than the window (a table scrolls in its own box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366


def test_switching_to_english_changes_the_labels(watched):
    page = watched.open(_with_cut("/equipe"))
    assert page.locator("th", has_text="Commercial").count() > 0
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state("networkidle")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("h1").inner_text() == "Team"
    assert page.get_by_role("link", name="Overview").count() == 1
    assert page.locator("th", has_text="Sales rep").count() > 0
    assert "from=2025-07-01" in page.url  # the same view, in English
    page.get_by_role("link", name="Français").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text() == "Équipe"
    assert watched.errors == []


def test_choosing_a_team_changes_the_figures(watched, live):
    page = watched.open(_with_cut("/"))
    before = page.locator('[data-kpi="revenue"]').inner_text()
    page.select_option("#f-team", "TEAM-1")
    page.get_by_role("button", name="Appliquer").click()
    page.wait_for_load_state("networkidle")
    assert "team=TEAM-1" in page.url and "from=2025-07-01" in page.url
    after = page.locator('[data-kpi="revenue"]').get_attribute("title") \
        or page.locator('[data-kpi="revenue"]').inner_text()
    assert after != before
    api = httpx.get(live.url + "/api/v1/kpi", params={"ids": "revenue", "from": "2025-07-01", "to": "2026-07-01",
                                                      "where": "team=TEAM-1"}).json()[0]["revenue"]
    assert after == fmt(api, "money", "fr_FR", "EUR")
    # the choice is kept on the next page
    page.get_by_role("link", name="Catalogue", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#f-team").input_value() == "TEAM-1"
    assert watched.errors == []


def test_a_cards_figure_is_the_apis(watched, live):
    page = watched.open(_with_cut("/"))
    settings = httpx.get(live.url + "/api/v1/settings").json()
    locale, currency = settings["locale"], settings["currency"]
    for kpi, unit in (("revenue", "money"), ("win_rate", "rate"), ("avg_deal_size", "money"),
                      ("sales_cycle_days", "days"), ("clv", "money")):
        api = httpx.get(live.url + "/api/v1/kpi", params={"ids": kpi, "from": "2025-07-01",
                                                          "to": "2026-07-01"}).json()[0][kpi]
        shown = page.locator(f'.card [data-kpi="{kpi}"]')
        # the card shows the compact figure (155,2 M€), the exact one on hover
        assert (shown.get_attribute("title") or shown.inner_text()) == fmt(api, unit, locale, currency)
        assert shown.inner_text() == fmt_compact(api, unit, locale, currency)
    # a card leads to its KPI page with the same cut
    page.locator("#card-win_rate h3 a").click()
    page.wait_for_load_state("networkidle")
    assert "/kpi/win_rate" in page.url and "from=2025-07-01" in page.url
    assert page.locator("h1").inner_text() == "Taux de transformation"


def test_kpi_page_shows_formula_and_records(watched):
    page = watched.open(_with_cut("/kpi/win_rate"))
    assert "opportunités créées dans la période aujourd'hui signées" in page.locator(".formula").inner_text()
    assert page.locator(".symbols code").inner_text() == "S / O"
    records = page.locator("#records table tbody tr")
    assert records.count() > 0
    assert page.get_by_role("link", name="Exporter en CSV").count() == 1
    page.get_by_role("link", name="Page suivante →").click()
    page.wait_for_load_state("networkidle")
    assert "page=2" in page.url and "Page 2 sur" in page.locator(".pager").inner_text()
    assert watched.errors == []


def test_keyboard_reaches_the_filter_form(watched):
    page = watched.open(_with_cut("/"))
    page.locator("body").focus()
    for _ in range(20):
        page.keyboard.press("Tab")
        inside = page.evaluate("!!document.activeElement.closest('#filters')")
        if inside:
            break
    assert inside, "Tab never reached the filter form"
    focused = page.evaluate("document.activeElement.name")
    assert focused == "period"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    # choose a preset and apply it with the keyboard only
    page.keyboard.press("Home")  # the first preset: "Ce mois-ci"
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    assert page.locator("#f-period").input_value() == "month"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert "period=month" in page.url and "from=" not in page.url  # a preset keeps a short address
    assert page.locator("#f-period").input_value() == "month"
    assert watched.errors == []


@pytest.fixture
def phone(browser, live):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fr-FR", is_mobile=True)
    w = Watched(context.new_page(), live.url)
    yield w
    context.close()


def _inside(box, width: int = 390) -> bool:
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5


@pytest.mark.parametrize("path", ["/", "/equipe", "/pipeline", "/leads"])
def test_on_a_phone_nothing_overflows_and_the_key_figures_show(phone, path):
    page = phone.open(_with_cut(path))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways"
    # the filters are folded behind a button, which opens them
    assert not page.locator("#filters").is_visible()
    page.locator(".filters-toggle").click()
    assert page.locator("#f-team").is_visible()
    if path == "/":
        assert _inside(page.locator('.card [data-kpi="revenue"]').bounding_box())
    if path == "/equipe":
        # the leaderboard keeps the name and the revenue of the first rep in view, without scrolling
        first = page.locator("table.leaderboard tbody tr").first
        assert _inside(first.locator("th").bounding_box())
        assert _inside(first.locator("td.num").nth(1).bounding_box())
    # chart labels (funnel, quota) are not cut at the right edge of their box
    for svg in page.locator(".plot .main-svg").all():
        box = svg.bounding_box()
        assert box is None or box["x"] + box["width"] <= 390.5
    assert phone.errors == [], phone.errors

