"""Opening the one database a workspace lives in: a DuckDB file or PostgreSQL.

The URL decides: ``postgresql://user@host:port/db`` is PostgreSQL, ``parquet:DIR`` a
read-only DuckDB over a folder of canonical Parquet tables, ``spark://MASTER?parquet=DIR``
(or ``?schema=DB``, or ``spark:settings.toml``) a read-only Spark session (see
:mod:`pilotage.store.lake`), anything else a DuckDB file path (``duckdb:///path`` also accepted). Both are reached
through Ibis, so the KPI engine sees one kind of connection; writes go through
the backend's own DB-API connection inside one transaction.
"""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import ibis

from pilotage.errors import DatabaseError, DatabaseLocked

DEFAULT_PATH = "pilotage.duckdb"


def resolve_url(url: str | None) -> str:
    return url or os.environ.get("PILOTAGE_DATABASE_URL") or DEFAULT_PATH


@dataclass(eq=False)  # compared and hashed by identity: the engine keeps what it learned per open database
class Database:
    """An open database: the Ibis backend plus what writing needs."""

    ibis: ibis.BaseBackend
    engine: str  # "duckdb" | "postgres" | "spark"
    url: str
    schema: str | None = None
    lake: str | None = None  # read-only: what the tables are read from (a Parquet folder, a Spark catalog)
    names: dict[str, str] | None = None  # table -> the view that holds it, when they differ (Spark)
    row_hints: dict[str, int] | None = None  # rows per table known without a query (Parquet footers)

    def has_rows(self, name: str) -> bool:
        """Whether a table holds a row: from the Parquet footers when known (a Spark job saved)."""
        if self.row_hints and name in self.row_hints:
            return self.row_hints[name] > 0
        return bool(self.fetchall(f"SELECT 1 FROM {self.q(name)} LIMIT 1"))

    def refuse_writes(self, what: str) -> None:
        """Writes go to DuckDB or PostgreSQL; a lake workspace only reads."""
        if self.lake:
            from pilotage.store.lake import READ_ONLY_HINT

            raise DatabaseError(f"cannot {what}: {self.url} is read-only (it reads {self.lake}); {READ_ONLY_HINT}")

    @property
    def raw(self):
        """The DB-API connection under Ibis (duckdb or psycopg)."""
        return self.ibis.con

    def q(self, name: str) -> str:
        """A table name as SQL, schema-qualified on PostgreSQL, in backquotes on Spark."""
        name = (self.names or {}).get(name, name)
        if self.engine == "spark":
            return f"`{name}`"
        return f'"{self.schema}"."{name}"' if self.schema else f'"{name}"'

    def execute(self, sql: str, params=None):
        if self.engine == "spark":  # reads only (settings, row counts): Spark SQL has no cursor
            return _SparkResult(self.ibis._session.sql(sql))
        cur = self.raw.cursor() if self.engine == "postgres" else self.raw
        cur.execute(sql, params) if params is not None else cur.execute(sql)
        return cur

    def fetchall(self, sql: str, params=None) -> list[tuple]:
        return self.execute(sql, params).fetchall()

    @contextmanager
    def transaction(self):
        """All or nothing: a failure (or a killed process) leaves the database as it was."""
        if self.engine == "postgres":
            with self.raw.transaction():
                yield
            return
        self.raw.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    def materialize(self, name: str, expr):
        """Compute ``expr`` once and keep it for the next queries: a temporary table on DuckDB and
        PostgreSQL, a cached view on Spark (which has no temporary tables)."""
        if self.engine == "spark":
            return expr.cache()
        return self.ibis.create_table(name, obj=expr, temp=True, overwrite=True)

    def table(self, name: str):
        if self.names:
            return self.ibis.table(self.names.get(name, name))
        return self.ibis.table(name, database=self.schema) if self.schema else self.ibis.table(name)

    def close(self) -> None:
        if self.engine == "spark":  # the session is the process's (one per JVM): drop only our views
            for view in (self.names or {}).values():
                self.ibis._session.catalog.dropTempView(view)
            return
        try:
            self.ibis.disconnect()
        except Exception:  # noqa: BLE001 - closing twice is harmless
            pass


class _SparkResult:
    def __init__(self, df):
        self.df = df

    def fetchall(self) -> list[tuple]:
        return [tuple(r) for r in self.df.collect()]


def open_database(url: str | None = None, *, schema: str | None = None, read_only: bool = False,
                  create: bool = True) -> Database:
    url = resolve_url(url)
    if url.startswith("parquet:"):
        from pilotage.store.lake import open_parquet

        return open_parquet(url.removeprefix("parquet:").removeprefix("//"))
    if url.startswith("spark:"):
        from pilotage.store.lake import open_spark

        return open_spark(url)
    if url.startswith(("postgresql://", "postgres://")):
        return _open_postgres(url, schema)
    return _open_duckdb(url, read_only, create)


def _open_duckdb(url: str, read_only: bool, create: bool = True) -> Database:
    path = url.removeprefix("duckdb://")
    if path.startswith("/") and url.startswith("duckdb:///"):
        path = path  # duckdb:///abs/path -> /abs/path
    if path != ":memory:":
        parent = Path(path).expanduser().resolve().parent
        if not parent.is_dir():
            raise DatabaseError(f"cannot open {path}: folder {parent} does not exist")
        if (read_only or not create) and not Path(path).expanduser().exists():
            hint = "" if read_only else " (or pilotage.connect(path, create=True) for a new, empty one)"
            raise DatabaseError(f"no database at {path}: run `pilotage import DIR` or `pilotage demo` first{hint}")
    try:
        con = ibis.duckdb.connect(path, read_only=read_only)
    except Exception as exc:  # duckdb.IOException has no stable subclass for locks
        msg = str(exc)
        if "lock" in msg.lower():
            pid = re.search(r"PID (\d+)", msg)
            who = f" (process {pid.group(1)})" if pid else ""
            if read_only:  # DuckDB lets no other process open the file, even to read, while one writes
                raise DatabaseLocked(
                    f"{path} is open for writing by another process{who} (a server or an import): DuckDB lets "
                    "no other process read it meanwhile. Read through that server instead (its pages, or "
                    "GET /api/v1/kpi?ids=... on its API), or try again when the import has ended."
                ) from None
            raise DatabaseLocked(
                f"{path} is in use by another Pilotage process{who}: DuckDB allows one writer at a time. "
                "Stop that process (or send the import to the running server with "
                "`pilotage import --server URL`) and try again."
            ) from None
        raise DatabaseError(f"cannot open {path}: {msg.splitlines()[0]}") from None
    return Database(con, "duckdb", path)


def _open_postgres(url: str, schema: str | None) -> Database:
    u = urlparse(url)
    qs = parse_qs(u.query)
    schema = schema or (qs.get("schema") or [None])[0]
    kw = dict(
        host=u.hostname or "127.0.0.1", port=u.port or 5432, user=unquote(u.username or "postgres"),
        password=unquote(u.password) if u.password else None, database=(u.path or "/postgres")[1:] or "postgres",
    )
    try:
        import psycopg

        raw = psycopg.connect(
            host=kw["host"], port=kw["port"], user=kw["user"], password=kw["password"],
            dbname=kw["database"], connect_timeout=5, autocommit=True,
        )
        if schema:
            raw.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            raw.execute(f'SET search_path TO "{schema}", public')
        con = ibis.postgres.from_connection(raw)
    except Exception as exc:  # noqa: BLE001
        safe = re.sub(r"//([^:@/]+):[^@/]*@", r"//\1:***@", url)
        raise DatabaseError(f"cannot connect to {safe}: {str(exc).splitlines()[0]}") from None
    return Database(con, "postgres", url, schema)
