"""Reads in parallel beside one writer: an import never blocks a page, a second import is refused,
a read passing its time limit is stopped with a clear message (real server, real HTTP, DuckDB)."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

import pilotage
from pilotage.errors import QueryTooLong
from pilotage.store.pool import ReaderPool
from pilotage.web import data
from tests.web.conftest import LiveServer

REPS = [{"rep_id": f"r{i}", "name": f"Rep {i}"} for i in range(3)]
# 4 leads in January 2024, 1 converted: lead_conversion_rate = 1/4 = 0.25
LEADS = [{"lead_id": f"l{i}", "created_at": "2024-01-10", "source": "website", "owner_rep_id": "r0",
          "converted_at": "2024-01-20" if i == 0 else None} for i in range(4)]


@pytest.fixture
def small_server(tmp_path):
    ws = pilotage.connect(str(tmp_path / "c.duckdb"), create=True)
    ws.load({"reps": REPS, "leads": LEADS})
    with LiveServer(ws) as server:
        server.ws = ws
        yield server
    ws.close()


def _rate(url: str) -> float:
    r = httpx.get(url + "/api/v1/kpi", params={"ids": "lead_conversion_rate", "from": "2024-01-01",
                                                "to": "2024-02-01"}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()[0]["lead_conversion_rate"]


def test_reads_answer_during_an_import_with_the_old_data_then_the_new(small_server):
    state = small_server.app.state.pilotage
    ws = small_server.ws
    assert _rate(small_server.url) == 0.25  # cached now, on the old data
    with state.writing():  # an import holds the writer and has written, not committed
        with ws.db.transaction():
            ws.db.execute("INSERT INTO leads (lead_id, created_at, source, owner_rep_id, converted_at) VALUES "
                          "('l9', TIMESTAMP '2024-01-11', 'website', 'r0', TIMESTAMP '2024-01-25')")
            started = time.monotonic()
            health = httpx.get(small_server.url + "/api/v1/health", timeout=10).json()
            assert health["counts"]["leads"] == 4  # the uncommitted lead is not seen
            assert _rate(small_server.url) == 0.25
            # a second import while this one runs: refused, not queued
            r = httpx.post(small_server.url + "/api/v1/import", files={"files": ("reps.csv", b"rep_id,name\nr7,X\n")},
                           headers={"X-Pilotage-CSRF": "1"}, timeout=10)
            assert r.status_code == 409
            assert "already running" in r.json()["message"]
            assert time.monotonic() - started < 5  # nothing waited for the writer
        ws._changed()
        data.after_write(state)
    # committed: 5 leads, 2 converted = 0.4
    assert httpx.get(small_server.url + "/api/v1/health", timeout=10).json()["counts"]["leads"] == 5
    assert _rate(small_server.url) == 0.4


def test_an_answer_computed_on_old_data_is_not_served_after_the_commit(small_server):
    """A read that began before the commit and stores its answer after it: the version in the key keeps it out."""
    state = small_server.app.state.pilotage
    with state.reader() as (reader, version):
        ws = small_server.ws
        ws.db.execute("INSERT INTO leads (lead_id, created_at, source, owner_rep_id) VALUES "
                      "('l8', TIMESTAMP '2024-01-12', 'website', 'r0')")  # committed while the read runs
        ws._changed()
        data.after_write(state)
        old = data.service.kpi_query(reader, ["lead_conversion_rate"], start="2024-01-01", end="2024-02-01")
        state.cache.get_or_compute("kpi", lambda: old, version=version, ids=["lead_conversion_rate"])
    assert float(old["lead_conversion_rate"][0]) == 0.25  # the reader's snapshot: 1/4
    assert _rate(small_server.url) == 0.2  # 1 converted of 5 leads, not the stored 0.25


def test_parallel_reads_do_not_wait_for_each_other(small_server):
    """Eight threads reading at once, each on its own reader, all answer the same figure."""
    results, errors = [], []

    def one():
        try:
            results.append(_rate(small_server.url))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and results == [0.25] * 8


def test_a_read_past_its_time_limit_is_stopped_with_a_message(tmp_path):
    ws = pilotage.connect(str(tmp_path / "t.duckdb"), create=True)
    pool = ReaderPool(ws, size=1, read_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(QueryTooLong, match="longer than 0.5 s"):
        with pool.reader() as (reader, _):
            reader.db.fetchall("SELECT count(*) FROM range(100000000000) a")
    assert time.monotonic() - started < 5
    with pool.reader() as (reader, _):  # the reader is usable again
        assert reader.db.fetchall("SELECT 1")[0][0] == 1
    pool.close()
    ws.close()


def test_goals_and_challenges_answer_during_an_import(small_server):
    # they used to wait on the writer's lock for the whole import (a goal read during a long import
    # held a server thread until its end); now they read a snapshot, and a write is refused (409)
    state = small_server.app.state.pilotage
    url = small_server.url
    with state.writing():
        started = time.monotonic()
        for path in ("/api/v1/goals?period=all", "/api/v1/goals/team?period=2024", "/api/v1/challenges",
                     "/api/v1/challenges/ledger", "/api/v1/goals/notifications"):
            r = httpx.get(url + path, timeout=10)
            assert r.status_code == 200, (path, r.text)
        r = httpx.post(url + "/api/v1/goals", json={"kpi": "leads", "period": "2024", "target": 10},
                       headers={"X-Pilotage-CSRF": "1"}, timeout=10)
        assert r.status_code == 409 and "try again" in r.json()["message"]
        assert time.monotonic() - started < 5
    r = httpx.post(url + "/api/v1/goals", json={"kpi": "leads", "period": "2024", "target": 10},
                   headers={"X-Pilotage-CSRF": "1"}, timeout=10)
    assert r.status_code == 201
    goal = httpx.get(url + "/api/v1/goals?period=all", timeout=10).json()
    assert [(g["kpi"], g["target"], g["value"]) for g in goal] == [("leads", 10, 4)]  # 4 leads in 2024
