"""Where a Spark workspace's session and tables come from: the URL and the settings file (no Spark started)."""

from __future__ import annotations

import pytest

from pilotage.errors import DatabaseError
from pilotage.store.lake import parse_spark_url


def test_url_forms():
    assert parse_spark_url("spark://local[2]?parquet=/data/lake") == {
        "master": "local[2]", "parquet": "/data/lake", "conf": {}}
    o = parse_spark_url("spark://spark-master:7077?schema=sales&conf.spark.sql.shuffle.partitions=8")
    assert o == {"master": "spark://spark-master:7077", "schema": "sales",
                 "conf": {"spark.sql.shuffle.partitions": "8"}}
    assert parse_spark_url("spark://yarn?schema=sales")["master"] == "yarn"


def test_url_errors():
    with pytest.raises(DatabaseError, match="parquet=FOLDER or schema=DATABASE"):
        parse_spark_url("spark://local[2]")
    with pytest.raises(DatabaseError, match="parquet=FOLDER or schema=DATABASE"):
        parse_spark_url("spark://local[2]?parquet=a&schema=b")
    with pytest.raises(DatabaseError, match="unknown option 'parket'"):
        parse_spark_url("spark://local[2]?parket=a")


def test_settings_file(tmp_path):
    f = tmp_path / "cluster.toml"
    f.write_text('master = "spark://m:7077"\nparquet = "lake"\n[conf]\n"spark.executor.memory" = "8g"\n')
    assert parse_spark_url(f"spark:{f}") == {"master": "spark://m:7077", "parquet": str(tmp_path / "lake"),
                                            "conf": {"spark.executor.memory": "8g"}}
    f.write_text('master = "local[2]"\nschema = "sales"\nwarehouse = "x"\n')
    with pytest.raises(DatabaseError, match="unknown key.*warehouse"):
        parse_spark_url(f"spark:{f}")
    with pytest.raises(DatabaseError, match="no such settings file"):
        parse_spark_url(f"spark:{tmp_path / 'none.toml'}")
