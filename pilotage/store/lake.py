"""Read-only workspaces over a data lake: canonical tables as Parquet, read by DuckDB or Spark.

``pilotage export --parquet DIR`` writes one ``<table>.parquet`` per canonical table (plus
``workspace_settings.parquet`` and ``pilotage_meta.parquet``, so the currency and the fiscal
calendar travel with the data). Opening such a folder (``parquet:DIR``) or a Spark session
(``spark://MASTER?parquet=DIR`` or ``?schema=DB``) registers one view per table, each
selecting the canonical columns with their canonical types: a lake file written by another
tool (amounts as doubles, an optional column left out) reads the same. Nothing is imported
and nothing is written: the KPI engine reads the views through Ibis as it reads tables.

A ``<table>`` may be one file or a folder of part files (what Spark writes). A table the
lake lacks reads as empty (the KPIs that need it are "not available"), a required column
missing from a file is an error naming both.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pilotage.errors import DatabaseError
from pilotage.settings import Settings
from pilotage.store import schema as S

SETTINGS, META = "workspace_settings", "pilotage_meta"
READ_ONLY_HINT = ("import into a DuckDB or PostgreSQL workspace, then write the lake again with "
                  "`pilotage export --parquet DIR`")


def _types() -> dict[str, dict[str, str]]:
    cols = {t.name: {c.name: S.IBIS_TYPES[c.type] for c in t.columns} for t in S.TABLES}
    cols[SETTINGS] = cols[META] = {"key": "string", "value": "string"}
    return cols


def parquet_path(folder: Path, name: str) -> Path | None:
    """``<name>.parquet`` (a file, or a folder of part files) or ``<name>/`` of part files."""
    for p in (folder / f"{name}.parquet", folder / name):
        if p.is_file() or (p.is_dir() and any(p.rglob("*.parquet"))):
            return p
    return None


def _canonical(con, name: str, t, where: str):
    """The table ``t`` as the contract declares ``name``: its columns, in order, with their types."""
    import ibis

    types = _types()[name]
    have = set(t.columns)
    table = S.BY_NAME.get(name)
    missing = [c.name for c in (table.columns if table else ()) if c.required and c.name not in have]
    if name in (SETTINGS, META):
        missing = [c for c in types if c not in have]
    if missing:
        raise DatabaseError(f"{where}: required column(s) {', '.join(missing)} missing from table {name} "
                            f"(the canonical columns are {', '.join(types)})")
    return t.select(**{c: (t[c].cast(ty) if c in have else ibis.null(ty)) for c, ty in types.items()})


def _empty(name: str, extra_rows: list[tuple[str, str]] | None = None):
    import ibis
    import pandas as pd

    types = _types()[name]
    if extra_rows:
        return ibis.memtable(pd.DataFrame(extra_rows, columns=["key", "value"]))
    return ibis.memtable(pd.DataFrame({c: pd.Series([], dtype="object") for c in types})).select(
        **{c: ibis._[c].cast(ty) for c, ty in types.items()})


def register(con, source, prefix: str = "") -> tuple[dict[str, str], list[str]]:
    """Create one view per table over ``source(name) -> ibis.Table | None``; returns the view
    names (table -> view) and the tables that were absent (read as empty)."""
    from pilotage.store.migrations import LATEST

    names, absent = {}, []
    for name in [*(t.name for t in S.TABLES), SETTINGS, META]:
        t, where = source(name)
        if t is None:
            if name in S.BY_NAME:
                absent.append(name)
            rows = (Settings().to_rows() if name == SETTINGS else
                    [("schema_version", str(LATEST)), ("data_version", "0")] if name == META else None)
            expr = _empty(name, rows)
        else:
            expr = _canonical(con, name, t, where)
        view = prefix + name
        con.create_view(view, obj=expr, overwrite=True)
        names[name] = view
    return names, absent


# --------------------------------------------------------------------------- DuckDB on Parquet
def open_parquet(folder: str):
    """An in-memory DuckDB whose canonical tables are views over the Parquet files of ``folder``."""
    import ibis

    from pilotage.store.database import Database

    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DatabaseError(f"parquet:{folder}: no such folder (write one with `pilotage export --parquet DIR`)")
    con = ibis.duckdb.connect(":memory:")

    def source(name):
        p = parquet_path(root, name)
        if p is None:
            return None, None
        glob = str(p / "**" / "*.parquet") if p.is_dir() else str(p)
        try:
            return con.read_parquet(glob, table_name=f"_parquet_{name}"), str(p)
        except Exception as exc:  # noqa: BLE001 - a file that is not Parquet: say which
            raise DatabaseError(f"{p}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None

    _, absent = register(con, source)
    if len(absent) == len(S.TABLES):
        raise DatabaseError(f"parquet:{folder}: no canonical table in it (expected files such as "
                            "opportunities.parquet, written by `pilotage export --parquet DIR`)")
    db = Database(con, "duckdb", f"parquet:{folder}")
    db.lake = f"the Parquet folder {folder}"
    return db


# --------------------------------------------------------------------------- Spark
def parse_spark_url(url: str) -> dict:
    """``spark://local[2]?parquet=DIR``, ``spark://HOST:7077?schema=sales``, ``spark:conf.toml``.

    The text before ``?`` is the master (``local[N]``, ``yarn``, ``HOST:PORT`` for a standalone
    cluster); options: ``parquet`` (folder), ``schema`` (catalog database), ``conf.KEY=VALUE``.
    A settings file (TOML) holds ``master``, ``parquet`` or ``schema``, ``app_name`` and a
    ``[conf]`` table of Spark settings.
    """
    from urllib.parse import parse_qsl

    rest = url.removeprefix("spark:")
    if not rest.startswith("//"):
        return _spark_file(Path(rest))
    rest = rest[2:]
    master, _, query = rest.partition("?")
    opts: dict = {"conf": {}}
    for k, v in parse_qsl(query, keep_blank_values=True):
        if k.startswith("conf."):
            opts["conf"][k[5:]] = v
        elif k in ("parquet", "schema", "master", "app_name"):
            opts[k] = v
        else:
            raise DatabaseError(f"{url}: unknown option {k!r} (expected parquet, schema, app_name or conf.KEY)")
    master = opts.pop("master", None) or master or "local[2]"
    if not (master.startswith(("local", "yarn", "k8s://", "spark://", "mesos://"))):
        master = "spark://" + master
    opts["master"] = master
    return _checked(url, opts)


def _spark_file(path: Path) -> dict:
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise DatabaseError(f"spark:{path}: no such settings file") from None
    except tomllib.TOMLDecodeError as exc:
        raise DatabaseError(f"spark:{path}: not a TOML file ({exc})") from None
    unknown = set(data) - {"master", "parquet", "schema", "app_name", "conf"}
    if unknown:
        raise DatabaseError(f"spark:{path}: unknown key(s) {', '.join(sorted(unknown))} "
                            "(expected master, parquet, schema, app_name, [conf])")
    opts = {"master": data.get("master", "local[2]"), "conf": {k: str(v) for k, v in data.get("conf", {}).items()}}
    for k in ("parquet", "schema", "app_name"):
        if k in data:
            opts[k] = str(data[k])
    if "parquet" in opts and not Path(opts["parquet"]).is_absolute() and "://" not in opts["parquet"]:
        opts["parquet"] = str((path.parent / opts["parquet"]).resolve())
    return _checked(f"spark:{path}", opts)


def _checked(url: str, opts: dict) -> dict:
    if ("parquet" in opts) == ("schema" in opts):
        raise DatabaseError(f"{url}: say where the canonical tables are: parquet=FOLDER or schema=DATABASE "
                            "(one of them)")
    return opts


def spark_session(master: str, conf: dict[str, str] | None = None, app_name: str = "pilotage"):
    """The Spark session of this process (Spark allows one): created on first use."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise DatabaseError("Spark workspaces need pyspark: pip install 'pilotage[spark]' "
                            "(and Java 17: apt-get install openjdk-17-jre-headless)") from None
    builder = SparkSession.builder.master(master).appName(app_name)
    builder = builder.config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false")
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    for k, v in (conf or {}).items():
        builder = builder.config(k, v)
    try:
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        return session
    except Exception as exc:  # noqa: BLE001 - no Java, a master that does not answer
        raise DatabaseError(f"cannot start Spark ({master}): {str(exc).splitlines()[0]}") from None


_SPARK_WORKSPACES = [0]


def _parts(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(path.rglob("*.parquet"))


def _footer_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return sum(pq.ParquetFile(p).metadata.num_rows for p in _parts(path))


def _spark_ddl(path: Path) -> str | None:
    """The file's own schema as Spark DDL, read from its footer on this machine: Spark then skips
    the job it runs per file to infer it (about a second each). None when a type has no plain
    Spark equivalent (Spark infers it then)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    first = _parts(path)[0]
    cols = []
    for f in pq.read_schema(first):
        t = f.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            s = "STRING"
        elif pa.types.is_decimal(t):
            s = f"DECIMAL({t.precision}, {t.scale})"
        elif pa.types.is_timestamp(t) and t.unit in ("ms", "us"):
            s = "TIMESTAMP" if t.tz else "TIMESTAMP_NTZ"
        elif pa.types.is_date32(t):
            s = "DATE"
        elif pa.types.is_boolean(t):
            s = "BOOLEAN"
        elif pa.types.is_integer(t) and t.bit_width in (32, 64) and pa.types.is_signed_integer(t):
            s = "INT" if t.bit_width == 32 else "BIGINT"
        elif pa.types.is_float64(t):
            s = "DOUBLE"
        else:
            return None
        cols.append(f"`{f.name}` {s}")
    return ", ".join(cols)


def open_spark(url: str):
    """A Spark session reading the canonical tables from a Parquet folder or a catalog database."""
    import ibis

    from pilotage.store.database import Database

    opts = parse_spark_url(url)
    hints: dict[str, int] = {}
    session = spark_session(opts["master"], opts["conf"], opts.get("app_name", "pilotage"))
    con = ibis.pyspark.connect(session)
    if "parquet" in opts:
        root = opts["parquet"]
        local = "://" not in root
        if local and not Path(root).is_dir():
            raise DatabaseError(f"{url}: no folder {root} (write one with `pilotage export --parquet DIR`)")

        def source(name):
            p = parquet_path(Path(root), name) if local else f"{root.rstrip('/')}/{name}.parquet"
            if p is None:
                return None, None
            try:
                if local:
                    hints[name] = _footer_rows(p)
                ddl = _spark_ddl(p) if local else None
                reader = session.read.schema(ddl) if ddl else session.read
                reader.parquet(str(p)).createOrReplaceTempView(f"_pq_{_n}_{name}")
                return con.table(f"_pq_{_n}_{name}"), str(p)
            except Exception as exc:  # noqa: BLE001 - missing remote file, unreadable file
                if local:
                    raise DatabaseError(f"{p}: not readable by Spark ({str(exc).splitlines()[0]})") from None
                return None, None
    else:
        schema = opts["schema"]
        try:
            present = set(con.list_tables(database=schema))
        except Exception as exc:  # noqa: BLE001
            raise DatabaseError(f"{url}: no database {schema!r} in the Spark catalog "
                                f"({str(exc).splitlines()[0]})") from None

        def source(name):
            if name not in present:
                return None, None
            return con.table(name, database=schema), f"{schema}.{name}"

    _SPARK_WORKSPACES[0] += 1
    _n = _SPARK_WORKSPACES[0]
    names, absent = register(con, source, prefix=f"pilotage{_n}_")
    if len(absent) == len(S.TABLES):
        where = opts.get("parquet") or opts.get("schema")
        raise DatabaseError(f"{url}: no canonical table in {where}")
    db = Database(con, "spark", url)
    db.names = names
    db.row_hints = {**{t: 0 for t in absent}, **hints}
    db.lake = f"Spark ({opts['master']}) over {opts.get('parquet') or 'database ' + opts['schema']}"
    return db


# --------------------------------------------------------------------------- export
def export_parquet(db, folder: str | Path) -> dict[str, int]:
    """Write every canonical table (and the settings) of ``db`` as ``<table>.parquet`` in ``folder``.

    Types are kept: amounts as decimal(18, 2), datetimes as timestamps, dates as dates. Each
    file is written beside its final name and renamed, so a reader never sees half a file.
    Returns the rows written per table.
    """
    import pyarrow.parquet as pq

    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise DatabaseError(f"{folder} is a file: give a folder to write the Parquet tables to")
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name, ty in _types().items():
        t = db.table(name)
        t = t.select(**{c: t[c].cast(type_) for c, type_ in ty.items()}) if name in S.BY_NAME else t
        table = t.to_pyarrow()
        tmp = folder / f".{name}.parquet.part"
        pq.write_table(table, tmp)
        os.replace(tmp, folder / f"{name}.parquet")
        counts[name] = table.num_rows
    return counts
