"""Import canonical tables: read, check in bulk, then upsert everything in one transaction.

Flow (docs/architecture.md): files (or records) -> Arrow tables of text ->
checks and typing as SQL in a scratch in-memory DuckDB (types, required
columns, allowed values, keys, references) -> if no error, every table is
upserted into the workspace database inside ONE transaction, so a folder lands
whole or not at all, and a killed process leaves the database as it was.
Counts of inserted / updated / unchanged rows come from comparing by key.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv

from pilotage.errors import ImportRejected, PilotageError
from pilotage.settings import Settings
from pilotage.store import schema as S
from pilotage.store.database import Database

MAX_ERRORS_PER_TABLE = 1000


@dataclass
class RawTable:
    """One table's incoming rows, every value as text, with the line each row came from."""

    table: str
    source: str  # the file name (or "records") used in error messages
    data: pa.Table
    lines: pa.Array


@dataclass
class TableReport:
    table: str
    source: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    tables: list[TableReport]
    dry_run: bool = False

    def totals(self) -> dict[str, int]:
        keys = ("rows", "inserted", "updated", "unchanged", "rejected")
        return {k: sum(getattr(t, k) for t in self.tables) for k in keys}


Progress = Callable[[str, int, int], None]  # (step, done, total)


# --------------------------------------------------------------------------- reading
def read_folder(folder: str | Path) -> list[RawTable]:
    folder = Path(folder)
    if not folder.is_dir():
        raise PilotageError(f"{folder}: not a folder (a canonical folder holds one <table>.csv per table)")
    found = {p.stem: p for p in folder.glob("*.csv")}
    missing = [t.name for t in S.TABLES if t.required_file and t.name not in found]
    unknown = sorted(set(found) - set(S.BY_NAME))
    if missing:
        raise ImportRejected([(str(folder), None, None, f"missing required file {m}.csv") for m in missing])
    if unknown:
        raise ImportRejected([(found[u].name, None, None,
                               f"unknown table {u!r}: expected one of {', '.join(S.BY_NAME)}") for u in unknown])
    return [read_csv(found[t.name], t.name) for t in S.TABLES if t.name in found]


def read_csv(path: Path, table: str) -> RawTable:
    """Read a canonical CSV (UTF-8, comma, header) keeping every value as text."""
    with open(path, "rb") as fh:
        head = fh.readline()
    try:
        header_line = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected([(path.name, 1, None, "file is not UTF-8 text; save it as UTF-8 CSV")]) from None
    header = [h.strip() for h in next(csv.reader([header_line]), [])]
    if not header or not any(header):
        raise ImportRejected([(path.name, 1, None, "empty file: a header row is expected")])
    bad_rows: list[tuple[str, int | None, str | None, str]] = []

    def on_invalid(row):
        bad_rows.append((path.name, (row.number or 0) or None, None,
                         f"{row.actual_columns} fields where the header has {row.expected_columns}"))
        return "skip"

    try:
        data = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=True, quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        msg = str(exc).splitlines()[0]
        if "UTF8" in msg or "utf8" in msg.lower():
            msg = "file is not valid UTF-8 text; save it as UTF-8 CSV"
        raise ImportRejected([(path.name, None, None, msg)]) from None
    if bad_rows:
        raise ImportRejected(bad_rows)
    return RawTable(table, path.name, data, _line_numbers(path, data.num_rows))


def _line_numbers(path: Path, n: int) -> pa.Array:
    """Row i's line in the file: i + 2, unless quoted line breaks or blank lines shift it."""
    with open(path, "rb") as fh:
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))
        fh.seek(-1, 2) if fh.tell() else None
        last = fh.read(1) if fh.tell() else b"\n"
    lines_in_file = newlines + (0 if last == b"\n" else 1)
    if lines_in_file == n + 1:
        return pa.array(range(2, n + 2), pa.int64())
    out = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        start = reader.line_num + 1
        for row in reader:
            if row and any(cell.strip() for cell in row):
                out.append(start)
            start = reader.line_num + 1
    return pa.array(out[:n], pa.int64())


def records_to_raw(table: str, rows: list[dict]) -> RawTable:
    """Rows given as dicts (Python API, REST API) -> the same text form as a CSV."""
    if table not in S.BY_NAME:
        raise ImportRejected([(table, None, None, f"unknown table {table!r}")])
    names: list[str] = []
    for r in rows:
        names.extend(k for k in r if k not in names)
    cols = {n: [_text(r.get(n)) for r in rows] for n in names}
    data = pa.table({n: pa.array(v, pa.string()) for n, v in cols.items()}) if names else pa.table({})
    return RawTable(table, table, data, pa.array(range(1, len(rows) + 1), pa.int64()))


def _text(v) -> str | None:
    if v is None or v == "":
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat(sep=" ") if hasattr(v, "hour") else v.isoformat()
    return str(v)


# --------------------------------------------------------------------------- checking
def _sql_str(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _typed(col: S.Column, tz: str) -> tuple[str, str]:
    """(SQL giving the typed value from text column v, what a valid value looks like)."""
    v = f'"{col.name}"'
    if col.type == S.DATE:
        return f"TRY_CAST({v} AS DATE)", "a date YYYY-MM-DD"
    if col.type == S.DATETIME:
        return (f"(TRY_CAST({v} AS TIMESTAMPTZ) AT TIME ZONE {_sql_str(tz)})",
                "a date or datetime YYYY-MM-DD[ HH:MM[:SS]][+HH:MM]")
    if col.type == S.MONEY:
        return f"TRY_CAST({v} AS DECIMAL(18, 2))", "a number with . as decimal separator"
    if col.type == S.RATE:
        return f"TRY_CAST({v} AS DOUBLE)", "a number with . as decimal separator"
    if col.type == S.INT:
        return f"TRY_CAST({v} AS BIGINT)", "a whole number"
    return v, "text"


def _normalised_text(col: S.Column) -> str:
    v = f'NULLIF(TRIM("{col.name}"), \'\')'
    if col.lowercase:
        v = f"REGEXP_REPLACE(LOWER({v}), '[\\s\\-]+', '_', 'g')"
    if col.default is not None:
        v = f"COALESCE({v}, {_sql_str(col.default)})"
    return v


class _Checker:
    """Checks every incoming table in a scratch DuckDB; builds the typed Arrow tables."""

    def __init__(self, settings: Settings):
        self.con = duckdb.connect()
        self.con.execute(f"SET TimeZone = {_sql_str(settings.timezone)}")
        self.tz = settings.timezone
        self.errors: list[tuple[str, int | None, str | None, str]] = []

    def prepare(self, raw: RawTable) -> tuple[str, list[str]]:
        """Register the text table with normalised values; return its view name and ignored columns."""
        t = S.table(raw.table)
        present = {c.strip(): c for c in raw.data.column_names}
        ignored = [c for c in present if c not in t.column_names and c != "__line"]
        missing_required = [c.name for c in t.columns if c.required and c.default is None and c.name not in present]
        if missing_required:
            self.errors += [(raw.source, 1, c, "required column missing from the header") for c in missing_required]
        self.con.register(f"in_{t.name}", raw.data.append_column("__line", raw.lines))
        sel = ", ".join(
            f'{_normalised_text(c)} AS "{c.name}"' if c.name in present else
            (f'{_sql_str(c.default)} AS "{c.name}"' if c.default is not None else f'NULL::VARCHAR AS "{c.name}"')
            for c in t.columns
        )
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW txt_{t.name} AS SELECT {sel}, __line FROM in_{t.name}')
        return f"txt_{t.name}", ignored

    def check_values(self, raw: RawTable) -> None:
        t = S.table(raw.table)
        checks = []
        for c in t.columns:
            typed, looks = _typed(c, self.tz)
            name = _sql_str(c.name)
            if c.required:
                checks.append(f"SELECT __line, {name}, NULL, 'required value missing' FROM txt_{t.name} "
                              f'WHERE "{c.name}" IS NULL')
            if c.type != S.STR:
                checks.append(f"SELECT __line, {name}, \"{c.name}\", 'not ' || {_sql_str(looks)} "
                              f'FROM txt_{t.name} WHERE "{c.name}" IS NOT NULL AND {typed} IS NULL')
            if c.allowed:
                allowed = ", ".join(_sql_str(a) for a in c.allowed)
                checks.append(f"SELECT __line, {name}, \"{c.name}\", 'not one of: ' || {_sql_str(', '.join(c.allowed))} "
                              f'FROM txt_{t.name} WHERE "{c.name}" NOT IN ({allowed})')
            if c.min is not None:
                checks.append(f"SELECT __line, {name}, \"{c.name}\", 'below the minimum {c.min:g}' "
                              f"FROM txt_{t.name} WHERE {typed} < {c.min}")
            if c.max is not None:
                checks.append(f"SELECT __line, {name}, \"{c.name}\", 'above the maximum {c.max:g}' "
                              f"FROM txt_{t.name} WHERE {typed} > {c.max}")
        key = ", ".join(f'"{k}"' for k in t.key)
        key_txt = " || '/' || ".join(f'COALESCE("{k}", \'\')' for k in t.key)
        checks.append(
            f"SELECT __line, {_sql_str('/'.join(t.key))}, {key_txt}, "
            f"'duplicate key: also on line ' || first_line FROM (SELECT *, MIN(__line) OVER (PARTITION BY {key}) "
            f"AS first_line FROM txt_{t.name}) WHERE __line <> first_line"
        )
        self._collect(raw.source, " UNION ALL ".join(checks))

    def typed_view(self, raw: RawTable) -> None:
        t = S.table(raw.table)
        cols = ", ".join(f'{_typed(c, self.tz)[0]} AS "{c.name}"' for c in t.columns)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE typed_{t.name} AS SELECT {cols}, __line FROM txt_{t.name}")
        for cond, column, message in t.checks:
            self._collect(raw.source, f"SELECT __line, {_sql_str(column)}, NULL, {_sql_str(message)} "
                                      f"FROM typed_{t.name} WHERE NOT ({cond})")

    def check_references(self, raw: RawTable, staged: set[str], db: Database) -> None:
        t = S.table(raw.table)
        for c in t.columns:
            if not c.references:
                continue
            ref_table, ref_col = c.references.split(".")
            known = [f'SELECT "{ref_col}" AS k FROM typed_{ref_table}'] if ref_table in staged else []
            unresolved = self.con.execute(
                f'SELECT DISTINCT "{c.name}" FROM typed_{t.name} WHERE "{c.name}" IS NOT NULL'
                + (f' AND "{c.name}" NOT IN ({known[0]})' if known else "")
            ).fetchall()
            if not unresolved:
                continue
            existing = db.table(ref_table).select(k=ref_col).distinct().to_pyarrow()
            self.con.register(f"existing_{ref_table}_{ref_col}", existing)
            known.append(f"SELECT k FROM existing_{ref_table}_{ref_col}")
            self._collect(raw.source,
                          f"SELECT __line, {_sql_str(c.name)}, \"{c.name}\", "
                          f"'unknown {ref_table[:-1] if ref_table.endswith('s') else ref_table} id (not in {ref_table})' "
                          f'FROM typed_{t.name} WHERE "{c.name}" IS NOT NULL AND "{c.name}" NOT IN '
                          f"({' UNION ALL '.join(known)})")

    def _collect(self, source: str, sql: str) -> None:
        rows = self.con.execute(f"SELECT * FROM ({sql}) ORDER BY 1 LIMIT {MAX_ERRORS_PER_TABLE}").fetchall()
        for line, col, value, reason in rows:
            shown = f" ({value!r})" if value is not None and "missing" not in reason else ""
            self.errors.append((source, line, col, f"{reason}{shown}"))

    def typed_arrow(self, table: str) -> pa.Table:
        return self.con.execute(f"SELECT * EXCLUDE (__line) FROM typed_{table}").fetch_arrow_table()


# --------------------------------------------------------------------------- writing
class _DryRun(Exception):
    pass


def import_tables(db: Database, raws: list[RawTable], settings: Settings, *,
                  dry_run: bool = False, progress: Progress | None = None) -> ImportReport:
    """Check every table, then upsert them all in one transaction (or nothing)."""
    tick = progress or (lambda step, done, total: None)
    checker = _Checker(settings)
    reports: dict[str, TableReport] = {}
    total = len(raws) * 3
    for i, raw in enumerate(raws):
        tick(f"checking {raw.source}", i, total)
        _, ignored = checker.prepare(raw)
        reports[raw.table] = TableReport(raw.table, raw.source, raw.data.num_rows, ignored_columns=ignored)
    if not checker.errors:
        for raw in raws:
            checker.check_values(raw)
            checker.typed_view(raw)
    staged = {r.table for r in raws}
    if not checker.errors:
        for i, raw in enumerate(raws):
            tick(f"checking references of {raw.source}", len(raws) + i, total)
            checker.check_references(raw, staged, db)
    if checker.errors:
        raise ImportRejected(checker.errors)
    try:
        with db.transaction():
            for i, raw in enumerate(raws):
                tick(f"writing {raw.table}", 2 * len(raws) + i, total)
                _upsert(db, raw.table, checker.typed_arrow(raw.table), reports[raw.table], dry_run)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    tick("done", total, total)
    return ImportReport(list(reports.values()), dry_run)


def _upsert(db: Database, table: str, data: pa.Table, report: TableReport, dry_run: bool) -> None:
    t = S.table(table)
    cols = ", ".join(f'"{c}"' for c in t.column_names)
    stg, chg = f"pilotage_stg_{table}", f"pilotage_chg_{table}"
    if db.engine == "duckdb":
        db.raw.register(stg, data)
    else:
        _copy_to_pg_temp(db, t, stg, data)
    key_match = " AND ".join(f'x."{k}" = s."{k}"' for k in t.key)
    same = " AND ".join(f's."{c}" IS NOT DISTINCT FROM x."{c}"' for c in t.column_names if c not in t.key)
    temp = "TEMP " if db.engine == "postgres" else "TEMP "
    db.execute(
        f"CREATE {temp}TABLE {chg} AS SELECT s.*, (x.\"{t.key[0]}\" IS NULL) AS pilotage_new "
        f"FROM {stg} s LEFT JOIN {db.q(table)} x ON {key_match} "
        f"WHERE x.\"{t.key[0]}\" IS NULL" + (f" OR NOT ({same})" if same else "")
    )
    inserted, updated = db.fetchall(
        f"SELECT COUNT(*) FILTER (WHERE pilotage_new), COUNT(*) FILTER (WHERE NOT pilotage_new) FROM {chg}"
    )[0]
    report.inserted, report.updated = int(inserted), int(updated)
    report.unchanged = report.rows - report.inserted - report.updated
    if not dry_run and (inserted or updated):
        if updated:
            match = " AND ".join(f'c."{k}" = x."{k}"' for k in t.key)
            db.execute(f"DELETE FROM {db.q(table)} x WHERE EXISTS "
                       f"(SELECT 1 FROM {chg} c WHERE NOT c.pilotage_new AND {match})"
                       if db.engine == "postgres" else
                       f"DELETE FROM {db.q(table)} AS x WHERE EXISTS "
                       f"(SELECT 1 FROM {chg} c WHERE NOT c.pilotage_new AND {match})")
        db.execute(f"INSERT INTO {db.q(table)} ({cols}) SELECT {cols} FROM {chg}")
    db.execute(f"DROP TABLE {chg}")
    if db.engine == "duckdb":
        db.raw.unregister(stg)
    else:
        db.execute(f"DROP TABLE {stg}")


def _copy_to_pg_temp(db: Database, t: S.Table, name: str, data: pa.Table) -> None:
    db.execute(f"CREATE TEMP TABLE {name} (LIKE {db.q(t.name)})")
    buf = io.BytesIO()
    pacsv.write_csv(data, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
    cur = db.raw.cursor()
    cols = ", ".join(f'"{c}"' for c in data.column_names)
    with cur.copy(f"COPY {name} ({cols}) FROM STDIN (FORMAT csv)") as cp:
        cp.write(buf.getvalue())
