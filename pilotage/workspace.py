"""A workspace: one database of canonical tables plus its settings. The Python API.

>>> import pilotage
>>> ws = pilotage.connect(":memory:")
>>> ws.load({"reps": [{"rep_id": "r1", "name": "Alice"}],
...          "leads": [{"lead_id": f"l{i}", "created_at": "2024-01-10", "source": "website",
...                     "converted_at": "2024-02-01" if i < 50 else None} for i in range(200)]}).totals()["inserted"]
201
>>> float(ws.kpi("lead_conversion_rate", start="2024-01-01", end="2024-02-01")["lead_conversion_rate"][0])
0.25
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path


from pydantic import ValidationError

from pilotage.engine import query
from pilotage.errors import DatabaseError, PilotageError
from pilotage.importer import canonical
from pilotage.settings import Settings
from pilotage.store import migrations
from pilotage.store.database import Database, open_database


class Workspace:
    def __init__(self, db: Database):
        self.db = db
        self._settings: Settings | None = None

    # -- settings ---------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        if self._settings is None:
            rows = self.db.fetchall(f"SELECT key, value FROM {self.db.q(migrations.SETTINGS)}")
            self._settings = Settings.from_rows(rows)
        return self._settings

    def set_settings(self, **changes) -> Settings:
        self.db.refuse_writes("change the settings")
        try:
            new = Settings(**{**self.settings.model_dump(), **changes})
        except ValidationError as exc:
            msgs = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                    for e in exc.errors()]
            raise PilotageError("invalid setting: " + "; ".join(msgs)) from None
        with self.db.transaction():
            self.db.execute(f"DELETE FROM {self.db.q(migrations.SETTINGS)}")
            for k, v in new.to_rows():
                self.db.execute(f"INSERT INTO {self.db.q(migrations.SETTINGS)} VALUES (%s, %s)"
                                if self.db.engine == "postgres" else
                                f"INSERT INTO {self.db.q(migrations.SETTINGS)} VALUES (?, ?)", (k, v))
        self._settings = new
        self._changed()
        return new

    # -- writing ----------------------------------------------------------------
    def load(self, tables: dict[str, list[dict]], *, dry_run: bool = False) -> canonical.ImportReport:
        """Validate and upsert records given as dicts, all tables together or nothing."""
        raws = [canonical.records_to_raw(name, rows) for name, rows in tables.items() if rows]
        return self._import(raws, dry_run=dry_run)

    def import_folder(self, folder: str | Path, *, dry_run: bool = False, progress=None) -> canonical.ImportReport:
        """Import a canonical CSV folder (one <table>.csv per table), whole or not at all."""
        return self._import(canonical.read_folder(folder), dry_run=dry_run, progress=progress)

    def import_path(self, path: str | Path, **options) -> canonical.ImportReport:
        """Import CRM exports or a canonical folder: a file (.csv, .xlsx, .json), a folder or a .zip.

        Options: format, mapping, skip_invalid, dry_run, errors_path, date_order, progress
        (see pilotage.importer.files.import_path and docs/import.md).
        """
        from pilotage.importer.files import import_path

        self.db.refuse_writes("import")
        return import_path(self, path, **options)

    def _import(self, raws, *, dry_run: bool = False, progress=None) -> canonical.ImportReport:
        self.db.refuse_writes("import")
        from pilotage.goals import hooks

        if not dry_run:
            hooks.before_import(self)  # challenges that ended are frozen before new data can change them
        report = canonical.import_tables(self.db, raws, self.settings, dry_run=dry_run, progress=progress)
        if not dry_run:
            self._changed()
            hooks.after_import(self)  # goal milestones reached with the new data
        return report

    def _changed(self) -> None:
        """Data or settings changed: tell every process reading this database (data_version)."""
        query.bump_data_version(self.db)
        query.forget_row_counts(self.db)

    def data_version(self) -> int:
        """A number that changes on every import or settings change, from any process."""
        return query.data_version(self.db)

    # -- reading ----------------------------------------------------------------
    def kpi(self, ids: str | list[str], *, grain: str | None = None, by: list[str] | str | None = None,
            start: str | dt.date | None = None, end: str | dt.date | None = None,
            filters: dict[str, str | list[str]] | None = None, arrow: bool = False, warn: bool = True):
        """KPI values, one row per cut (see docs/kpi-semantics.md): a pandas DataFrame, or a
        pyarrow Table with ``arrow=True`` (warnings then in its schema metadata).

        A filter value no record holds (a typo) gives zeros: it is named in ``attrs["warnings"]``
        and, unless ``warn=False``, raised as a Python warning, as the CLI prints it."""
        from pilotage.service import unknown_filter_values

        cut = query.Cut.make(ids, grain=grain, by=by, start=start, end=end, filters=filters,
                             settings=self.settings)
        df = query.run(self.db, self.settings, cut)
        unknown = unknown_filter_values(self, filters)
        df.attrs["warnings"] = df.attrs.get("warnings", []) + unknown
        if warn:
            import warnings

            for w in unknown:
                warnings.warn(f"filter {w}: the figures count no record of it", UserWarning, stacklevel=2)
        if not arrow:
            return df
        import json

        import pyarrow as pa

        plain = df.copy()
        plain.attrs = {}  # the cut and warnings are not JSON: the warnings go into the metadata below
        table = pa.Table.from_pandas(plain, preserve_index=False)
        return table.replace_schema_metadata({**(table.schema.metadata or {}),
                                              b"pilotage.warnings": json.dumps(df.attrs["warnings"]).encode()})

    def explain(self, kpi_id: str, *, start=None, end=None, filters=None, limit: int = 100, offset: int = 0):
        """The formula and the records behind one KPI figure."""
        cut = query.Cut.make([kpi_id], start=start, end=end, filters=filters, settings=self.settings)
        return query.explain(self.db, self.settings, cut, limit=limit, offset=offset)

    def row_counts(self) -> dict[str, int]:
        return query.row_counts(self.db)

    def export_parquet(self, folder: str | Path) -> dict[str, int]:
        """Write every canonical table (and the settings) as ``<table>.parquet`` in ``folder``:
        the lake a ``parquet:DIR`` or ``spark://...?parquet=DIR`` workspace reads."""
        from pilotage.store.lake import export_parquet

        return export_parquet(self.db, folder)

    # -- lifecycle --------------------------------------------------------------
    def close(self) -> None:
        query.forget_row_counts(self.db)
        self.db.close()

    def drop_schema(self) -> None:
        """PostgreSQL only: drop this workspace's schema (tests)."""
        if self.db.schema:
            self.db.execute(f'DROP SCHEMA IF EXISTS "{self.db.schema}" CASCADE')

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def connect(url: str | None = None, *, schema: str | None = None, read_only: bool = False,
            create: bool = False) -> Workspace:
    """Open (upgrading it) the workspace database at ``url``.

    ``url``: a DuckDB file path (default ``./pilotage.duckdb`` or ``$PILOTAGE_DATABASE_URL``),
    ``:memory:``, or ``postgresql://user@host:port/db`` (``schema`` keeps workspaces apart);
    read-only over a lake: ``parquet:DIR`` (DuckDB) or ``spark://local[2]?parquet=DIR`` (Spark,
    see docs/spark.md).
    A DuckDB file that does not exist is an error (a typo must not give empty figures),
    the CLI's own, unless ``create=True``: then a new, empty workspace is made there.
    """
    db = open_database(url, schema=schema, read_only=read_only, create=create)
    try:
        if db.lake:
            _check_lake_version(db)
        elif not read_only:
            migrations.upgrade(db)
        elif migrations.current_version(db) != migrations.LATEST:
            raise DatabaseError(f"{db.url}: schema version {migrations.current_version(db)}, "
                                f"expected {migrations.LATEST}: open it once for writing to upgrade it")
    except BaseException:
        db.close()
        raise
    return Workspace(db)


def _check_lake_version(db: Database) -> None:
    rows = db.fetchall(f"SELECT value FROM {db.q(migrations.META)} WHERE key = 'schema_version'")
    version = int(rows[0][0]) if rows else migrations.LATEST
    if version > migrations.LATEST:
        raise DatabaseError(f"{db.url}: exported by a newer Pilotage (schema version {version}, this one "
                            f"knows up to {migrations.LATEST}): upgrade Pilotage to read it")
