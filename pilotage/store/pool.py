"""Readers in parallel beside one writer: a small pool of reading connections.

The server used to hold one process-wide lock around every data access, so it
answered one request at a time and an import stopped every page. Now:

- each request that reads checks out one *reader* (its own DuckDB cursor, i.e. its own
  connection to the same database instance, or its own PostgreSQL connection) and runs in
  one transaction on it, so the whole answer comes from one snapshot;
- the writer (imports, settings) keeps the workspace's main connection. Its transaction is
  invisible to the readers until its commit (DuckDB MVCC, PostgreSQL REPEATABLE READ), so a
  page during an import shows the old data, fast, and the new data after the commit;
- a reader never shares the writer's connection: on it, a read would see the import's
  uncommitted rows.

Every read has a time limit (:data:`READ_SECONDS`): DuckDB's ``interrupt()`` on the
reader's connection from a timer, PostgreSQL's ``statement_timeout``. A read that passes
it ends as :class:`~pilotage.errors.QueryTooLong` (a clear message, never a stalled server).
"""

from __future__ import annotations

import os
import queue
import threading
from contextlib import contextmanager

from pilotage.errors import Busy, QueryTooLong

READ_SECONDS = float(os.environ.get("PILOTAGE_READ_SECONDS", "30"))
WAIT_SECONDS = 30.0  # a request waits at most this long for a free reader


class ReaderPool:
    """``size`` reading workspaces over the database of ``ws``, opened when first needed."""

    def __init__(self, ws, size: int | None = None, read_seconds: float | None = None):
        self.ws = ws
        self.size = size or max(4, os.cpu_count() or 1)
        self.read_seconds = READ_SECONDS if read_seconds is None else read_seconds
        self._free: queue.LifoQueue = queue.LifoQueue()  # the warmest reader first (its facts are built)
        self._opened = 0
        self._all: list = []
        self._lock = threading.Lock()
        self._closed = False

    # -- opening ---------------------------------------------------------------------
    def _open(self):
        from pilotage.store.database import Database
        from pilotage.workspace import Workspace

        db = self.ws.db
        if db.engine == "duckdb":
            import ibis

            cur = db.raw.cursor()  # a new connection to the same database instance (and the same :memory:)
            reader = Workspace(Database(ibis.duckdb.from_connection(cur), "duckdb", db.url))
        else:
            from pilotage.store.database import open_database

            rdb = open_database(db.url, schema=db.schema)
            rdb.raw.execute(f"SET statement_timeout = {int(self.read_seconds * 1000)}")
            reader = Workspace(rdb)
        reader.seen_version = None
        from pilotage.engine import query

        query.share_kept(reader.db, db)  # frames computed by one reader serve the others (same data version)
        return reader

    def _checkout(self):
        try:
            return self._free.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._opened < self.size:
                self._opened += 1
                try:
                    r = self._open()
                except BaseException:
                    self._opened -= 1
                    raise
                self._all.append(r)
                return r
        try:
            return self._free.get(timeout=WAIT_SECONDS)
        except queue.Empty:
            raise Busy(f"the server is busy ({self.size} reads running for over {WAIT_SECONDS:.0f} s): "
                       "try again in a moment") from None

    # -- reading ---------------------------------------------------------------------
    @contextmanager
    def reader(self):
        """A reading workspace inside one transaction (one snapshot), released afterwards.

        Yields ``(workspace, data_version)``: the version its snapshot sees, for cache keys."""
        from pilotage.engine import query

        r = self._checkout()
        db = r.db
        timer = None
        ok = False
        try:
            if db.engine == "duckdb":
                db.raw.execute("BEGIN TRANSACTION")
                timer = threading.Timer(self.read_seconds, db.raw.interrupt)
                timer.daemon = True
                timer.start()
            else:
                db.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            try:
                version = query.data_version(db)
                if r.seen_version != version:  # data or settings changed since this reader last looked
                    r._settings = None
                    query.forget_row_counts(db, kept=False)
                    r.seen_version = version
                yield r, version
            except Exception as exc:
                if _interrupted(exc):
                    raise QueryTooLong(
                        f"the question took longer than {self.read_seconds:g} s and was stopped: ask for a "
                        "shorter range, a coarser grain, fewer KPIs or fewer dimensions") from None
                raise
            ok = True
        finally:
            if timer is not None:
                timer.cancel()
            try:
                db.raw.execute("COMMIT" if ok else "ROLLBACK")
            except Exception:  # noqa: BLE001 - an aborted transaction: rolled back already
                ok = False
            if not ok:  # temporary facts built in a rolled-back transaction are gone: forget them
                try:
                    query.forget_row_counts(db, kept=False)  # a read changed no data: kept frames hold
                except Exception:  # noqa: BLE001
                    pass
                r.seen_version = None
            self._free.put(r)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for r in self._all:
                try:
                    r.close()
                except Exception:  # noqa: BLE001
                    pass
            self._all.clear()


def _interrupted(exc: BaseException) -> bool:
    name = type(exc).__name__
    text = str(exc)
    return name in ("InterruptException", "QueryCanceled") or "INTERRUPT" in text.upper() or (
        "statement timeout" in text)
