"""After an import commits, it computes the new answers of the questions asked before it, then answers;
meanwhile a question answered before gets that answer at once, said so (a note on pages,
``X-Pilotage-Stale: 1`` on the API) and never kept; then the new answer (real server, real HTTP,
DuckDB). Without it an import's commit sent 50 users to
the same cold pages at once (bench/bench_load.py: p95 from 11 ms to 11 s)."""

from __future__ import annotations

import threading

import httpx
import pytest

from pilotage.web import data
from pilotage.web.cache import Cache, stale_served
from tests.web.test_concurrency import _rate, small_server  # noqa: F401 - the fixture

CUT = {"from": "2024-01-01", "to": "2024-02-01"}
# one more lead, converted: 2 converted of 5 = 0.4 (before: 1 of 4 = 0.25); a canonical folder has its
# reps and deals files (the same reps, no deal)
FOLDER = {
    "reps.csv": b"rep_id,name\nr0,Rep 0\nr1,Rep 1\nr2,Rep 2\n",
    "leads.csv": b"lead_id,created_at,source,owner_rep_id,converted_at\nl9,2024-01-11,website,r0,2024-01-25\n",
    "opportunities.csv": b"opportunity_id,lead_id,owner_rep_id,created_at,stage,status,amount,closed_at\n",
}


@pytest.fixture
def first_computation_held(monkeypatch):
    """The first KPI query after it is armed waits until released: the real query, only later."""
    entered, release, armed = threading.Event(), threading.Event(), threading.Event()
    real = data.service.kpi_query

    def held(*args, **kwargs):
        if armed.is_set() and not entered.is_set():
            entered.set()
            release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(data.service, "kpi_query", held)
    yield armed, entered, release
    release.set()


def _import(url: str) -> None:
    r = httpx.post(url + "/api/v1/import", files=[("files", (name, body)) for name, body in FOLDER.items()],
                   headers={"X-Pilotage-CSRF": "1"}, timeout=30)
    assert r.status_code == 200, r.text


def _api(url: str) -> httpx.Response:
    r = httpx.get(url + "/api/v1/kpi", params={"ids": "lead_conversion_rate", **CUT}, timeout=10)
    assert r.status_code == 200, r.text
    return r


def _importing(url: str) -> threading.Thread:
    t = threading.Thread(target=_import, args=(url,))
    t.start()
    return t


def test_during_an_import_the_api_answers_the_previous_figure_said_so_then_the_new_one(
        small_server, first_computation_held):  # noqa: F811
    armed, entered, release = first_computation_held
    url = small_server.url
    assert _rate(url) == 0.25
    armed.set()
    importing = _importing(url)  # commits, then computes the new answers before it answers (held)
    assert entered.wait(20)
    for _ in range(2):  # at once, while the new answer is computed
        r = _api(url)
        assert r.json()[0]["lead_conversion_rate"] == 0.25
        assert r.headers["X-Pilotage-Stale"] == "1" and r.headers["Cache-Control"] == "no-store"
    release.set()
    importing.join(30)
    r = _api(url)  # the import has answered: whoever imported sees the new figure only
    assert r.json()[0]["lead_conversion_rate"] == 0.4 and "X-Pilotage-Stale" not in r.headers  # 2 of 5


def test_a_page_says_its_figures_are_from_before_the_import_and_is_not_kept(
        small_server, first_computation_held):  # noqa: F811
    armed, entered, release = first_computation_held
    page = small_server.url + "/kpi/lead_conversion_rate"
    before = httpx.get(page, params=CUT, timeout=30)
    assert before.status_code == 200 and "Nouvelles données importées" not in before.text
    armed.set()
    importing = _importing(small_server.url)
    assert entered.wait(20)
    meanwhile = httpx.get(page, params=CUT, timeout=30)
    assert meanwhile.status_code == 200
    assert "Nouvelles données importées : certains chiffres de cette page sont encore ceux d" in meanwhile.text
    assert "25,0" in meanwhile.text  # 1 of 4
    release.set()
    importing.join(30)
    after = httpx.get(page, params=CUT, timeout=30).text
    assert "Nouvelles données importées" not in after and "40,0" in after  # 2 of 5: the old page was not kept


def test_outside_a_web_request_or_after_a_change_made_in_the_app_nothing_previous_is_served():
    cache = Cache()
    cache.advance(1)
    assert cache.get_or_compute("q", lambda: "old", version=1) == "old"
    cache.advance(2)
    cache.advance(2)  # noticed twice: the previous answers stay
    computing, release = threading.Event(), threading.Event()

    def slow():
        computing.set()
        release.wait(10)
        return "new"

    flags: dict = {}
    token = stale_served.set(flags)
    try:  # a web request: the previous answer at once, the new one computed in the background
        assert cache.get_or_compute("q", lambda: "unused", refresh=lambda v: slow(), version=2) == "old"
        assert flags == {"stale": True}
    finally:
        stale_served.reset(token)
    assert computing.wait(10)
    # no request to tell (the CLI, a script): it waits for the new answer
    waiting: list[str] = []
    w = threading.Thread(target=lambda: waiting.append(
        cache.get_or_compute("q", lambda: "unused", refresh=lambda v: slow(), version=2)))
    w.start()
    release.set()
    w.join(10)
    assert waiting == ["new"]
    # a goal or a setting changed in the app drops the previous answers too: computed while the request waits
    cache.advance(3)
    cache.clear()
    flags = {}
    token = stale_served.set(flags)
    try:
        assert cache.get_or_compute("q", lambda: "newer", refresh=lambda v: slow(), version=3) == "newer"
    finally:
        stale_served.reset(token)
    assert flags == {}
