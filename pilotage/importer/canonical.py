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
import datetime as dt
import io
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pilotage.errors import SHOWN_VALUE_CHARS, ImportRejected, PilotageError, shorten, shorten_text
from pilotage.settings import Settings
from pilotage.store import schema as S
from pilotage.store.database import Database

MAX_ERRORS_PER_TABLE = 1000
# what the scratch database of the checks holds in memory before it spills to disk (its temporary folder)
SCRATCH_MEMORY = 1 << 30  # (bytes, as every limit here)
SCRATCH_MEMORY_MAX: int | None = None  # what a statement may grow it to; None: half of the machine's
SCRATCH_MEMORY_WRITING = 256 << 20  # once checked, while it hands its rows to the workspace's database
WRITE_MEMORY = 1 << 30  # and what the workspace's DuckDB keeps in memory while the import writes
CSV_BLOCK_BYTES = 1 << 24  # a canonical CSV is read this much at a time
BATCH_ROWS = 122_880 * 4  # rows per Arrow batch handed from the scratch database to the workspace (whole row groups)


@dataclass
class RawTable:
    """One table's incoming rows, every value as text, with the line each row came from."""

    table: str
    source: str  # the file name (or "records") used in error messages
    data: pa.Table
    lines: pa.Array
    # canonical column -> the column name shown in messages (a CRM export's own header)
    labels: dict[str, str] = field(default_factory=dict)
    # errors found before the canonical checks (values a CRM layer could not parse):
    # Arrow columns line, col (shown), canon, value, reason, hint
    pre_errors: pa.Table | None = None
    # a CRM export without stage history: record each new or changed stage (see import_tables)
    observe_stages: bool = False
    unread_rows: int = 0  # rows of the file that could not be read (reported in pre_errors)
    keys_unique: bool = False  # the CRM layer found no duplicate key in it (the check is not run twice)
    # values already trimmed, blanks NULL, and possibly typed (DECIMAL, TIMESTAMP, DATE): the CRM layer's output
    clean: bool = False
    # rows created from names met in other files (reps, accounts known by name): with skip_invalid, only
    # those still referred to by a row that lands are written
    created: bool = False
    # a canonical CSV file streamed by the checker into its scratch database (``data`` is then only the
    # header, ``lines`` None): a file is never held whole in memory (docs/import.md, "Memory")
    path: Path | None = None
    streamed_rows: int = 0

    @property
    def num_rows(self) -> int:
        return self.streamed_rows if self.path is not None else self.data.num_rows


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
    error_file: str | None = None  # where every error was written (CSV), if any
    errors_total: int = 0
    errors: list[dict] = field(default_factory=list)  # the first errors (file, line, column, value, reason, hint)
    # filled by the CRM importer (pilotage.importer.files)
    files: list[dict] = field(default_factory=list)  # per file: source, format, entity, language, notes
    created: dict[str, list[str]] = field(default_factory=dict)  # table -> names of rows created from references
    not_created: dict[str, set[str]] = field(default_factory=dict)  # table -> keys named only on rejected rows
    notes: list[str] = field(default_factory=list)

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
    from pilotage.importer import readers

    for p in found.values():  # before anything is opened: no device, FIFO or link loop
        readers.check_regular(p)
    # a shop's transaction log (orders, maybe accounts, no leads nor deals) is a whole data set of its own:
    # the customer-value features work on it (docs/forecast.md)
    shop = "orders" in found and not {"leads", "opportunities"} & set(found)
    missing = [] if shop else [t.name for t in S.TABLES if t.required_file and t.name not in found]
    unknown = sorted(set(found) - set(S.BY_NAME))
    if missing:
        raise ImportRejected([(folder.name, None, None, f"missing required file {m}.csv") for m in missing])
    if unknown:
        raise ImportRejected([(found[u].name, None, None,
                               f"unknown table {u!r}: expected one of {', '.join(S.BY_NAME)}") for u in unknown])
    return [read_csv(found[t.name], t.name) for t in S.TABLES if t.name in found]


def read_csv(path: Path, table: str) -> RawTable:
    """A canonical CSV (UTF-8, comma, header): its header is checked here, its rows are streamed by the
    checks (:func:`stream_csv`)."""
    from pilotage.importer.readers import MAX_HEADER_BYTES, check_regular

    check_regular(path)
    with open(path, "rb") as fh:
        head = fh.readline(MAX_HEADER_BYTES + 1)  # bounded: a file with no line break is not read whole
    if len(head) > MAX_HEADER_BYTES:
        raise ImportRejected([(path.name, 1, None, f"no line break in the first {MAX_HEADER_BYTES >> 20} MiB: "
                                                   "not a CSV file")])
    try:
        header_line = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRejected([(path.name, 1, None, "file is not UTF-8 text; save it as UTF-8 CSV")]) from None
    header = [h.strip() for h in next(csv.reader([header_line]), [])]
    if not header or not any(header):
        raise ImportRejected([(path.name, 1, None, "empty file: a header row is expected")])
    twice = [h for h in dict.fromkeys(header) if header.count(h) > 1]
    if twice:
        raise ImportRejected([(path.name, 1, h, f"the header names this column {header.count(h)} times: "
                                                "keep one (nothing was read)") for h in twice])
    data = pa.table({h: pa.array([], pa.string()) for h in header})
    return RawTable(table, path.name, data, None, path=path)


def _csv_options(path: Path, header: list[str], bad_rows: list, include: list[str] | None = None) -> dict:
    def on_invalid(row):
        bad_rows.append((path.name, (row.number or 0) or None, None,
                         f"{row.actual_columns} fields where the header has {row.expected_columns}"))
        return "skip"

    return dict(
        read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=CSV_BLOCK_BYTES),
        parse_options=pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid),
        convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                             strings_can_be_null=True, quoted_strings_can_be_null=True,
                                             include_columns=include))


def _csv_error(path: Path, exc: Exception) -> ImportRejected:
    msg = str(exc).splitlines()[0]
    if "UTF8" in msg or "utf8" in msg.lower():
        msg = "file is not valid UTF-8 text; save it as UTF-8 CSV"
    return ImportRejected([(path.name, None, None, msg)])


def stream_csv(con: duckdb.DuckDBPyConnection, raw: RawTable, name: str) -> None:
    """Load a canonical CSV, every value as text, into table ``name`` of ``con`` block by block (16 MiB),
    with the line each row came from in ``__line``; sets ``raw.streamed_rows``."""
    path, header = raw.path, raw.data.column_names
    bad_rows: list[tuple[str, int | None, str | None, str]] = []
    schema = pa.schema([*(pa.field(h, pa.string()) for h in header), pa.field("__line", pa.int64())])
    seen = 0

    def batches():
        nonlocal seen
        for batch in pacsv.open_csv(path, **_csv_options(path, header, bad_rows)):
            n = batch.num_rows
            yield batch.append_column("__line", pa.array(range(seen + 2, seen + 2 + n), pa.int64()))
            seen += n

    try:
        con.register("pilotage_reader", pa.RecordBatchReader.from_batches(schema, batches()))
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM pilotage_reader')
    except (pa.ArrowInvalid, duckdb.InvalidInputException) as exc:
        raise _csv_error(path, exc) from None
    finally:
        con.unregister("pilotage_reader")
    if bad_rows:
        raise ImportRejected(bad_rows)
    raw.streamed_rows = seen
    lines = _line_numbers(path, seen)
    if lines is not None:  # quoted line breaks or blank lines: the true lines
        con.register("pilotage_lines", pa.table({"k": pa.array(range(2, len(lines) + 2), pa.int64()),
                                                 "line": lines}))
        con.execute(f'UPDATE "{name}" SET __line = m.line FROM pilotage_lines m WHERE "{name}".__line = m.k')
        con.unregister("pilotage_lines")


def _line_numbers(path: Path, n: int) -> pa.Array | None:
    """Row i's line in the file: None when it is i + 2, else the lines (quoted line breaks, blank lines)."""
    with open(path, "rb") as fh:
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))
        fh.seek(-1, 2) if fh.tell() else None
        last = fh.read(1) if fh.tell() else b"\n"
    lines_in_file = newlines + (0 if last == b"\n" else 1)
    if lines_in_file == n + 1:
        return None
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
        # only a value that can carry an offset (after YYYY-MM-DD HH:MM) pays for the time zone conversion
        zoned = (f"(suffix({v}, 'Z') OR length({v}) > 16 "
                 f"AND (contains(substr({v}, 17), '+') OR contains(substr({v}, 17), '-')))")
        return (f"(CASE WHEN {zoned} THEN TRY_CAST({v} AS TIMESTAMPTZ) AT TIME ZONE {_sql_str(tz)} "
                f"ELSE TRY_CAST({v} AS TIMESTAMP) END)",
                "a date or datetime YYYY-MM-DD[ HH:MM[:SS]][+HH:MM]")
    # DuckDB's casts read 1_000 as 1000 (a Python literal): no export writes that, so it is not a number,
    # as in the CRM layer's number rules (pilotage.importer.values)
    plain = f"CASE WHEN contains({v}, '_') THEN NULL ELSE {v} END"
    if col.type == S.MONEY:
        return f"TRY_CAST({plain} AS DECIMAL(18, 2))", "a number with . as decimal separator"
    if col.type == S.RATE:
        return f"TRY_CAST({plain} AS DOUBLE)", "a number with . as decimal separator"
    if col.type == S.INT:
        return f"TRY_CAST({plain} AS BIGINT)", "a whole number"
    return v, "text"


MIN_YEAR, MAX_YEAR = 1900, 2200  # as pilotage.engine.query.MIN_DATE and MAX_DATE
# (earlier, later) dates of one record: a later one before the earlier one is kept with a note (docs/import.md)
ORDERED_DATES = {"opportunities": (("created_at", "closed_at"),)}
DATE_RANGE_REASON = f"outside the dates Pilotage handles ({MIN_YEAR}-01-01 to {MAX_YEAR}-01-01)"

_ARROW_TYPES = {S.DATE: pa.date32(), S.DATETIME: pa.timestamp("us"), S.MONEY: pa.decimal128(18, 2),
                S.RATE: pa.float64(), S.INT: pa.int64(), S.STR: pa.string()}
_SQL_TYPES = {S.DATE: "DATE", S.DATETIME: "TIMESTAMP", S.MONEY: "DECIMAL(18, 2)", S.RATE: "DOUBLE",
              S.INT: "BIGINT", S.STR: "VARCHAR"}


def _normalised_text(col: S.Column) -> str:
    v = f'NULLIF(TRIM("{col.name}"), \'\')'
    if col.lowercase:
        v = f"REGEXP_REPLACE(LOWER({v}), '[\\s\\-]+', '_', 'g')"
    if col.default is not None:
        v = f"COALESCE({v}, {_sql_str(col.default)})"
    return v


class _Scratch:
    """The checks' DuckDB connection. DuckDB spills most work to disk, but a join or grouping over tens of
    millions of ids may still need more than the limit: the statement is then run again with twice the
    limit, up to half of the machine's memory (``SCRATCH_MEMORY_MAX``)."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.set_limit(SCRATCH_MEMORY)

    def set_limit(self, limit: int) -> None:
        self.con.execute(f"SET memory_limit = '{limit >> 20}MB'")
        self.limit = limit

    def execute(self, sql: str, params=None):
        while True:
            try:
                return self.con.execute(sql, params) if params is not None else self.con.execute(sql)
            except duckdb.OutOfMemoryException:
                if self.limit * 2 > (SCRATCH_MEMORY_MAX or _half_of_memory()):
                    raise
                self.set_limit(self.limit * 2)

    def __getattr__(self, name):
        return getattr(self.con, name)


def _half_of_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
    except (ValueError, OSError, AttributeError):
        return 4 << 30


class _Checker:
    """Checks every incoming table in a scratch DuckDB; builds the typed Arrow tables.

    Several raw tables may feed one canonical table (two exports of deals, reps
    named in a deals file): each raw table is checked on its own (its errors name
    its file), then the typed rows of one table are put together with the index
    of the raw table they came from (``pilotage_src``) for the key, reference and
    cross-row checks. Every error lands in the ``errs`` table (no limit), from
    which the exception, the counts of rejected rows and the error file are made.
    """

    def __init__(self, settings: Settings, raws: list[RawTable]):
        # the scratch database spills to a folder of its own beyond SCRATCH_MEMORY: an import's memory does
        # not grow with its files (docs/import.md, "Memory")
        self._tmp = tempfile.TemporaryDirectory(prefix="pilotage-check-")
        self.con = _Scratch(duckdb.connect(config={"temp_directory": self._tmp.name}))
        self.con.execute(f"SET TimeZone = {_sql_str(settings.timezone)}")
        self.con.execute("SET enable_progress_bar = false")
        self.tz = settings.timezone
        self.raws = raws
        self.typed_in: dict[int, set[str]] = {}
        self.by_table: dict[str, list[int]] = {}
        self.skip = False
        self.con.execute("CREATE TEMP TABLE errs (src INTEGER, line BIGINT, col VARCHAR, canon VARCHAR, "
                         "value VARCHAR, reason VARCHAR, hint VARCHAR, seq INTEGER)")
        self._seq = 0
        self.notes: list[str] = []  # warnings on rows kept (a deal closed before it was created)

    def close(self) -> None:
        self.con.close()
        self._tmp.cleanup()

    # -- helpers
    def _label(self, i: int, col: str) -> str:
        return self.raws[i].labels.get(col, col)

    def _insert_errors(self, i: int | None, sql: str) -> None:
        """``sql`` yields (src, line, canon, value, reason, hint) rows."""
        self._seq += 1
        self.con.execute(f"INSERT INTO errs SELECT src, line, canon, canon, value, reason, hint, {self._seq} "
                         f"FROM ({sql})")

    def error_count(self, fatal_only: bool = False) -> int:
        where = " WHERE line IS NULL OR line = 1 AND reason LIKE '%header%'" if fatal_only else ""
        return self.con.execute(f"SELECT count(*) FROM errs{where}").fetchone()[0]

    def fatal_count(self) -> int:
        return self.con.execute("SELECT count(*) FROM errs WHERE seq < 0").fetchone()[0]

    def add_fatal(self, i: int, line: int | None, col: str | None, reason: str, hint: str = "") -> None:
        self.con.execute("INSERT INTO errs VALUES (?, ?, ?, ?, NULL, ?, ?, -1)",
                         [i, line, self._label(i, col) if col else None, col, reason, hint or None])

    # -- per raw table
    def prepare(self, i: int, raw: RawTable) -> list[str]:
        """Register the text table with normalised values; return its ignored columns."""
        t = S.table(raw.table)
        present = {c.strip(): c for c in raw.data.column_names}
        ignored = [c for c in present if c not in t.column_names and c != "__line"]
        for c in t.columns:
            if c.required and c.default is None and c.name not in present:
                self.add_fatal(i, 1, c.name, "required column missing from the header")
        if raw.path is not None:  # a canonical CSV: streamed into the scratch database, every value as text
            if not self.fatal_count():
                stream_csv(self.con, raw, f"in_{i}")
            else:
                self.con.execute(f"CREATE TABLE in_{i} AS SELECT " + ", ".join(
                    f'NULL::VARCHAR AS "{c}"' for c in present) + ", NULL::BIGINT AS __line WHERE false")
            self.typed_in[i] = set()
        else:
            self._register(i, raw, t, present)

        def expr(c: S.Column) -> str:
            if c.name not in present:
                return (f'{_sql_str(c.default)} AS "{c.name}"' if c.default is not None
                        else f'NULL::VARCHAR AS "{c.name}"')
            if c.name in self.typed_in[i]:
                return f'"{c.name}"'
            if raw.clean:  # trimmed already: only the lower snake case and the default
                v = f'"{c.name}"'
                if c.lowercase:
                    v = f"REGEXP_REPLACE(LOWER({v}), '[\\s\\-]+', '_', 'g')"
                if c.default is not None:
                    v = f"COALESCE({v}, {_sql_str(c.default)})"
                return f'{v} AS "{c.name}"'
            return f'{_normalised_text(c)} AS "{c.name}"'

        sel = ", ".join(expr(c) for c in t.columns)
        self.con.execute(f'CREATE OR REPLACE TEMP VIEW txt_{i} AS SELECT {sel}, __line FROM in_{i}')
        if raw.pre_errors is not None and raw.pre_errors.num_rows:
            self.con.register(f"pre_{i}", raw.pre_errors)
            self.con.execute(f"INSERT INTO errs SELECT {i}, line, col, canon, value, reason, hint, 0 FROM pre_{i}")
            self.con.unregister(f"pre_{i}")
        return ignored

    def _register(self, i: int, raw: RawTable, t: S.Table, present: dict[str, str]) -> None:
        """Rows already in memory (records, a CRM export's mapped rows): registered as they are."""
        data = raw.data.select([present[c] for c in present if c in t.column_names])
        data = data.rename_columns([c.strip() for c in data.column_names])
        typed_in = set()
        for c in data.column_names:
            ftype = data.schema.field(c).type
            if pa.types.is_string(ftype) or pa.types.is_large_string(ftype) or pa.types.is_null(ftype):
                continue
            if raw.clean and t.column(c).type != S.STR:
                typed_in.add(c)  # already parsed by the CRM layer (DECIMAL, TIMESTAMP, DATE)
            else:
                data = data.set_column(data.schema.get_field_index(c), c, data.column(c).cast(pa.string()))
        self.typed_in[i] = typed_in
        self.con.register(f"in_{i}", data.append_column("__line", raw.lines))

    def check_values(self, i: int, raw: RawTable) -> None:
        """Type every column once (a table of text and typed values), then every value check in one pass."""
        t = S.table(raw.table)
        typed_in = self.typed_in.get(i, set())
        typed_cols = "".join(
            f', CAST("{c.name}" AS {_SQL_TYPES[c.type]}) AS "{c.name}::t"' if c.name in typed_in else
            f', {_typed(c, self.tz)[0]} AS "{c.name}::t"' for c in t.columns if c.type != S.STR)
        # the CRM layer's clean, typed output is read as it is (a view); text is typed once (a table)
        kind = "VIEW" if raw.clean else "TABLE"
        self.con.execute(f"CREATE OR REPLACE TEMP {kind} w_{i} AS SELECT *{typed_cols} FROM txt_{i}")
        if raw.path is not None:  # the text as read is no longer needed
            self.con.execute(f"DROP VIEW txt_{i}; DROP TABLE in_{i}")
        checks = []
        for c in t.columns:
            _, looks = _typed(c, self.tz)
            name = _sql_str(c.name)
            v = f'CAST("{c.name}" AS VARCHAR)' if c.name in typed_in else f'"{c.name}"'
            tv = f'"{c.name}"' if c.type == S.STR else f'"{c.name}::t"'
            if c.required:
                checks.append(f"SELECT __line AS line, {name} AS canon, NULL AS value, "
                              f"'required value missing' AS reason FROM w_{i} WHERE \"{c.name}\" IS NULL")
            if c.type != S.STR and c.name not in typed_in:
                checks.append(f"SELECT __line, {name}, {v}, 'not ' || {_sql_str(looks)} "
                              f"FROM w_{i} WHERE {v} IS NOT NULL AND {tv} IS NULL")
            if c.type in (S.DATE, S.DATETIME):  # the dates the engine handles (a year 1 or 9999 breaks queries)
                checks.append(f"SELECT __line, {name}, {v}, {_sql_str(DATE_RANGE_REASON)} FROM w_{i} "
                              f"WHERE {tv} < TIMESTAMP '{MIN_YEAR}-01-01' OR {tv} >= TIMESTAMP '{MAX_YEAR}-01-01'")
            if c.type == S.RATE:  # inf and nan read as numbers, then show as "∞ €" and break JSON
                checks.append(f"SELECT __line, {name}, {v}, 'not a finite number' FROM w_{i} "
                              f"WHERE NOT isfinite({tv})")
            if c.type == S.STR or c.name not in typed_in:  # PostgreSQL refuses NUL in text: a row error on both
                checks.append(f"SELECT __line, {name}, replace({v}, chr(0), '\\0'), "
                              f"'holds a NUL character (byte 0): remove it' FROM w_{i} WHERE strpos({v}, chr(0)) > 0")
            if c.allowed:
                allowed = ", ".join(_sql_str(a) for a in c.allowed)
                checks.append(f"SELECT __line, {name}, {v}, 'not one of: ' || {_sql_str(', '.join(c.allowed))} "
                              f"FROM w_{i} WHERE {v} NOT IN ({allowed})")
            if c.min is not None:
                checks.append(f"SELECT __line, {name}, {v}, 'below the minimum {c.min:g}' "
                              f"FROM w_{i} WHERE {tv} < {c.min}")
            if c.max is not None:
                checks.append(f"SELECT __line, {name}, {v}, 'above the maximum {c.max:g}' "
                              f"FROM w_{i} WHERE {tv} > {c.max}")
        for first, then in ORDERED_DATES.get(raw.table, ()):  # kept, with a note (see docs/import.md)
            n, lines = self.con.execute(
                f'SELECT count(*), list(__line ORDER BY __line)[1:5] FROM w_{i} WHERE "{then}::t" < "{first}::t"'
            ).fetchone()
            if n:
                self.notes.append(f"{raw.source}: {n:,} row(s) with {then} before {first} (line(s) "
                                  f"{', '.join(str(x) for x in lines)}{'…' if n > 5 else ''}), kept: check them")
        self._insert_errors(i, f"SELECT {i} AS src, line, canon, value, reason, NULL AS hint FROM ("
                               + " UNION ALL ".join(checks) + ")")
        # a value the CRM layer could not parse was already reported: not also "required value missing"
        self.con.execute(f"DELETE FROM errs e WHERE e.src = {i} AND e.reason = 'required value missing' "
                         f"AND EXISTS (SELECT 1 FROM errs p WHERE p.src = {i} AND p.seq = 0 "
                         f"AND p.line = e.line AND p.canon = e.canon)")

    # -- per canonical table
    def build_typed(self, table: str, idxs: list[int], skip_invalid: bool) -> None:
        t = S.table(table)
        self.skip = skip_invalid
        self.by_table[table] = idxs
        cols = ", ".join(f'"{c.name}"' if c.type == S.STR else f'"{c.name}::t" AS "{c.name}"' for c in t.columns)
        parts = []
        for i in idxs:
            where = (f" WHERE __line NOT IN (SELECT line FROM errs WHERE src = {i} AND line IS NOT NULL)"
                     if skip_invalid else "")
            parts.append(f"SELECT {cols}, __line, {i} AS pilotage_src FROM w_{i}{where}")
        # rows are deleted from it when skipping invalid ones: a table; else a view (of the typed tables or of
        # the clean CRM output)
        kind = "TABLE" if skip_invalid else "VIEW"
        self.con.execute(f"CREATE OR REPLACE TEMP {kind} typed_{table} AS " + " UNION ALL ".join(parts))
        for cond, column, message in t.checks:
            # a value the CRM layer could not parse was already reported: not also "required when won or lost"
            self._insert_errors(None, f"SELECT pilotage_src AS src, __line AS line, {_sql_str(column)} AS canon, "
                                      f"NULL AS value, {_sql_str(message)} AS reason, NULL AS hint "
                                      f"FROM typed_{table} t WHERE NOT ({cond}) AND NOT EXISTS (SELECT 1 FROM errs p "
                                      f"WHERE p.seq = 0 AND p.src = t.pilotage_src AND p.line = t.__line "
                                      f"AND p.canon = {_sql_str(column)})")
        self._check_keys(table)
        if skip_invalid:
            self.drop_rejected(table)

    def _check_keys(self, table: str) -> None:
        t = S.table(table)
        idxs = self.by_table.get(table, [])
        if len(idxs) == 1 and self.raws[idxs[0]].keys_unique:
            return
        key = ", ".join(f'"{k}"' for k in t.key)
        dup = self.con.execute(f"SELECT count(*) FROM (SELECT 1 FROM typed_{table} GROUP BY {key} "
                               f"HAVING count(*) > 1)").fetchone()[0]
        if not dup:
            return
        key_txt = " || '/' || ".join(f'COALESCE(CAST("{k}" AS VARCHAR), \'\')' for k in t.key)
        sources = "CASE first_src " + " ".join(
            f"WHEN {i} THEN {_sql_str(r.source)}" for i, r in enumerate(self.raws)) + " END"
        self._insert_errors(None, f"""
            SELECT pilotage_src AS src, __line AS line, {_sql_str('/'.join(t.key))} AS canon, {key_txt} AS value,
                   'duplicate key: also on line ' || first_line
                   || CASE WHEN first_src <> pilotage_src THEN ' of ' || {sources} ELSE '' END AS reason,
                   NULL AS hint
            FROM (SELECT *, first_value(__line) OVER w AS first_line, first_value(pilotage_src) OVER w AS first_src
                  FROM typed_{table} WHERE ({key}) IN (SELECT ({key}) FROM typed_{table} GROUP BY {key}
                                                      HAVING count(*) > 1)
                  WINDOW w AS (PARTITION BY {key} ORDER BY pilotage_src, __line))
            WHERE NOT (__line = first_line AND pilotage_src = first_src)""")

    def drop_rejected(self, table: str) -> int:
        before = self.con.execute(f"SELECT count(*) FROM typed_{table}").fetchone()[0]
        self.con.execute(f"DELETE FROM typed_{table} WHERE (pilotage_src, __line) IN "
                         f"(SELECT (src, line) FROM errs WHERE line IS NOT NULL)")
        return before - self.con.execute(f"SELECT count(*) FROM typed_{table}").fetchone()[0]

    def check_references(self, table: str, staged: set[str], db: Database, existing: dict) -> int:
        """Report references to unknown ids; returns how many errors were added."""
        t = S.table(table)
        n0 = self.con.execute("SELECT count(*) FROM errs").fetchone()[0]
        for c in t.columns:
            if not c.references:
                continue
            ref_table, ref_col = c.references.split(".")
            known = [f'SELECT "{ref_col}" AS k FROM typed_{ref_table}'] if ref_table in staged else []
            # NOT EXISTS (an anti join, which DuckDB can spill to disk), not NOT IN (a mark join, held in memory)
            unresolved = self.con.execute(
                f'SELECT 1 FROM typed_{table} t WHERE t."{c.name}" IS NOT NULL'
                + (f' AND NOT EXISTS (SELECT 1 FROM ({known[0]}) r WHERE r.k = t."{c.name}")' if known else "")
                + " LIMIT 1").fetchall()
            if not unresolved:
                continue
            name = f"existing_{ref_table}_{ref_col}"
            if name not in existing:
                existing[name] = db.table(ref_table).select(k=ref_col).distinct().to_pyarrow()
                self.con.register(name, existing[name])
            known.append(f"SELECT k FROM {name}")
            what = singular(ref_table)
            self._insert_errors(None,
                                f"SELECT pilotage_src AS src, __line AS line, {_sql_str(c.name)} AS canon, "
                                f"\"{c.name}\" AS value, 'unknown {what} id (not in {ref_table})' AS reason, "
                                f"NULL AS hint FROM typed_{table} t WHERE \"{c.name}\" IS NOT NULL AND "
                                f"NOT EXISTS (SELECT 1 FROM ({' UNION ALL '.join(known)}) r "
                                f"WHERE r.k = t.\"{c.name}\")")
        return self.con.execute("SELECT count(*) FROM errs").fetchone()[0] - n0

    def drop_unused_created(self, order: list[str]) -> dict[str, set[str]]:
        """Rows created from names (``RawTable.created``) that no remaining row refers to any more (the rows
        naming them were rejected): left out, referring tables first. Returns table -> keys left out."""
        out: dict[str, set[str]] = {}
        for table in reversed(order):
            t = S.table(table)
            srcs = [i for i in self.by_table.get(table, []) if self.raws[i].created]
            if not srcs or len(t.key) != 1:
                continue
            key = t.key[0]
            users = [f'SELECT "{c.name}" AS k FROM typed_{o.name} WHERE "{c.name}" IS NOT NULL'
                     for o in S.TABLES if o.name in order for c in o.columns if c.references == f"{table}.{key}"]
            if not users:
                continue
            cond = f'pilotage_src IN ({", ".join(map(str, srcs))}) AND "{key}" NOT IN ({" UNION ALL ".join(users)})'
            gone = {r[0] for r in self.con.execute(f'SELECT "{key}" FROM typed_{table} WHERE {cond}').fetchall()}
            if gone:
                self.con.execute(f"DELETE FROM typed_{table} WHERE {cond}")
                out[table] = gone
        return out

    # -- results
    def rejected_by_source(self) -> dict[int, int]:
        return dict(self.con.execute("SELECT src, count(DISTINCT line) FROM errs WHERE line IS NOT NULL "
                                     "GROUP BY src").fetchall())

    def error_tuples(self, per_source: int = MAX_ERRORS_PER_TABLE) -> list[tuple[str, int | None, str | None, str]]:
        rows = self.con.execute(f"""
            SELECT src, line, col, left(value, {SHOWN_VALUE_CHARS + 1}), length(value), reason FROM (
                SELECT *, row_number() OVER (PARTITION BY src ORDER BY seq < 0 DESC, line, seq) AS n FROM errs)
            WHERE n <= {per_source} ORDER BY src, seq < 0 DESC, line NULLS FIRST, seq""").fetchall()
        out = []
        for src, line, col, value, length, reason in rows:
            # the value as quoted in the message: cut beyond 200 characters (the error file keeps it whole)
            shown = f" ({shorten(value, length=length)})" if value is not None and "missing" not in reason else ""
            source = self.raws[src].source if src is not None and src < len(self.raws) else "?"
            label = self.raws[src].labels.get(col, col) if col and src is not None else col
            if label is None and line is not None:
                label = "row"  # the whole row (wrong number of fields): ImportRejected shows a column
            out.append((source, line, label, f"{reason}{shown}"))
        return out

    def write_error_file(self, path: Path) -> int:
        """Every error, one line each: file, line, column, raw value, reason, hint (cells made formula-safe)."""
        from pilotage.exports import safe_row

        n = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        cur = self.con.execute("SELECT src, line, col, value, reason, hint FROM errs "
                               "ORDER BY src, line NULLS FIRST, seq")
        with open(path, "w", newline="", encoding="utf-8-sig") as fh:
            w = csv.writer(fh)
            w.writerow(["file", "line", "column", "raw value", "reason", "hint"])
            while batch := cur.fetchmany(10_000):
                for src, line, col, value, reason, hint in batch:
                    raw = self.raws[src] if src is not None and src < len(self.raws) else None
                    label = raw.labels.get(col, col) if raw and col else col
                    w.writerow(safe_row([raw.source if raw else "", line if line is not None else "",
                                         label or "", value if value is not None else "", reason, hint or ""]))
                    n += 1
        return n

    def errors_json(self, limit: int = 10_000) -> list[dict]:
        """The first errors as dicts (the API's ``errors``): each raw value cut beyond 200 characters, its length
        said (the error file keeps it whole)."""
        rows = self.con.execute(f"SELECT src, line, col, left(value, {SHOWN_VALUE_CHARS + 1}), length(value), reason, "
                                f"hint FROM errs ORDER BY src, line NULLS FIRST, seq LIMIT {limit}").fetchall()
        out = []
        for src, line, col, value, length, reason, hint in rows:
            raw = self.raws[src] if src is not None and src < len(self.raws) else None
            out.append({"file": raw.source if raw else None, "line": line,
                        "column": raw.labels.get(col, col) if raw and col else col,
                        "value": shorten_text(value, length=length) if value is not None else None, "reason": reason,
                        "hint": hint})
        return out

    def typed_rows(self, table: str) -> pa.Table | pa.RecordBatchReader:
        """The rows to write: the CRM layer's Arrow table as it is, else a stream of batches (read once)."""
        fast = self._passthrough(table)
        if fast is not None:
            return fast
        return self.con.execute(f"SELECT * EXCLUDE (__line) FROM typed_{table}").fetch_record_batch(BATCH_ROWS)

    def rows_by_source(self, table: str) -> dict[int, int]:
        """Rows to write per raw table (its index)."""
        return dict(self.con.execute(f"SELECT pilotage_src, count(*) FROM typed_{table} GROUP BY 1").fetchall())

    def _passthrough(self, table: str) -> pa.Table | None:
        """The CRM layer's output already has the canonical types and values: used as it is (no copy through
        DuckDB), absent columns as NULL or their default. Only when every row is kept."""
        idxs = self.by_table.get(table, [])
        if self.skip or not idxs or not all(self.raws[i].clean for i in idxs):
            return None
        t = S.table(table)
        parts = []
        for i in idxs:
            data = self.raws[i].data
            n = data.num_rows
            cols = []
            for c in t.columns:
                want = _ARROW_TYPES[c.type]
                if c.name in data.column_names:
                    col = data.column(c.name)
                    if col.type != want:
                        return None
                    if c.default is not None and col.null_count:
                        col = pc.fill_null(col, c.default)
                else:
                    col = pa.repeat(pa.scalar(c.default, want), n) if c.default is not None else pa.nulls(n, want)
                cols.append(col)
            cols.append(pa.repeat(pa.scalar(i, pa.int32()), n))
            parts.append(pa.table(cols, names=[*t.column_names, "pilotage_src"]))
        return pa.concat_tables(parts)


# --------------------------------------------------------------------------- writing
class _DryRun(Exception):
    pass


def import_tables(db: Database, raws: list[RawTable], settings: Settings, *,
                  dry_run: bool = False, progress: Progress | None = None, skip_invalid: bool = False,
                  errors_path: str | Path | None = None, observed_at: dt.datetime | None = None,
                  ) -> ImportReport:
    """Check every table, then upsert them all in one transaction (or nothing).

    ``skip_invalid``: rows with an error are left out (and counted as rejected)
    instead of failing the import; errors that concern a whole file (a missing
    column) still fail it. ``errors_path``: where every error is written as CSV
    (file, line, column, raw value, reason, hint) when there is any.
    ``observed_at``: the opportunities of raw tables marked ``observe_stages``
    whose stage is new or changed get a ``stage_changes`` row at that time (for
    exports that carry no stage history).
    """
    db.refuse_writes("import")
    tick = progress or (lambda step, done, total: None)
    raws = list(raws) + _accounts_of_orders(db, raws)
    checker = _Checker(settings, raws)
    try:
        return _import_checked(db, raws, settings, checker, dry_run=dry_run, tick=tick, skip_invalid=skip_invalid,
                               errors_path=errors_path, observed_at=observed_at)
    finally:
        checker.close()


def _import_checked(db: Database, raws: list[RawTable], settings: Settings, checker: _Checker, *, dry_run: bool,
                    tick: Progress, skip_invalid: bool, errors_path: str | Path | None,
                    observed_at: dt.datetime | None) -> ImportReport:
    reports: list[TableReport] = []
    by_table: dict[str, list[int]] = {}
    # progress in rows: checking is a fifth of the work, writing the rest (measured at 1M rows)
    # (a streamed file's rows are known once read: its size stands for them until then)
    rows = [max(1, raw.path.stat().st_size // 100 if raw.path else raw.num_rows) for raw in raws]
    total = 5 * sum(rows)
    for i, raw in enumerate(raws):
        tick(f"checking {raw.source}", sum(rows[:i]), total)
        ignored = checker.prepare(i, raw)
        reports.append(TableReport(raw.table, raw.source, raw.num_rows + raw.unread_rows,
                                   ignored_columns=[] if raw.labels else ignored))
        by_table.setdefault(raw.table, []).append(i)
    order = [t.name for t in S.TABLES if t.name in by_table]
    report = ImportReport(reports, dry_run)
    if not checker.fatal_count():
        for i, raw in enumerate(raws):
            checker.check_values(i, raw)
        report.notes.extend(checker.notes)
        for table in order:
            checker.build_typed(table, by_table[table], skip_invalid)
        staged = set(order)
        existing: dict = {}
        for _ in range(len(order) + 1 if skip_invalid else 1):
            tick("checking references", sum(rows), total)
            added = sum(checker.check_references(table, staged, db, existing) for table in order)
            if skip_invalid and added:
                for table in order:
                    checker.drop_rejected(table)
            if not added:
                break
    n_errors = checker.con.execute("SELECT count(*) FROM errs").fetchone()[0]
    if n_errors and errors_path:
        try:
            checker.write_error_file(Path(errors_path))
        except OSError:  # a folder the user cannot write to: the temporary folder, and the summary says where
            errors_path = Path(tempfile.gettempdir()) / Path(errors_path).name
            checker.write_error_file(errors_path)
        report.error_file = str(errors_path)
    report.errors_total = n_errors
    if n_errors and (not skip_invalid or checker.fatal_count()):
        exc = ImportRejected(checker.error_tuples(), total=n_errors)
        exc.error_file = report.error_file
        exc.errors_detail = checker.errors_json()
        if report.error_file:
            exc.args = (f"{exc.args[0]}\nevery error is listed in {report.error_file}",)
        raise exc
    rejected = checker.rejected_by_source()
    for i, r in enumerate(reports):
        r.rejected = rejected.get(i, 0)
    if skip_invalid and n_errors:
        report.not_created = checker.drop_unused_created(order)
        for i, raw in enumerate(raws):
            if raw.created and raw.table in report.not_created:
                reports[i].rows -= len(report.not_created[raw.table])
    report.errors = checker.errors_json() if n_errors else []
    observe = {i for i, raw in enumerate(raws) if raw.observe_stages} if observed_at else set()
    # stages given by the import itself are not also "observed": a sheet's history columns for that sheet's
    # deals (the history table has the sheet's source), a stage_changes file of its own for every deal
    history = {raw.source for raw in raws if raw.table == "stage_changes"}
    if history - {raw.source for raw in raws if raw.table == "opportunities"}:
        observe = set()
    observe = {i for i in observe if raws[i].source not in history}
    # the checks are done: the scratch database's memory goes to the writing one's (the rest is on disk)
    try:
        checker.con.set_limit(SCRATCH_MEMORY_WRITING)
    except duckdb.OutOfMemoryException:  # what it holds cannot all be spilled: it keeps its limit
        pass
    if db.engine == "duckdb":
        # FSST (string compression) costs a sixth of the write of a million deals for a file about a half larger;
        # the ids it would compress are read as fast uncompressed. Measured in docs/import.md (Speed).
        db.raw.execute("SET disabled_compression_methods = 'fsst'")
        # what the workspace's database keeps in memory while it writes (the rest goes to the file or spills)
        memory_limit = db.fetchall("SELECT current_setting('memory_limit')")[0][0]
        db.raw.execute(f"SET memory_limit = '{WRITE_MEMORY >> 20}MB'")
    try:
        with db.transaction():
            written = sum(rows)
            for table in order:
                tick(f"writing {table}", written, total)
                idxs = by_table[table]
                written += 4 * sum(rows[i] for i in idxs)
                obs = observe if table == "opportunities" else set()
                by_source = checker.rows_by_source(table)  # before the stream: a query on it would end it
                n = _upsert(db, table, checker.typed_rows(table), by_source,
                            [reports[i] for i in idxs], idxs, dry_run, observe=obs, observed_at=observed_at)
                if obs:
                    report.tables.append(TableReport("stage_changes", "stage changes observed", n, inserted=n))
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    finally:
        if db.engine == "duckdb":
            db.raw.execute("RESET disabled_compression_methods")
            db.raw.execute(f"SET memory_limit = {_sql_str(memory_limit)}")
    if db.engine == "postgres" and not dry_run:
        # fresh statistics for the planner, now rather than whenever autovacuum comes: without them it
        # takes a just-filled table for a few rows and nests loops (the medium demo's quota results took
        # 6.5 s instead of 0.1 s; see docs/deploy.md)
        tick("updating the statistics", total, total)
        for table in order + (["stage_changes"] if observe else []):
            db.execute(f"ANALYZE {db.q(table)}")
    tick("done", total, total)
    return report


def _accounts_of_orders(db: Database, raws: list[RawTable]) -> list[RawTable]:
    """A shop's transaction log (orders without an accounts file, in a store without leads nor deals): each
    new customer id becomes an account named by its id, so the orders import, this month's file and the
    next. In a CRM's data set (leads or deals present) an unknown account id stays an error."""
    tables = {raw.table for raw in raws}
    if "orders" not in tables or tables & {"accounts", "leads", "opportunities"}:
        return []
    if db.table("opportunities").count().execute() or db.table("leads").count().execute():
        return []
    ids = {str(v).strip() for raw in raws if raw.table == "orders" and "account_id" in raw.data.column_names
           for v in _column(raw, "account_id").to_pylist() if v is not None and str(v).strip()}
    if ids:
        known = db.table("accounts").select("account_id").execute()["account_id"]
        ids -= {str(v) for v in known}
    if not ids:
        return []
    ids = sorted(ids)
    data = pa.table({"account_id": pa.array(ids, pa.string()), "name": pa.array(ids, pa.string())})
    return [RawTable("accounts", "accounts (from the orders' account ids)", data,
                     pa.array(range(1, len(ids) + 1), pa.int64()), created=True)]


def _column(raw: RawTable, name: str) -> pa.ChunkedArray:
    """One column of a raw table, read from its file when it is streamed."""
    if raw.path is None:
        return raw.data.column(name)
    bad: list = []
    try:
        return pacsv.read_csv(raw.path, **_csv_options(raw.path, raw.data.column_names, bad,
                                                        include=[name])).column(name)
    except pa.ArrowInvalid as exc:
        raise _csv_error(raw.path, exc) from None


def _upsert(db: Database, table: str, data: pa.Table | pa.RecordBatchReader, by_source: dict[int, int],
            reports: list[TableReport], idxs: list[int], dry_run: bool, *, observe: set[int] = frozenset(),
            observed_at: dt.datetime | None = None) -> int:
    """Upsert one table by key; fills the reports' counts. Returns the stage changes observed (opportunities).

    ``data`` (with ``pilotage_src``, the raw table each row came from, counted in ``by_source``) is an
    Arrow table or a stream of batches, read once: into the empty table directly, else into a staging table."""
    t = S.table(table)
    cols = ", ".join(f'"{c}"' for c in t.column_names)
    stg, chg, obs = f"pilotage_stg_{table}", f"pilotage_chg_{table}", "pilotage_obs"
    empty = not db.fetchall(f"SELECT 1 FROM {db.q(table)} LIMIT 1")
    staged = db.engine != "duckdb" or (isinstance(data, pa.RecordBatchReader) and (observe or not empty))
    if db.engine == "duckdb":
        db.raw.register(stg, data)
        if staged:
            db.raw.execute(f"CREATE TEMP TABLE {stg}_t AS SELECT * FROM {stg}")
            db.raw.unregister(stg)
            stg = f"{stg}_t"
    else:
        _copy_to_pg_temp(db, t, stg, data)
    observed = 0
    srcs = ", ".join(str(i) for i in sorted(observe))
    if observe and not empty:  # before the write: compare with the stage stored until now
        db.execute(f"CREATE TEMP TABLE {obs} AS SELECT s.opportunity_id, s.stage FROM {stg} s "
                   f"LEFT JOIN {db.q(table)} x ON x.opportunity_id = s.opportunity_id "
                   f"WHERE s.pilotage_src IN ({srcs}) "
                   f"AND (x.opportunity_id IS NULL OR x.stage IS DISTINCT FROM s.stage)")
        observed = int(db.fetchall(f"SELECT COUNT(*) FROM {obs}")[0][0])
    elif observe:  # nothing stored yet: every opportunity is seen in its stage for the first time
        observed = sum(n for i, n in by_source.items() if i in observe)
    if empty:
        counts = {int(i): (int(n), 0) for i, n in by_source.items()}
        if not dry_run and by_source:
            db.execute(f"INSERT INTO {db.q(table)} ({cols}) SELECT {cols} FROM {stg}")
    else:
        key_match = " AND ".join(f'x."{k}" = s."{k}"' for k in t.key)
        same = " AND ".join(f's."{c}" IS NOT DISTINCT FROM x."{c}"' for c in t.column_names if c not in t.key)
        db.execute(
            f"CREATE TEMP TABLE {chg} AS SELECT s.*, (x.\"{t.key[0]}\" IS NULL) AS pilotage_new "
            f"FROM {stg} s LEFT JOIN {db.q(table)} x ON {key_match} "
            f"WHERE x.\"{t.key[0]}\" IS NULL" + (f" OR NOT ({same})" if same else "")
        )
        counts = {int(i): (int(a), int(b)) for i, a, b in db.fetchall(
            f"SELECT pilotage_src, COUNT(*) FILTER (WHERE pilotage_new), COUNT(*) FILTER (WHERE NOT pilotage_new) "
            f"FROM {chg} GROUP BY 1")}
        if not dry_run and counts:
            if any(u for _, u in counts.values()):
                match = " AND ".join(f'c."{k}" = x."{k}"' for k in t.key)
                db.execute(f"DELETE FROM {db.q(table)} AS x WHERE EXISTS "
                           f"(SELECT 1 FROM {chg} c WHERE NOT c.pilotage_new AND {match})")
            db.execute(f"INSERT INTO {db.q(table)} ({cols}) SELECT {cols} FROM {chg}")
        db.execute(f"DROP TABLE {chg}")
    for i, r in zip(idxs, reports, strict=True):
        r.inserted, r.updated = counts.get(i, (0, 0))
        r.unchanged = r.rows - r.rejected - r.inserted - r.updated
    if observe:
        at = f"CAST('{observed_at.replace(microsecond=0, tzinfo=None).isoformat(sep=' ')}' AS TIMESTAMP)"
        sc = db.q("stage_changes")
        if not empty:
            source = obs
        elif set(idxs) <= set(observe) and not dry_run:  # all of it is new: read it back from the table written
            source = f"(SELECT opportunity_id, stage FROM {db.q(table)})"
        else:
            source = f"(SELECT opportunity_id, stage FROM {stg} WHERE pilotage_src IN ({srcs}))"
        if not dry_run and observed:
            if db.fetchall(f"SELECT 1 FROM {sc} LIMIT 1"):
                db.execute(f"INSERT INTO {sc} (opportunity_id, stage, entered_at) "
                           f"SELECT o.opportunity_id, o.stage, {at} FROM {source} o "
                           f"WHERE NOT EXISTS (SELECT 1 FROM {sc} c WHERE c.opportunity_id = o.opportunity_id "
                           f"AND c.stage = o.stage AND c.entered_at = {at})")
            else:
                db.execute(f"INSERT INTO {sc} (opportunity_id, stage, entered_at) "
                           f"SELECT o.opportunity_id, o.stage, {at} FROM {source} o")
        if not empty:
            db.execute(f"DROP TABLE {obs}")
    if db.engine == "duckdb" and not staged:
        db.raw.unregister(stg)
    else:
        db.execute(f"DROP TABLE {stg}")
    return observed


def _copy_to_pg_temp(db: Database, t: S.Table, name: str, data: pa.Table) -> None:
    db.execute(f"CREATE TEMP TABLE {name} (LIKE {db.q(t.name)})")
    db.execute(f"ALTER TABLE {name} ADD COLUMN pilotage_src INTEGER")
    batches = data.to_batches(BATCH_ROWS) if isinstance(data, pa.Table) else data
    cur = db.raw.cursor()
    cols = ", ".join(f'"{c}"' for c in data.schema.names)
    with cur.copy(f"COPY {name} ({cols}) FROM STDIN (FORMAT csv)") as cp:
        for batch in batches:  # a batch at a time: the rows are never all in memory as CSV
            buf = io.BytesIO()
            pacsv.write_csv(batch, buf, pacsv.WriteOptions(include_header=False, quoting_style="needed"))
            cp.write(buf.getvalue())


def singular(table: str) -> str:
    """A table's name for one of its rows: opportunities -> opportunity, reps -> rep."""
    if table.endswith("ies"):
        return table[:-3] + "y"
    return table[:-1] if table.endswith("s") else table
