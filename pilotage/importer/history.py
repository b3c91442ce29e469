"""Stage history columns of a CRM export -> ``stage_changes`` rows, in bulk (SQL in the scratch DuckDB).

HubSpot (Professional and Enterprise) can add to a deals export one column per
stage of each pipeline: ``Date entered "Qualified To Buy (Sales Pipeline)"``. A
mapping declares such columns as header templates (``history: entered:
['Date entered "{stage}"']``, :class:`~pilotage.importer.mapping.HistorySpec`).
For each sheet of opportunities whose table declares them, :func:`attach`:

1. finds the history columns among the headers and maps each column's stage
   through the mapping's pipelines and stages the way the stage column is mapped
   (the pipeline label in parentheses picks the pipeline; stage names and aliases
   compared without case, accents or punctuation). A column whose stage is not in
   the mapping is left out with a note;
2. unpivots the filled cells (one row per deal and stage entered; an empty cell
   gives no row) in SQL, joined on the line to the deal's canonical id;
3. parses the dates like the file's other dates (:mod:`pilotage.importer.values`:
   the day/month order inferred per column, a column that cannot tell taking the
   order of the file's other date columns, else the format's; offsets converted
   to the workspace time zone; Excel serial numbers);
4. adds a ``stage_changes`` raw table to the plan. A cell that is not a date is an
   error of the deal's row (file, line, the column's header, the raw value), like
   any other date of the row: the deal is rejected, and its history with it.

``canonical.import_tables`` does not record stages "observed at the import date"
when the import holds a ``stage_changes`` table: the history comes from the export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from pilotage.importer import values as V
from pilotage.importer.canonical import RawTable
from pilotage.importer.mapping import TableSpec
from pilotage.settings import Settings

ERROR_SCHEMA = pa.schema([("line", pa.int64()), ("col", pa.string()), ("canon", pa.string()),
                          ("value", pa.string()), ("reason", pa.string()), ("hint", pa.string())])
PIPELINE_LABEL = re.compile(r"(.*?\S)\s*\(([^()]*)\)\s*$")


@dataclass
class Column:
    header: str  # the file's own header
    stage: str  # the canonical stage
    alias: str  # SQL name in the helper views


class StageResolver:
    """A history column's stage text ('qualified to buy (sales pipeline)') -> the canonical stage, or None."""

    def __init__(self, ts: TableSpec):
        pipe = ts.columns.get("pipeline")
        self.default_pipeline = (pipe.default if pipe is not None else None) or "default"
        self.named = {V.norm_key(a): p.name for p in ts.pipelines if p.name != "*" for a in [p.name, *p.aliases]}
        self.stages: dict[tuple[str, str], str] = {}
        self.anywhere: dict[str, set[str]] = {}
        for p in ts.pipelines:
            for stg in p.stages:
                for a in [stg.name, *stg.aliases]:
                    self.stages.setdefault((p.name, V.norm_key(a)), stg.name)
                    self.anywhere.setdefault(V.norm_key(a), set()).add(stg.name)

    def _in(self, pipeline: str, stage: str) -> str | None:
        key = V.norm_key(stage)
        return self.stages.get((pipeline, key)) or self.stages.get(("*", key))

    def resolve(self, text: str) -> str | None:
        m = PIPELINE_LABEL.match(text)
        if m:  # "<stage> (<pipeline label>)": that pipeline's stages, as for the stage column
            hit = self._in(self.named.get(V.norm_key(m.group(2)), m.group(2)), m.group(1))
            if hit:
                return hit
        hit = self._in(self.default_pipeline, text)  # no pipeline label (or parentheses in the stage name)
        if hit or m:
            return hit
        names = self.anywhere.get(V.norm_key(text), set())
        return next(iter(names)) if len(names) == 1 else None


def find_columns(headers: list[str], ts: TableSpec) -> tuple[list[Column], list[tuple[str, str]]]:
    """(history columns whose stage is mapped, [(header, stage text)] of the others)."""
    if ts.history is None:
        return [], []
    mapped = {V.norm_key(h) for c in ts.columns.values() for h in c.all_headers()}
    mapped |= {V.norm_key(h) for r in ts.status for h in r.headers}
    resolver = StageResolver(ts)
    found, unknown = [], []
    for h in headers:
        if V.norm_key(h) in mapped:
            continue
        text = ts.history.entered_stage(h)
        if text is None:
            continue
        stage = resolver.resolve(text)
        if stage is None:
            unknown.append((h, text))
        else:
            found.append(Column(h, stage, f"c{len(found)}"))
    return found, unknown


def attach(plan, con: duckdb.DuckDBPyConnection, det, ts: TableSpec, raw: RawTable | None, info: dict,
           settings: Settings, date_order: str | None, n: int, file_orders: set[str] = frozenset()) -> None:
    """The hook of :func:`pilotage.importer.crm.plan`: when the sheet of ``raw`` (opportunities) has stage history
    columns, add their ``stage_changes`` to ``plan.raws``, the notes to ``info``, the errors to ``raw.pre_errors``
    (or ``plan.fatal``). Does nothing (no query) for a sheet without such columns. ``file_orders``: the day/month
    orders the sheet's own date columns decided (the table's transform inferred them)."""
    if raw is None or ts.history is None or raw.table != "opportunities" or "opportunity_id" not in \
            raw.data.column_names:
        return
    cols, unknown = find_columns(det.sheet.headers, ts)
    fmt = det.mapping.format if det.mapping else "canonical"
    if unknown:
        shown = ", ".join(repr(h) for h, _ in unknown[:6]) + (f" and {len(unknown) - 6} more" if len(unknown) > 6
                                                              else "")
        info["notes"].append(f"stage history column(s) {shown} ignored: stage not in the {fmt} mapping "
                             f"(add it under stages: in a mapping file to read them)")
    if not cols:
        return
    h = _History(con, det, ts, raw, settings, date_order, n, cols, file_orders)
    try:
        hist = h.build()
    finally:
        h.close()
    info["notes"] += h.notes
    plan.fatal += h.fatal
    if hist is None:
        return
    if h.errors is not None and h.errors.num_rows:
        raw.pre_errors = h.errors if raw.pre_errors is None else pa.concat_tables(
            [raw.pre_errors, h.errors.cast(raw.pre_errors.schema)])
    plan.raws.append(hist)


def _same(a, b) -> bool:
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    b = b.combine_chunks() if isinstance(b, pa.ChunkedArray) else b
    return len(a) == len(b) and a.equals(b)


class _History:
    """The history columns of one sheet: a view of their trimmed cells (``wide``), its unpivot (``long``: line,
    column, value; empty cells left out), one query parsing and joining it to the deals' ids."""

    def __init__(self, con, det, ts: TableSpec, raw: RawTable, settings: Settings, date_order: str | None, n: int,
                 cols: list[Column], file_orders: set[str] = frozenset()):
        self.con, self.det, self.ts, self.raw, self.settings = con, det, ts, raw, settings
        self.sheet = det.sheet
        self.cols = cols
        self.forced = date_order or ts.history.date_order
        self.file_orders = set(file_orders)
        defaults = (det.mapping.defaults.get(det.language) or {}) if det.mapping else {}
        self.lang_date_order = defaults.get("date_order")
        self.src, self.wide, self.long, self.opp = f"hsrc_{n}", f"hwide_{n}", f"hlong_{n}", f"hopp_{n}"
        self.notes: list[str] = []
        self.fatal: list[tuple] = []
        self.errors: pa.Table | None = None
        self._registered: list[str] = []
        self._views: list[str] = []

    def _register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)
        self._registered.append(name)

    def _view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")
        self._views.append(name)

    def close(self) -> None:
        for v in reversed(self._views):
            self.con.execute(f"DROP VIEW IF EXISTS {v}")
        for r in self._registered:
            self.con.unregister(r)

    # -- build
    def build(self) -> RawTable | None:
        sheet, cols, raw = self.sheet, self.cols, self.raw
        sheet.clean([c.header for c in cols])  # trimmed, blanks NULL (Arrow, only these columns)
        src = sheet.data.select([c.header for c in cols]).append_column("__line", sheet.lines)
        # the deals' canonical ids: side by side when the deals are the sheet's rows in order (the usual case),
        # else joined on the line (rows left out of the table, an identical row dropped)
        aligned = _same(raw.lines, sheet.lines)
        if aligned:
            src = src.append_column("__opp", raw.data.column("opportunity_id"))
        self._register(self.src, src)
        keep = ", __opp" if aligned else ""
        self._view(self.wide, f"SELECT __line{keep}, "
                              + ", ".join(f"{V.q(c.header)} AS {c.alias}" for c in cols) + f" FROM {self.src}")
        self._view(self.long, f"UNPIVOT {self.wide} ON {', '.join(c.alias for c in cols)} INTO NAME col VALUE v")
        orders = self._orders()
        if self.fatal:
            return None
        fmts = {c.alias: self._fast_format(c, orders[c.alias]) for c in cols}
        # one parsing expression per (order, usual format) shared by several columns
        groups: dict[tuple, list[str]] = {}
        for c in cols:
            groups.setdefault((orders[c.alias], fmts[c.alias]), []).append(c.alias)
        parse = [(aliases, V.date_value_sql("l.v", order, self.settings.timezone, fmt))
                 for (order, fmt), aliases in groups.items()]
        if len(parse) == 1:
            at = parse[0][1]
        else:
            at = "CASE " + " ".join(f"WHEN l.col IN ({', '.join(V.lit(a) for a in aliases)}) THEN {sql}"
                                    for aliases, sql in parse) + " END"
        stage = "CASE l.col " + " ".join(f"WHEN {V.lit(c.alias)} THEN {V.lit(c.stage)}" for c in cols) + " END"
        if aligned:
            source = f"(SELECT *, __opp AS opportunity_id FROM {self.long}) l"
        else:
            self._register(self.opp, raw.data.select(["opportunity_id"]).append_column("__line", raw.lines))
            source = f"{self.long} l JOIN {self.opp} o ON o.__line = l.__line"
        result = self.con.execute(f"""
            SELECT __line, opportunity_id, stage, entered_at,
                   CASE WHEN entered_at IS NULL THEN col END AS bad_col,
                   CASE WHEN entered_at IS NULL THEN v END AS bad_value
            FROM (SELECT l.__line, opportunity_id, l.col, l.v, {stage} AS stage, CAST({at} AS TIMESTAMP) AS entered_at
                  FROM {source} WHERE opportunity_id IS NOT NULL)""").fetch_arrow_table()
        return self._collect(result)

    def _collect(self, result: pa.Table) -> RawTable:
        """The stage_changes raw table (the rows of deals whose history holds an error left out, each key once)
        and the errors (``self.errors``, as the deals' rows' errors)."""
        r = f"hres_{id(self)}"
        self._register(r, result)
        header = "CASE bad_col " + " ".join(f"WHEN {V.lit(c.alias)} THEN {V.lit(c.header)}" for c in self.cols) + \
                 " END"
        from pilotage.importer.crm import TEXT_HINT  # (crm imports this module)

        errors = self.con.execute(
            f"SELECT __line AS line, {header} AS col, 'entered_at' AS canon, bad_value AS value, "
            f"'not a date' AS reason, {V.lit(TEXT_HINT['date'])} AS hint FROM {r} WHERE entered_at IS NULL "
            f"ORDER BY __line").fetch_arrow_table().cast(ERROR_SCHEMA)
        by_header = {c.header for c in self.cols}
        cell = [e for e in self.sheet.cell_errors if e[1] in by_header]  # an Excel formula without its value...
        if cell:
            errors = pa.concat_tables([errors, pa.table(
                [pa.array([int(e[0]) for e in cell], pa.int64()), pa.array([e[1] for e in cell], pa.string()),
                 pa.array(["entered_at"] * len(cell), pa.string()), pa.array([e[2] or None for e in cell], pa.string()),
                 pa.array([e[3] for e in cell], pa.string()), pa.array([e[4] for e in cell], pa.string())],
                schema=ERROR_SCHEMA)])
        self.errors = errors if errors.num_rows else None
        # the rows of deals rejected (a bad date here, or a value of the deal's row its own transform could not
        # read) are left out: no stage change pointing at a deal that does not land
        rejected = [t.select(["line"]).cast(pa.schema([("line", pa.int64())]))
                    for t in (self.errors, self.raw.pre_errors) if t is not None and t.num_rows]
        where = "entered_at IS NOT NULL"
        if rejected:
            self._register(f"{r}_bad", pa.concat_tables(rejected))
            where += f" AND __line NOT IN (SELECT line FROM {r}_bad WHERE line IS NOT NULL)"
        # a key twice: two columns of one stage (an alias), or one deal on two lines
        dup = not (self.raw.keys_unique and len({c.stage for c in self.cols}) == len(self.cols)) and \
            self.con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {r} WHERE {where} "
                             f"GROUP BY opportunity_id, stage, entered_at HAVING count(*) > 1)").fetchone()[0]
        if dup or rejected:
            # one row per key (two columns for one stage, a deal listed twice), at its first line
            data = self.con.execute(f"SELECT opportunity_id, stage, entered_at, min(__line) AS __line FROM {r} "
                                    f"WHERE {where} GROUP BY opportunity_id, stage, entered_at "
                                    f"ORDER BY __line").fetch_arrow_table()
        else:
            data = result.select(["opportunity_id", "stage", "entered_at", "__line"])
        lines = data.column("__line").combine_chunks()
        data = data.select(["opportunity_id", "stage", "entered_at"])
        self.notes.append(f"stage history: {data.num_rows} stage change(s) read from {len(self.cols)} column(s) such "
                          f"as {self.cols[0].header!r} (no stage is recorded at the import date)")
        labels = {"opportunity_id": self.raw.labels.get("opportunity_id", "opportunity_id"),
                  "stage": "stage (history columns)", "entered_at": "entered_at (history columns)"}
        return RawTable("stage_changes", self.sheet.source, data, lines, labels=labels, clean=True, keys_unique=True)

    # -- dates: the day/month order of each column, as crm._Transform infers it for the file's date columns
    def _evidence(self, long: str) -> dict[str, tuple]:
        """column -> (numeric dates, max first part, max second part, an example, first with a first part > 12,
        first with a second part > 12), over the distinct date prefixes of the unpivoted view ``long``."""
        rows = self.con.execute(f"""
            SELECT col, count(*), max(TRY_CAST(p.a AS INT)), max(TRY_CAST(p.b AS INT)), min(d) FILTER (WHERE p.a <> ''),
                   min(d) FILTER (WHERE TRY_CAST(p.a AS INT) > 12), min(d) FILTER (WHERE TRY_CAST(p.b AS INT) > 12)
            FROM (SELECT col, d, regexp_extract(d, '{V.DATE_PREFIX_RE}', ['a', 'b', 'y']) AS p
                  FROM (SELECT DISTINCT col, left(v, 10) AS d FROM {long}))
            WHERE regexp_matches(d, '{V.DATE_PREFIX_RE}') GROUP BY col""").fetchall()
        return {r[0]: r[1:] for r in rows}

    def _line_of(self, alias: str, prefix: str | None) -> int | None:
        if prefix is None:
            return None
        return self.con.execute(f"SELECT min(__line) FROM {self.long} WHERE col = ? AND left(v, 10) = ?",
                                [alias, prefix]).fetchone()[0]

    def _orders(self) -> dict[str, str | None]:
        if self.forced:
            return {c.alias: self.forced for c in self.cols}
        evidence = self._evidence(self.long)
        orders: dict[str, str | None] = {}
        ambiguous = []
        for c in self.cols:
            count, max_a, max_b, example, v_a, v_b = evidence.get(c.alias, (0, None, None, None, None, None))
            if not count:
                orders[c.alias] = None
                continue
            order = V.decide_order(max_a, max_b)
            if order == "mixed":
                self.fatal.append((self.sheet.source, None, c.header, None, *V.mixed_order_error(
                    self._line_of(c.alias, v_a), v_a, self._line_of(c.alias, v_b), v_b)))
            elif order:
                orders[c.alias] = order
            else:
                ambiguous.append((c, example))
        if not ambiguous:
            return orders
        decided = {o for o in orders.values() if o} | self.file_orders
        for c, example in ambiguous:
            if len(decided) == 1:
                orders[c.alias] = next(iter(decided))
            elif self.lang_date_order:
                orders[c.alias] = self.lang_date_order
                self.notes.append(f"stage history: dates such as {example!r} read as "
                                  f"{'day/month' if self.lang_date_order == 'dmy' else 'month/day'}, the order of "
                                  f"the headers' language (no value tells; --date-order to choose)")
            else:
                self.fatal.append((self.sheet.source, None, c.header, example, *V.ambiguous_order_error(
                    self._line_of(c.alias, example), example, "under history:")))
        if len(decided) == 1:
            c, example = ambiguous[0]
            self.notes.append(f"stage history: dates such as {example!r} read as "
                              f"{'day/month' if orders[c.alias] == 'dmy' else 'month/day'}, like the file's other "
                              f"date columns")
        return orders

    def _fast_format(self, c: Column, order: str | None) -> str | None:
        """The strptime format of the column's usual shape (a sample), as for the file's other date columns."""
        shape = self.con.execute(
            f"SELECT regexp_replace(v, '[0-9]', '9', 'g') AS shape, count(*) FROM "
            f"(SELECT {c.alias} AS v FROM {self.wide} WHERE {c.alias} IS NOT NULL LIMIT 2000) GROUP BY 1 "
            f"ORDER BY 2 DESC LIMIT 1").fetchone()
        return V.fast_date_format(shape[0], order) if shape else None
