"""`pilotage export --parquet DIR` and `--db parquet:DIR`: the canonical tables as Parquet, read back
without importing, with the workspace's currency and fiscal calendar; writes refused."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import pilotage
from pilotage.errors import DatabaseError


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pilotage.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    """A workspace in EUR whose fiscal year starts in February, exported to Parquet."""
    root = tmp_path_factory.mktemp("lake")
    with pilotage.connect(str(root / "src.duckdb"), create=True) as ws:
        ws.set_settings(fiscal_year_start=2)
        ws.load({
            "reps": [{"rep_id": "r1", "name": "Alice"}],
            "leads": [{"lead_id": "l1", "created_at": "2024-01-15 10:30:00", "source": "event"}],
            "exchange_rates": [{"currency": "USD", "valid_from": "2024-01-01", "rate": "0.5"}],
            "opportunities": [
                {"opportunity_id": "o1", "owner_rep_id": "r1", "created_at": "2024-01-02", "stage": "S",
                 "status": "won", "amount": "1000.25", "closed_at": "2024-03-01 09:00:00",
                 "expected_close_date": "2024-03-01"},
                {"opportunity_id": "o2", "owner_rep_id": "r1", "created_at": "2024-01-03", "stage": "S",
                 "status": "won", "amount": "200", "currency": "USD", "closed_at": "2024-03-05 09:00:00"},
                {"opportunity_id": "o3", "owner_rep_id": "r1", "created_at": "2024-01-04", "stage": "S",
                 "status": "won", "amount": "50", "closed_at": "2024-05-10 09:00:00"},
            ],
        })
    p = _cli("export", "--parquet", str(root / "lake"), "--db", str(root / "src.duckdb"))
    assert p.returncode == 0, p.stderr
    assert "rows written" in p.stdout
    return root / "lake"


def test_export_keeps_the_types(lake):
    opp = pq.read_table(lake / "opportunities.parquet")
    assert opp.schema.field("amount").type == pa.decimal128(18, 2)
    assert opp.schema.field("closed_at").type == pa.timestamp("us")
    assert opp.schema.field("expected_close_date").type == pa.date32()
    amounts = dict(zip(opp["opportunity_id"].to_pylist(), opp["amount"].to_pylist(), strict=True))
    assert str(amounts["o1"]) == "1000.25"
    leads = pq.read_table(lake / "leads.parquet").to_pylist()
    assert leads[0]["created_at"] == pd.Timestamp("2024-01-15 10:30:00").to_pydatetime()
    settings = dict(pq.read_table(lake / "workspace_settings.parquet").to_pandas().values)
    assert settings["fiscal_year_start"] == "2"
    assert pq.read_table(lake / "surveys.parquet").num_rows == 0  # an empty table is written too


def test_parquet_workspace_reads_with_currency_and_fiscal_calendar(lake):
    with pilotage.connect(f"parquet:{lake}") as ws:
        assert ws.settings.fiscal_year_start == 2
        df = ws.kpi("revenue", grain="quarter", start="2024-02-01", end="2024-08-01")
    # fiscal quarters start in February, May, August: o1 1000.25 € + o2 200 $ x 0.5 = 1100.25 in the
    # February quarter, o3 50 € in the May one
    assert list(df["period"].dt.strftime("%Y-%m-%d")) == ["2024-02-01", "2024-05-01"]
    assert list(df["revenue"]) == [1100.25, 50.0]


def test_parquet_workspace_explains(lake):
    with pilotage.connect(f"parquet:{lake}") as ws:
        ex = ws.explain("revenue", start="2024-02-01", end="2024-05-01")
    (section,) = ex["sections"]
    assert section["total"] == 2  # o1 and o2 closed in February-April
    assert sorted(section["rows"]["opportunity_id"]) == ["o1", "o2"]


def test_parquet_workspace_refuses_writes_and_keeps_files(lake):
    before = (lake / "opportunities.parquet").read_bytes()
    with pilotage.connect(f"parquet:{lake}") as ws:
        with pytest.raises(DatabaseError, match="read-only"):
            ws.load({"reps": [{"rep_id": "r9", "name": "Zoé"}]})
        with pytest.raises(DatabaseError, match="cannot change the settings.*read-only"):
            ws.set_settings(currency="USD")
    p = _cli("import", str(lake), "--db", f"parquet:{lake}")
    assert p.returncode == 2 and "read-only" in p.stderr and "Traceback" not in p.stderr
    assert (lake / "opportunities.parquet").read_bytes() == before


def test_parquet_from_another_tool(tmp_path):
    """A lake file with amounts as doubles and optional columns left out reads as the contract says;
    a missing required column is named, a missing table reads as empty."""
    pq.write_table(pa.table({"rep_id": ["r1"], "name": ["Alice"]}), tmp_path / "reps.parquet")
    pq.write_table(pa.table({
        "opportunity_id": ["o1", "o2"], "owner_rep_id": ["r1", "r1"], "kind": ["new_business"] * 2,
        "pipeline": ["default"] * 2, "stage": ["S"] * 2, "status": ["won", "lost"],
        "created_at": pa.array([pd.Timestamp("2024-01-01")] * 2, pa.timestamp("ms")),
        "closed_at": pa.array([pd.Timestamp("2024-02-01")] * 2, pa.timestamp("ms")),
        "amount": [10.5, 99.0],
    }), tmp_path / "opportunities.parquet")
    with pilotage.connect(f"parquet:{tmp_path}") as ws:
        df = ws.kpi(["revenue", "win_rate", "nps"], start="2024-01-01", end="2024-03-01")
        assert ws.row_counts()["leads"] == 0
    assert df["revenue"][0] == 10.5 and df["win_rate"][0] == 0.5  # 1 won of 2 closed
    assert pd.isna(df["nps"][0])  # no surveys table: not available
    pq.write_table(pa.table({"rep_id": ["r1"]}), tmp_path / "reps.parquet")
    with pytest.raises(DatabaseError, match="required column.*name.*missing from table reps"):
        pilotage.connect(f"parquet:{tmp_path}")


def test_parquet_folder_errors(tmp_path):
    with pytest.raises(DatabaseError, match="no such folder"):
        pilotage.connect(f"parquet:{tmp_path / 'nowhere'}")
    with pytest.raises(DatabaseError, match="no canonical table"):
        pilotage.connect(f"parquet:{tmp_path}")
    (tmp_path / "reps.parquet").write_text("not parquet")
    with pytest.raises(DatabaseError, match="reps.parquet: not a readable Parquet file"):
        pilotage.connect(f"parquet:{tmp_path}")
