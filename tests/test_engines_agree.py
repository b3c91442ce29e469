"""DuckDB, PostgreSQL and DuckDB over a Parquet export give the same numbers for every KPI on the
same (demo) data."""

from __future__ import annotations

import datetime as dt
import os
import uuid

import numpy as np
import pandas as pd
import pytest

import pilotage
import pilotage.errors
from pilotage.catalogue.kpis import KPIS
from pilotage.demo import generate
from tests.conftest import _PG_MISSING, PG_URL

END = dt.date(2026, 7, 1)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The small demo data set: its canonical folder and a DuckDB workspace holding it."""
    folder = tmp_path_factory.mktemp("agree") / "small"
    generate(folder, seed=3, scale="small", end=END)
    duck = pilotage.connect(str(folder.parent / "agree.duckdb"), create=True)
    duck.import_folder(folder)
    yield folder, duck
    duck.close()


@pytest.fixture(scope="module")
def pair(demo):
    if _PG_MISSING:
        if os.environ.get("CI") == "true":
            pytest.fail(_PG_MISSING)
        pytest.skip(_PG_MISSING)
    folder, duck = demo
    pg = pilotage.connect(PG_URL, schema="t_" + uuid.uuid4().hex[:12])
    pg.import_folder(folder)
    yield duck, pg
    pg.drop_schema()
    pg.close()


@pytest.fixture(scope="module")
def lake(demo):
    """The demo workspace exported as Parquet (`pilotage export --parquet`)."""
    folder, duck = demo
    duck.export_parquet(folder.parent / "lake")
    return folder.parent / "lake"


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for c in a.columns:
        x, y = a[c], b[c]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y) and x.dtype != bool:
            np.testing.assert_allclose(x.to_numpy(float), y.to_numpy(float), rtol=1e-9, atol=1e-6, err_msg=c)
        else:
            assert list(x.astype(str)) == list(y.astype(str)), c


def test_every_kpi_over_a_year(pair):
    duck, pg = pair
    ids = [k.id for k in KPIS]
    a = duck.kpi(ids, start="2025-07-01", end="2026-07-01")
    b = pg.kpi(ids, start="2025-07-01", end="2026-07-01")
    _same(a, b)
    assert a["revenue"][0] > 0 and a["churn_rate"][0] > 0 and not np.isnan(a["clv"][0])


@pytest.mark.parametrize("ids, by", [
    (["revenue", "win_rate", "weighted_pipeline", "quota_attainment"], ["team"]),
    (["lead_conversion_rate", "lead_source_share", "cost_per_lead"], ["source"]),
    (["active_customers", "churn_rate", "nps"], ["segment"]),
    (["stage_conversion"], ["pipeline", "stage"]),
])
def test_cuts_by_quarter(pair, ids, by):
    duck, pg = pair
    a = duck.kpi(ids, grain="quarter", by=by, start="2025-07-01", end="2026-07-01")
    b = pg.kpi(ids, grain="quarter", by=by, start="2025-07-01", end="2026-07-01")
    _same(a, b)


def test_parquet_every_kpi_and_cuts(demo, lake):
    """DuckDB straight on the Parquet export (no import) agrees with the imported workspace."""
    duck = demo[1]
    with pilotage.connect(f"parquet:{lake}") as pq:
        ids = [k.id for k in KPIS]
        _same(duck.kpi(ids, start="2025-07-01", end="2026-07-01"), pq.kpi(ids, start="2025-07-01", end="2026-07-01"))
        cut = dict(grain="quarter", by=["team"], start="2025-07-01", end="2026-07-01")
        _same(duck.kpi(["revenue", "win_rate", "quota_attainment"], **cut),
              pq.kpi(["revenue", "win_rate", "quota_attainment"], **cut))


@pytest.fixture(scope="module")
def spark(spark_session, lake):
    """A Spark workspace (pyspark local[2], the suite's one session) over the Parquet export."""
    ws = pilotage.connect(f"spark://local[2]?parquet={lake}")
    yield ws
    ws.close()


@pytest.mark.spark
def test_spark_every_kpi_over_a_year(demo, spark):
    duck = demo[1]
    ids = [k.id for k in KPIS]
    a = duck.kpi(ids, start="2025-07-01", end="2026-07-01")
    b = spark.kpi(ids, start="2025-07-01", end="2026-07-01")
    _same(a, b)
    assert a["revenue"][0] > 0 and not np.isnan(b["clv"][0])


@pytest.mark.spark
def test_spark_cuts_by_fiscal_quarter(demo, spark):
    """Cuts, periods and growth on Spark: the quarters, teams and sources come out as on DuckDB."""
    duck = demo[1]
    ids = ["revenue", "revenue_growth", "win_rate", "weighted_pipeline", "quota_attainment"]
    cut = dict(grain="quarter", by=["team"], start="2025-07-01", end="2026-07-01")
    _same(duck.kpi(ids, **cut), spark.kpi(ids, **cut))
    cut = dict(grain="quarter", by=["segment"], start="2025-07-01", end="2026-07-01")
    _same(duck.kpi(["churn_rate", "nps"], **cut), spark.kpi(["churn_rate", "nps"], **cut))
    cut = dict(grain="month", by=["source"], start="2026-01-01", end="2026-07-01")
    ids = ["lead_conversion_rate", "lead_source_share", "cost_per_lead"]
    _same(duck.kpi(ids, **cut), spark.kpi(ids, **cut))


@pytest.mark.spark
def test_spark_explain(demo, spark):
    duck = demo[1]
    a = duck.explain("win_rate", start="2025-07-01", end="2026-07-01", limit=5)
    b = spark.explain("win_rate", start="2025-07-01", end="2026-07-01", limit=5)
    assert [(s["role"], s["total"]) for s in a["sections"]] == [(s["role"], s["total"]) for s in b["sections"]]
    assert b["sections"][0]["total"] > 0 and len(b["sections"][0]["rows"]) == 5
    assert b["result"]["win_rate"][0] == pytest.approx(a["result"]["win_rate"][0])


@pytest.mark.spark
def test_spark_refuses_writes(spark):
    with pytest.raises(pilotage.errors.DatabaseError, match="cannot import: spark://.*read-only"):
        spark.load({"reps": [{"rep_id": "r9", "name": "Zoé"}]})


@pytest.mark.spark
def test_spark_catalog_schema(demo, lake, spark_session, tmp_path):
    """`?schema=DB`: the canonical tables as tables of a catalog database (here external tables over the
    same Parquet files); a table the database lacks (surveys) reads as empty."""
    from pilotage.store.lake import SETTINGS
    from pilotage.store.schema import TABLES

    db = "pilotage_test_" + uuid.uuid4().hex[:8]
    spark_session.sql(f"CREATE DATABASE {db} LOCATION '{tmp_path}'")
    try:
        for name in [t.name for t in TABLES if t.name != "surveys"] + [SETTINGS]:
            spark_session.sql(f"CREATE TABLE {db}.{name} USING parquet LOCATION '{lake / (name + '.parquet')}'")
        with pilotage.connect(f"spark://local[2]?schema={db}") as ws:
            b = ws.kpi(["revenue", "win_rate", "nps"], start="2025-07-01", end="2026-07-01")
        a = demo[1].kpi(["revenue", "win_rate"], start="2025-07-01", end="2026-07-01")
        _same(a, b[["revenue", *[c for c in b.columns if c.startswith("win_rate")]]])
        assert np.isnan(b["nps"][0])  # no surveys table in the database: not available
    finally:
        spark_session.sql(f"DROP DATABASE {db} CASCADE")
