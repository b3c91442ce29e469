"""Helpers for the importer tests: write a file the way a CRM or Excel would, import it, read tables back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import pilotage
from pilotage.importer.files import import_path

DATA = Path(__file__).resolve().parents[1] / "data"
EXPORTS = DATA / "exports"
NOW = dt.datetime(2024, 3, 1, 10, 0)


def write(path: Path, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(text.replace("\n", newline))
    return path


def rows(ws, sql: str) -> list[tuple]:
    return ws.db.fetchall(sql)


def one(ws, sql: str):
    return ws.db.fetchall(sql)[0][0]


def imp(ws, path, **kw):
    kw.setdefault("now", NOW)
    return import_path(ws, path, **kw)


@pytest.fixture
def mem():
    """An in-memory DuckDB workspace: the fastest for the many small imports."""
    w = pilotage.connect(":memory:")
    yield w
    w.close()
