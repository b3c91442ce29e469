"""A real server over real HTTP: uvicorn on a free port of 127.0.0.1, on the small demo data."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time

import httpx
import pytest
import uvicorn

import pilotage
from pilotage.demo import generate
from pilotage.web.app import create_app

# the demo data ends on a fixed date so that figures do not move with the calendar
DEMO_END = dt.date(2026, 7, 1)

# every page of the dashboard: (screenshot name, path, French title, English title)
PAGES = [
    ("overview", "/", "Vue d'ensemble", "Overview"),
    ("leads", "/leads", "Leads et canaux", "Leads and channels"),
    ("pipeline", "/pipeline", "Pipeline", "Pipeline"),
    ("equipe", "/equipe", "Équipe", "Team"),
    ("activite", "/activite", "Activité commerciale", "Sales activity"),
    ("clients", "/clients", "Clients", "Customers"),
    ("prix", "/prix", "Prix", "Pricing"),
    ("kpi", "/kpi/win_rate", "Taux de transformation", "Win rate"),
    ("catalogue", "/catalogue", "Catalogue des indicateurs", "KPI catalogue"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, ws: pilotage.Workspace):
        self.app = create_app(ws=ws)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        for _ in range(200):
            try:
                httpx.get(self.url + "/api/v1/health", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="session")
def demo_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "small"
    generate(out, seed=7, scale="small", end=DEMO_END)
    return out


@pytest.fixture(scope="session")
def live(tmp_path_factory, demo_folder):
    """The server on a DuckDB workspace holding the small demo data (range ends 2026-07-01)."""
    db = str(tmp_path_factory.mktemp("live") / "demo.duckdb")
    ws = pilotage.connect(db, create=True)
    ws.import_folder(demo_folder)
    with LiveServer(ws) as server:
        server.ws = ws
        yield server
    ws.close()


@pytest.fixture
def http(live):
    with httpx.Client(base_url=live.url, timeout=60, headers={"X-Pilotage-CSRF": "1"}) as client:
        yield client
