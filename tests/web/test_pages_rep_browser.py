"""The rep scorecard and the activity page in Debian's chromium, at 1440 px and on a phone (390 px):
no sideways overflow, the figures in view, no console error; a rep's name on the team page opens
their scorecard."""

from __future__ import annotations

import httpx
import pytest

from pilotage.formatting import fmt_compact
from tests.web.test_pages_browser import browser  # noqa: F401 - the shared browser fixture

pytestmark = pytest.mark.browser

CUT = "period=custom&from=2025-07-01&to=2026-07-01"


@pytest.mark.parametrize("width", [1440, 390])
def test_scorecard_and_activity_fit_the_screen(browser, live, width):  # noqa: F811 - the fixture
    ctx = browser.new_context(viewport={"width": width, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        revenue = httpx.get(live.url + "/api/v1/kpi", params={"ids": "revenue", "where": "rep=REP-0001",
                                                              "from": "2025-07-01", "to": "2026-07-01"}
                            ).json()[0]["revenue"]
        page.goto(f"{live.url}/commercial/REP-0001?{CUT}")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text() == "Céline Garcia"
        shown = page.locator('.card [data-kpi="revenue"]')
        assert shown.inner_text() == fmt_compact(revenue, "money", "fr_FR", "EUR")
        assert shown.is_visible() and shown.bounding_box()["x"] + shown.bounding_box()["width"] <= width
        assert page.locator("#h-deals-closed").is_visible()
        assert page.locator(".deals tbody tr").count() >= 2
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"/commercial at {width} px scrolls sideways by {overflow} px"
        page.goto(f"{live.url}/activite?{CUT}")
        page.wait_for_load_state("networkidle")
        assert page.locator("h1").inner_text() == "Activité commerciale"
        first = page.locator(".activity-table tbody th a").first
        assert first.is_visible()  # the key column stays in view on a phone
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"/activite at {width} px scrolls sideways by {overflow} px"
        assert page.locator(".chart .plot").count() == 3
        assert errors == []
    finally:
        ctx.close()


def test_a_name_on_the_team_page_opens_the_scorecard(browser, live):  # noqa: F811 - the fixture
    page = browser.new_page()
    try:
        page.goto(f"{live.url}/equipe?{CUT}")
        page.wait_for_load_state("networkidle")
        link = page.locator(".leaderboard tbody th a").first
        name = link.inner_text()
        link.click()
        page.wait_for_load_state("networkidle")
        assert "/commercial/REP-" in page.url and "from=2025-07-01" in page.url
        assert page.locator("h1").inner_text() == name
    finally:
        page.close()
