"""Shared fixtures: one workspace per test, on DuckDB and on PostgreSQL.

The PostgreSQL runs skip with a clear reason when no server answers, except
under CI (CI=true) where they must run.
"""

from __future__ import annotations

import os
import uuid

import pytest

import pilotage

PG_URL = os.environ.get("PILOTAGE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_URL.replace("postgresql://", "postgresql://", 1), connect_timeout=2):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL not reachable at {PG_URL}: {exc}".splitlines()[0]


_PG_MISSING = _pg_available()


@pytest.fixture(params=["duckdb", "postgres"])
def ws(request, tmp_path):
    """A fresh, empty workspace on each engine."""
    if request.param == "duckdb":
        w = pilotage.connect(str(tmp_path / "t.duckdb"), create=True)
        yield w
        w.close()
        return
    if _PG_MISSING:
        if os.environ.get("CI") == "true":
            pytest.fail(_PG_MISSING)
        pytest.skip(_PG_MISSING)
    schema = "t_" + uuid.uuid4().hex[:12]
    w = pilotage.connect(PG_URL, schema=schema)
    yield w
    w.drop_schema()
    w.close()


@pytest.fixture
def duck(tmp_path):
    """A fresh DuckDB workspace only (for tests about the file itself)."""
    w = pilotage.connect(str(tmp_path / "t.duckdb"), create=True)
    yield w
    w.close()


def _spark_missing() -> str | None:
    import importlib.util
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed: pip install 'pilotage[spark]'"
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        return "no Java for Spark: apt-get install openjdk-17-jre-headless (.ci/run does it)"
    return None


@pytest.fixture(scope="session")
def spark_session():
    """One Spark session (local[2]) for the whole suite: starting a JVM costs seconds. Spark tests
    skip with the reason when pyspark or Java is missing, except under CI (CI=true) where they must run."""
    missing = _spark_missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    from pilotage.store.lake import spark_session as start

    session = start("local[2]", {"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()
