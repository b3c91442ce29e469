"""CRM exports -> canonical raw tables: detect the format, apply its mapping, resolve references, map stages.

Flow for each sheet read by :mod:`pilotage.importer.readers`:

1. **detect** the mapping and entity from the headers (:func:`detect`): every
   built-in mapping (or the one forced by ``--format`` / ``--mapping``) scores
   each of its entities by the canonical columns whose header is present; the
   entity's ``detect`` columns must all be there. The headers' language (French
   or English aliases) picks the mapping's defaults (date order, decimal mark).
2. **infer**, per column, the decimal mark of numbers (one aggregate query),
   the day/month order of dates (over the distinct date parts) and the usual
   shape of dates (a sample), which gives each column a fast parsing path;
3. **look up** what repeats once per distinct value, in Python, into small
   tables: references by name or e-mail (reps, accounts, teams, products known
   only that way are created and reported), value maps, and each (pipeline,
   stage, status columns) combination -> canonical pipeline, stage and status;
4. **transform** in one SQL statement per table (:class:`_Transform`): a view
   of the sheet's Arrow table joined to the lookups, numbers and dates parsed
   (:mod:`pilotage.importer.values`: the fast path for the usual shape, the full
   analysis for the other values only), every output column typed as stored;
   values that cannot be parsed become errors naming the file, line, header
   and raw value (read back from the source for the failing rows only).

The result is a list of :class:`~pilotage.importer.canonical.RawTable` (typed,
canonical columns, ``clean``) that :func:`~pilotage.importer.canonical.import_tables`
checks and writes like any other import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from pilotage.errors import ImportRejected
from pilotage.importer import history
from pilotage.importer import values as V
from pilotage.importer.canonical import RawTable
from pilotage.importer.mapping import _NO_OTHER as M_NO_OTHER
from pilotage.importer.mapping import ColumnSpec, Entity, Mapping, PipelineSpec, TableSpec
from pilotage.importer.readers import Sheet
from pilotage.settings import Settings
from pilotage.store import schema as S
from pilotage.store.database import Database

# tables whose rows can be referred to by name (and created when unknown)
NAMED = {"reps": ("rep_id", "name"), "accounts": ("account_id", "name"), "teams": ("team_id", "name"),
         "products": ("product_id", "name"), "campaigns": ("campaign_id", "name")}
CANONICAL = "canonical"
TEXT_HINT = {
    "number": "expected an amount such as 1 234,56 €, 1.234,56, 1,234.56, (1 234) or 12,5 %",
    "date": "expected a date such as 31/01/2024, 2024-01-31, 2024-01-31T10:00:00Z, 31 janv. 2024 or an Excel "
            "date number",
}


@dataclass
class Detected:
    sheet: Sheet
    mapping: Mapping | None  # None: a canonical table file
    entity: Entity | None
    language: str = "en"
    table: str | None = None  # canonical table (canonical files)
    score: int = 0


@dataclass
class Plan:
    raws: list[RawTable] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    created: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fatal: list[tuple[str, int | None, str | None, str | None, str, str]] = field(default_factory=list)
    registry: Registry | None = None


# --------------------------------------------------------------------------- detection
def _header_index(sheet: Sheet) -> dict[str, str]:
    out: dict[str, str] = {}
    for h in sheet.headers:
        out.setdefault(V.norm_key(h), h)
    return out


def _find(spec_headers: list[str], index: dict[str, str]) -> list[str]:
    found = []
    for h in spec_headers:
        k = V.norm_key(h)
        if k in index and index[k] not in found:
            found.append(index[k])
    return found


def _canonical_table(sheet: Sheet) -> str | None:
    stem = re.sub(r"\s*\[.*\]$", "", sheet.source)
    stem = Path(stem).stem.lower()
    sheet_name = re.search(r"\[(.*)\]$", sheet.source)
    for name in (stem, sheet_name.group(1).lower() if sheet_name else None):
        if name in S.BY_NAME:
            t = S.table(name)
            cols = set(sheet.headers)
            needed = {c.name for c in t.columns if c.required and c.default is None}
            if needed <= cols:
                return name
    return None


def _entity_score(e: Entity, index: dict[str, str], sheet: Sheet) -> tuple[int, int] | None:
    if e.skip:
        if sheet.sobject and e.sobject and sheet.sobject.lower() == e.sobject.lower():
            return (1000, 0)
        if e.detect and all(V.norm_key(h) in index for h in e.detect):
            return (len(e.detect), 0)
        return None
    if sheet.sobject and e.sobject and sheet.sobject.lower() != e.sobject.lower():
        return None
    if e.require_any and not (sheet.sobject and e.sobject) and not _find(e.require_any, index):
        return None
    matched = set()
    for t in e.tables:
        for target, c in t.columns.items():
            if _find(c.headers + c.default_from, index) or (c.join and all(_find(p, index) for p in c.join)):
                matched.add((t.table, target))
    detect_ok = all(any((t.table, d) in matched for t in e.tables) for d in e.detect)
    if not detect_ok or len(matched) < 2:
        return None
    known = e.header_keys()
    share = sum(1 for k in index if k in known)
    bonus = 1000 if sheet.sobject and e.sobject else 0
    bonus += 5 if e.files and e.matches_file(sheet.source) else 0
    return (len(matched) + bonus, share)


def detect(sheet: Sheet, mappings: list[Mapping], *, allow_canonical: bool = True) -> Detected:
    """The mapping and entity a sheet belongs to, from its headers (and its file name)."""
    if allow_canonical:
        table = _canonical_table(sheet)
        if table:
            return Detected(sheet, None, None, table=table)
    index = _header_index(sheet)
    scored = []
    for m in mappings:
        for e in m.entities:
            s = _entity_score(e, index, sheet)
            if s is not None:
                scored.append((s, m, e))
    if not scored:
        names = ", ".join(m.format for m in mappings)
        shown = ", ".join(sheet.headers[:8]) + ("…" if len(sheet.headers) > 8 else "")
        raise ImportRejected([(sheet.source, None, None,
                               f"format not recognised from the headers ({shown}): none of the {names} "
                               f"mappings fits; use --format NAME, or describe the file in a mapping "
                               f"(--mapping FILE.yaml, see docs/import.md)")])
    scored.sort(key=lambda x: x[0], reverse=True)
    (best, m, e) = scored[0]
    if len(scored) > 1 and scored[1][0] == best and scored[1][1] is not m:
        raise ImportRejected([(sheet.source, None, None,
                               f"headers fit both {m.format} {e.name} and {scored[1][1].format} {scored[1][2].name}: "
                               f"use --format {m.format} or --format {scored[1][1].format}")])
    french = english = 0
    for t in e.tables:
        for c in t.columns.values():
            for h in _find(c.headers, index) + [x for p in c.join for x in _find(p, index)]:
                k = V.norm_key(h)
                if k in c.french:
                    french += 1
                elif c.french:
                    english += 1
    return Detected(sheet, m, e, "fr" if french > english else "en", score=best[0])


# --------------------------------------------------------------------------- references
def split_person(raw: str) -> tuple[str | None, str | None]:
    """'Alice Martin <alice@x.fr>', 'Alice Martin (alice@x.fr)', 'alice@x.fr' or 'Alice Martin' -> (name, email)."""
    m = re.match(r"^\s*(.*?)\s*[<(]\s*([^<>()\s]+@[^<>()\s]+)\s*[>)]\s*$", raw)
    if m:
        return (m.group(1) or None), m.group(2).lower()
    if re.fullmatch(r"\s*[^@\s]+@[^@\s]+\.[^@\s]+\s*", raw):
        return None, raw.strip().lower()
    return raw.strip(), None


class Registry:
    """Who is already known, by id, name and email: the database, then this import's files, then creations."""

    def __init__(self, db: Database | None):
        self.db = db
        self.loaded: set[str] = set()
        self.ids: dict[str, set[str]] = {}
        self.by_name: dict[str, dict[str, str]] = {}
        self.by_email: dict[str, dict[str, str]] = {}
        self.created: dict[str, dict[str, dict]] = {}  # table -> id -> row

    def _load(self, table: str) -> None:
        if table in self.loaded:
            return
        self.loaded.add(table)
        self.ids.setdefault(table, set())
        self.by_name.setdefault(table, {})
        self.by_email.setdefault(table, {})
        if self.db is None or table not in NAMED:
            return
        key, name = NAMED[table]
        cols = {"k": key, "n": name}
        if table == "reps":
            cols["e"] = "email"
        t = self.db.table(table)
        rows = t.select(**{a: t[b] for a, b in cols.items()}).to_pyarrow().to_pylist()
        for r in rows:
            self._know(table, r["k"], r.get("n"), r.get("e"))

    def _know(self, table: str, key: str, name: str | None, email: str | None, prefer: bool = False) -> None:
        self.ids.setdefault(table, set()).add(key)
        if name:
            k = V.norm_key(name)
            if prefer or k not in self.by_name.setdefault(table, {}):
                self.by_name[table][k] = key
        if email:
            e = email.strip().lower()
            if prefer or e not in self.by_email.setdefault(table, {}):
                self.by_email[table][e] = key

    def add_rows(self, table: str, data: pa.Table) -> None:
        """Rows of this import (a companies or owners file): found by name and email before the database's."""
        if table not in NAMED:
            return
        self._load(table)
        key, name = NAMED[table]
        cols = [c for c in (key, name, "email") if c in data.column_names]
        for r in data.select(cols).to_pylist():
            if r.get(key):
                self._know(table, r[key], r.get(name), r.get("email"), prefer=True)

    def resolve(self, table: str, raw: str, mode: str, *, create: bool, source: str,
                own_key: bool = False) -> str | None:
        self._load(table)
        raw = re.sub(r"\s+", " ", raw).strip()
        if not raw:
            return None
        if mode == "id":
            if raw not in self.ids[table] and create and not own_key:
                self._create(table, raw, raw, None, source)
            return raw
        name, email = (split_person(raw) if mode == "name_or_email" else
                       (None, raw.lower()) if mode == "email" else (raw, None))
        if email and email in self.by_email[table]:
            return self.by_email[table][email]
        if name and V.norm_key(name) in self.by_name[table]:
            return self.by_name[table][V.norm_key(name)]
        key = email or name
        if key in self.ids[table] and not own_key:
            return key
        if own_key:
            self._know(table, key, name, email)
            return key
        if not create:
            return key
        self._create(table, key, name or email, email, source)
        return key

    def _create(self, table: str, key: str, name: str, email: str | None, source: str) -> None:
        row = {NAMED[table][0]: key, NAMED[table][1]: name} if table in NAMED else {}
        if table == "reps" and email:
            row["email"] = email
        self.created.setdefault(table, {})[key] = {"row": row, "source": source}
        self._know(table, key, name, email)

    def ensure(self, table: str, key: str, name: str, source: str) -> None:
        self._load(table)
        if key not in self.ids[table]:
            self._create(table, key, name, None, source)

    def created_tables(self) -> list[RawTable]:
        out = []
        for table, rows in self.created.items():
            if not rows or table not in S.BY_NAME:
                continue
            names = sorted({k for r in rows.values() for k in r["row"]})
            data = pa.table({n: pa.array([r["row"].get(n) for r in rows.values()], pa.string()) for n in names})
            out.append(RawTable(table, f"{table} created from names", data,
                                pa.array(range(1, data.num_rows + 1), pa.int64()), created=True))
        return out

    def created_names(self, left_out: dict[str, set[str]] | None = None) -> dict[str, list[str]]:
        """table -> 'name (from file)' of the rows created, but those in ``left_out`` (table -> keys)."""
        out = {}
        for table, rows in self.created.items():
            gone = (left_out or {}).get(table, set())
            name_col = NAMED.get(table, (None, None))[1]
            names = [f"{r['row'].get(name_col) or k} (from {r['source']})" for k, r in rows.items() if k not in gone]
            if names:
                out[table] = names
        return out


# --------------------------------------------------------------------------- transforming
SQL_TYPES = {S.DATE: "DATE", S.DATETIME: "TIMESTAMP", S.MONEY: "DECIMAL(18, 2)", S.RATE: "DOUBLE",
             S.INT: "BIGINT", S.STR: "VARCHAR"}
NULL_KEY = "\x01"  # stands for NULL in the keys of the small lookup tables (hash joins need a value)


def _key(expr: str) -> str:
    return f"COALESCE({expr}, '{NULL_KEY}')"


@dataclass
class _Col:
    """One canonical column of the output: how it is computed, what to report when it fails."""

    target: str
    label: str
    raw: str | None  # SQL: the raw text (NULL when absent), over the helper table
    kind: str  # text, number, date, ref, derived


class _Transform:
    """One table of one sheet: a helper table (raw text and parsing helpers), small lookup tables for the
    low-cardinality columns (stages, value maps, references, computed once per distinct value in Python),
    and one SQL statement joining them into the canonical text columns."""

    def __init__(self, con: duckdb.DuckDBPyConnection, det: Detected, ts: TableSpec, settings: Settings,
                 registry: Registry, opts: dict, n: int):
        self.con, self.det, self.ts, self.settings, self.reg, self.opts = con, det, ts, settings, registry, opts
        self.sheet = det.sheet
        self.n = n  # unique suffix for SQL names
        self.index = _header_index(det.sheet)
        self.table = S.table(ts.table)
        self.fatal: list[tuple] = []
        self.notes: list[str] = []
        self.raw_cols: dict[str, str] = {}  # header -> SQL alias in the helper table
        self.joins: list[str] = []
        defaults = (det.mapping.defaults.get(det.language) or {}) if det.mapping else {}
        self.lang_date_order = defaults.get("date_order")
        self.lang_decimal = defaults.get("decimal") or ("," if self.sheet.delimiter == ";" else None)
        self.fmt = det.mapping.format if det.mapping else CANONICAL
        self.h = f"h_{n}"
        self.decided_orders: set[str] = set()

    # -- raw columns
    def _r(self, header: str) -> str:
        if header not in self.raw_cols:
            self.raw_cols[header] = f"r{len(self.raw_cols)}"
        return self.raw_cols[header]

    def _raw_expr(self, spec: ColumnSpec) -> tuple[str | None, str]:
        """(SQL of the raw text: first non-empty of the present headers, label) or (None, '')."""
        present = _find(spec.headers, self.index)
        parts = [self._r(h) for h in present]
        label = present[0] if present else ""
        if spec.join:
            found = [_find(p, self.index) for p in spec.join]
            if all(found):
                parts.append("NULLIF(concat_ws(' ', " + ", ".join(self._r(f[0]) for f in found) + "), '')")
                label = label or " + ".join(f[0] for f in found)
        fallback = _find(spec.default_from, self.index)
        if fallback:
            if not parts:
                self.notes.append(f"no column for {spec.target}: {fallback[0]!r} used instead")
            label = label or fallback[0]
            parts += [self._r(h) for h in fallback]
        if not parts:
            return None, ""
        return (parts[0] if len(parts) == 1 else f"COALESCE({', '.join(parts)})"), label

    def _distinct(self, *exprs: str) -> list[tuple]:
        where = f" WHERE {self.where}" if self.where else ""
        return self.con.execute(f"SELECT DISTINCT {', '.join(exprs)} FROM {self.h}{where}").fetchall()

    def _lookup(self, name: str, keys: list[str], rows: list[tuple], outs: list[str], exprs: list[str],
                alias: str) -> None:
        """Register a small table (keys -> outputs) and LEFT JOIN it on the raw expressions."""
        cols = {f"k{i}": pa.array([NULL_KEY if r[i] is None else r[i] for r in rows], pa.string())
                for i in range(len(keys))}
        for j, o in enumerate(outs):
            cols[o] = pa.array([r[len(keys) + j] for r in rows], pa.string())
        self.con.register(name, pa.table(cols))
        on = " AND ".join(f"{alias}.k{i} = {_key(e)}" for i, e in enumerate(exprs))
        self.joins.append(f"LEFT JOIN {name} {alias} ON {on}")

    # -- build
    def build(self, progress=None) -> tuple[RawTable | None, dict]:
        """The canonical table of this sheet; ``progress(fraction)`` is told how far it is (shares measured at
        1M rows: inference a tenth, lookups a tenth, the transform two thirds, the checks of its result the rest)."""
        tick = progress or (lambda fraction: None)
        ts, t = self.ts, self.table
        cols: list[_Col] = []
        derived_status = bool(ts.status or ts.pipelines)
        specs = dict(ts.columns)
        for c in t.columns:
            spec = specs.get(c.name)
            raw, label = self._raw_expr(spec) if spec is not None else (None, "")
            if spec is None or (raw is None and spec.default is None and spec.if_empty is None):
                if c.name == "status" and derived_status:
                    cols.append(_Col("status", "status", None, "derived"))
                    continue
                if c.name == "currency" and "amount" in specs:  # the sign in the amount cells (€, $, £)
                    cols.append(_Col("currency", "currency", None, "derived"))
                    continue
            if spec is None:
                continue
            kind = ("ref" if spec.ref else "number" if c.type in (S.MONEY, S.RATE, S.INT)
                    else "date" if c.type in (S.DATE, S.DATETIME) else "text")
            missing = raw is None and spec.default is None and spec.if_empty is None
            # a required number or date whose declared header is absent is an error, not its default on every
            # row (an amount silently 0 everywhere): the default stands in for empty cells only. A text default
            # says what it is ('unknown' source): it stands in for the whole column, with a note
            absent = raw is None and spec.default is not None and bool(spec.all_headers())
            missing = missing or (absent and c.required and c.default is None and c.type != S.STR)
            if absent and not missing:
                self.notes.append(f"no column for {c.name} (such as {spec.all_headers()[0]!r}): every row gets "
                                  f"{spec.default!r}")
            if missing:
                if c.required and c.default is None and not (c.name == "status" and derived_status):
                    headers = spec.all_headers()
                    self.fatal.append((self.sheet.source, 1, c.name, None,
                                       f"no column for {c.name}: expected a header such as "
                                       f"{', '.join(repr(h) for h in headers[:5]) or '(none declared)'}",
                                       f"rename the column, or map it in {self._where_to_edit()}"))
                continue
            cols.append(_Col(c.name, label or c.name, raw, kind))
        if self.fatal:
            return None, {}
        by = {c.target: c for c in cols}
        status_rules = []
        for rule in ts.status:
            present = _find(rule.headers, self.index)
            if present:
                status_rules.append((rule, self._r(present[0])))
        where_col = _find(ts.where[0], self.index) if ts.where else []
        where_raw = self._r(where_col[0]) if where_col else None
        amount_raw = by["amount"].raw if "amount" in by else None
        if not self.raw_cols:
            return None, {}
        # a view of the raw text of every header used (trimmed, blanks NULL)
        self.sheet.clean(self.raw_cols)
        self.con.register(f"src_{self.n}", self.sheet.data.append_column("__line", self.sheet.lines))
        l1 = ", ".join(f"{V.q(h)} AS {a}" for h, a in self.raw_cols.items())
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {self.h} AS SELECT __line, {l1} FROM src_{self.n}")
        # parsed once per distinct raw expression (Close Date feeds closed_at and expected_close_date)
        self.num_h: dict[str, int] = {}
        self.date_h: dict[str, int] = {}
        for c in cols:
            if c.raw is not None and c.kind == "number":
                self.num_h.setdefault(c.raw, len(self.num_h))
            elif c.raw is not None and c.kind == "date":
                self.date_h.setdefault(c.raw, len(self.date_h))
        # which rows this table takes (Odoo: only the records of type opportunity)
        self.where = None
        if where_raw:
            keep = [r[0] for r in self.con.execute(f"SELECT DISTINCT {where_raw} FROM {self.h}").fetchall()
                    if V.norm_key(r[0]) in ts.where[1]]
            self.where = (f"{where_raw} IN ({', '.join(V.lit(k) for k in keep)})" if keep else "FALSE")
        decisions = self._infer(cols, specs)
        tick(0.1)
        if self.fatal:
            self.con.execute(f"DROP VIEW {self.h}")
            self.con.unregister(f"src_{self.n}")
            return None, {}
        self._notes_for_defaults(cols, specs)
        for c in cols:
            spec = specs.get(c.target)
            if c.kind == "ref" and c.raw is not None:
                self._ref_lookup(c, spec)
            elif c.kind == "text" and c.raw is not None and spec is not None and \
                    (spec.values or spec.other is not M_NO_OTHER or t.column(c.target).lowercase):
                self._value_lookup(c, spec)
        st = self._stage_lookup(by, status_rules) if ("stage" in by or status_rules) else None
        tick(0.2)
        self.empty_refs = set()
        for c in cols:
            spec = specs.get(c.target)
            if spec is not None and spec.if_empty is not None:
                if c.raw is None:
                    self.empty_refs.add(c.target)
                    self.notes.append(f"no column for {c.target}: every row goes to {spec.if_empty!r}")
                elif self._distinct(f"{c.raw} IS NULL").count((True,)):
                    self.empty_refs.add(c.target)
                    self.notes.append(f"{c.label}: rows without a value go to {spec.if_empty!r}")
        parsed = []
        for raw, i in self.num_h.items():
            c = next(x for x in cols if x.raw == raw and x.kind == "number")
            spec, col = specs.get(c.target), t.column(c.target)
            pct = (spec.percent if spec else None) or ("fraction" if col.type == S.RATE else "reject")
            parsed.append(f"{V.number_value_sql(raw, decisions[c.target], percent=pct)} AS pn{i}")
        for raw, i in self.date_h.items():
            parsed.append(f"{V.date_value_sql(raw, self.date_orders[raw], self.settings.timezone, self.date_fmts[raw])}"
                          f" AS pd{i}")
        inner = f"SELECT *{''.join(', ' + p for p in parsed)} FROM {self.h}"
        if self.where:
            inner += f" WHERE {self.where}"
        out = [f"{self._final(c, specs.get(c.target), t.column(c.target), st, amount_raw)} AS {V.q(c.target)}"
               for c in cols]
        # for the error checks, one boolean per parsed value: its cell held something that could not be read
        # (no raw text copied: the raw text of the few failing cells is read back from the source afterwards);
        # for the stages, the pipeline of the rows whose stage is unknown (NULL on the other rows)
        flags = []
        for raw, i in self.num_h.items():
            c = next(x for x in cols if x.raw == raw and x.kind == "number")
            whole = f" OR pn{i} <> floor(pn{i})" if t.column(c.target).type == S.INT else ""
            flags.append(f"(pn{i} IS NULL AND {raw} IS NOT NULL{whole}) AS {V.q(f'bad:n{i}')}")
        flags += [f"(pd{i} IS NULL AND {raw} IS NOT NULL) AS {V.q(f'bad:d{i}')}" for raw, i in self.date_h.items()]
        if st:
            flags.append(f"CASE WHEN st.unknown = 'true' THEN COALESCE(st.pipeline, '') END AS {V.q('bad:stage')}")
        result = self.con.execute(f"SELECT s.__line, {', '.join(out + flags)} FROM ({inner}) s "
                                  f"{' '.join(self.joins)}").fetch_arrow_table()
        tick(0.85)
        try:
            return self._collect(cols, st, specs, result)
        finally:
            self.con.execute(f"DROP VIEW {self.h}")
            self.con.unregister(f"src_{self.n}")

    # -- inference: decimal marks (one aggregate query), date orders and usual formats (distinct date parts)
    def _infer(self, cols: list[_Col], specs: dict) -> dict[str, str | None]:
        decisions: dict[str, str | None] = {}
        where = f" WHERE {self.where}" if self.where else ""
        nums = [(raw, next(c for c in cols if c.raw == raw and c.kind == "number")) for raw in self.num_h]
        for raw, c in nums:
            ambiguous, comma, dot = self.con.execute(
                f"SELECT {', '.join(V.number_evidence_sql(raw))} FROM {self.h}{where}").fetchone()
            spec = specs.get(c.target)
            forced = spec.decimal if spec else None
            used = [h for h, a in self.raw_cols.items() if re.search(rf"\b{a}\b", raw)]
            if not forced and used and all(h in self.sheet.number_columns for h in used):
                forced = "."  # Excel number cells, written with a decimal point by the reader
            if forced:
                dec = forced
            elif comma > dot:
                dec = ","
            elif dot > comma:
                dec = "."
            else:
                dec = self.lang_decimal or "."
            for x in cols:
                if x.raw == raw and x.kind == "number":
                    decisions[x.target] = dec
            if ambiguous and not forced and comma == dot:
                self.notes.append(f"{c.label}: {ambiguous} value(s) such as 1,234 read with {dec!r} as the "
                                  f"decimal mark")
        self.date_orders: dict[str, str | None] = {}
        self.date_fmts: dict[str, str | None] = {}
        evidence = {}
        for raw in self.date_h:
            evidence[raw] = self.con.execute(f"""
                SELECT count(*), max(TRY_CAST(p.a AS INT)), max(TRY_CAST(p.b AS INT)), min(d) FILTER (WHERE p.a <> ''),
                       min(d) FILTER (WHERE TRY_CAST(p.a AS INT) > 12), min(d) FILTER (WHERE TRY_CAST(p.b AS INT) > 12)
                FROM (SELECT d, regexp_extract(d, '{V.DATE_PREFIX_RE}', ['a', 'b', 'y']) AS p
                      FROM (SELECT DISTINCT left({raw}, 10) AS d FROM {self.h}{where}) WHERE d IS NOT NULL)
                WHERE regexp_matches(d, '{V.DATE_PREFIX_RE}')""").fetchone()
        ambiguous_dates, decided_orders = [], set()
        for c in cols:
            if c.raw is None or c.kind != "date":
                continue
            count, max_a, max_b, example, v_a, v_b = evidence[c.raw]
            spec = specs.get(c.target)
            forced = self.opts.get("date_order") or (spec.date_order if spec else None)
            if forced:
                decisions[c.target] = forced
                continue
            if not count:
                decisions[c.target] = None
                continue
            order = V.decide_order(max_a, max_b)
            if order == "mixed":
                self.fatal.append((self.sheet.source, None, c.label, None, *V.mixed_order_error(
                    self._line_of(c.raw, v_a), v_a, self._line_of(c.raw, v_b), v_b)))
                continue
            if order:
                decisions[c.target] = order
                decided_orders.add(order)
            else:
                ambiguous_dates.append((c, example))
        for c, example in ambiguous_dates:
            if len(decided_orders) == 1:
                decisions[c.target] = next(iter(decided_orders))
                self.notes.append(f"{c.label}: dates such as {example!r} read as "
                                  f"{'day/month' if decisions[c.target] == 'dmy' else 'month/day'}, like the "
                                  f"file's other date columns")
            elif self.lang_date_order:
                decisions[c.target] = self.lang_date_order
                self.notes.append(f"{c.label}: dates such as {example!r} read as "
                                  f"{'day/month' if self.lang_date_order == 'dmy' else 'month/day'}, the order of "
                                  f"{'French' if self.det.language == 'fr' else 'English'} {self.fmt} exports "
                                  f"(no value in the column tells; --date-order to choose)")
            elif not any(f[2] == c.label for f in self.fatal):
                self.fatal.append((self.sheet.source, None, c.label, example,
                                   *V.ambiguous_order_error(self._line_of(c.raw, example), example, "to the column")))
        self.decided_orders = decided_orders  # what the file's dates said (the stage history columns follow it)
        for raw in self.date_h:
            orders = {decisions.get(c.target) for c in cols if c.raw == raw and c.kind == "date"}
            order = next(iter(orders)) if len(orders) == 1 else None
            self.date_orders[raw] = order
            shape = self.con.execute(
                f"SELECT regexp_replace(v, '[0-9]', '9', 'g') AS shape, count(*) FROM "
                f"(SELECT {raw} AS v FROM {self.h} WHERE {raw} IS NOT NULL LIMIT 2000) GROUP BY 1 ORDER BY 2 DESC "
                f"LIMIT 1").fetchone()
            self.date_fmts[raw] = V.fast_date_format(shape[0], order) if shape else None
        return decisions

    def _line_of(self, raw: str, prefix: str | None) -> int | None:
        if prefix is None:
            return None
        return self.con.execute(f"SELECT min(__line) FROM {self.h} WHERE left({raw}, 10) = ?", [prefix]).fetchone()[0]

    def _notes_for_defaults(self, cols: list[_Col], specs: dict) -> None:
        """Defaults used are reported: an amount set to 0 is a choice the user must see."""
        counts = [(c, specs[c.target]) for c in cols
                  if c.target in specs and specs[c.target].default is not None and c.raw is not None]
        if not counts:
            return
        where = f" AND {self.where}" if self.where else ""
        row = self.con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {c.raw} IS NULL{where})"
                                                     for c, _ in counts) + f" FROM {self.h}").fetchone()
        for (c, spec), k in zip(counts, row, strict=True):
            if k:
                self.notes.append(f"{c.label}: {k} empty cell(s) set to {spec.default!r} (the mapping's default)")

    # -- lookups over distinct values
    def _ref_lookup(self, c: _Col, spec: ColumnSpec) -> None:
        col = self.table.column(c.target)
        ref_table = col.references.split(".")[0] if col.references else None
        own_key = self.table.key == (c.target,)
        if ref_table is None and own_key:
            ref_table = self.table.name
        if ref_table is None:
            return
        raws = [r[0] for r in self._distinct(c.raw) if r[0] is not None]
        rows = [(r, self.reg.resolve(ref_table, r, spec.ref, create=spec.create, source=self.sheet.source,
                                     own_key=own_key)) for r in raws]
        self._lookup(f"ref_{self.n}_{c.target}", ["raw"], rows, ["v"], [c.raw], f"x_{c.target}")

    def _value_lookup(self, c: _Col, spec: ColumnSpec) -> None:
        rows = []
        for (raw,) in self._distinct(c.raw):
            if raw is None:
                continue
            k = V.norm_key(raw)
            if k in spec.values:
                v = spec.values[k]
            elif spec.other is not M_NO_OTHER:
                v = spec.other
            else:
                v = raw
            if v is not None and self.table.column(c.target).lowercase:  # lower snake case, as the checker does
                v = re.sub(r"[ \t\n\r\f\v\-]+", "_", v.lower())
            rows.append((raw, v))
        self._lookup(f"val_{self.n}_{c.target}", ["raw"], rows, ["v"], [c.raw], f"x_{c.target}")

    def _stage_lookup(self, by: dict[str, _Col], status_rules) -> dict:
        """Pipeline, canonical stage and status for each distinct (pipeline, stage, status columns) seen."""
        ts = self.ts
        stage_raw = by["stage"].raw if "stage" in by and by["stage"].raw else "NULL"
        pipe_col = by.get("pipeline")
        pipe_raw = pipe_col.raw if pipe_col and pipe_col.raw else "NULL"
        default_pipeline = (ts.columns["pipeline"].default if "pipeline" in ts.columns else None) or "default"
        named = {V.norm_key(a): p.name for p in ts.pipelines if p.name != "*" for a in [p.name, *p.aliases]}
        stages: dict[tuple[str, str], tuple[str, str]] = {}
        for p in ts.pipelines:
            for stg in p.stages:
                for a in [stg.name, *stg.aliases]:
                    stages.setdefault((p.name, V.norm_key(a)), (stg.name, stg.status))
        kw = self.det.mapping.status_keywords if self.det.mapping else {}
        exprs = [pipe_raw, stage_raw] + [r for _, r in status_rules]
        rows = []
        for combo in self._distinct(*exprs):
            praw, sraw, rule_vals = combo[0], combo[1], combo[2:]
            pipeline = named.get(V.norm_key(praw), praw) if praw is not None else default_pipeline
            skey = V.norm_key(sraw) if sraw is not None else None
            hit = stages.get((pipeline, skey)) or stages.get(("*", skey)) if skey is not None else None
            status = None
            for (rule, _), v in zip(status_rules, rule_vals, strict=True):
                if v is None:
                    continue
                status = rule.values.get(V.norm_key(v)) or rule.filled
                if status:
                    break
            status = status or (hit[1] if hit else None)
            if status is None and skey:
                for st_name in ("won", "lost"):
                    if skey in (kw.get(st_name) or []):  # the whole name: "Not won" is no win
                        status = st_name
                        break
            stage = hit[0] if hit else sraw
            unknown = "true" if (sraw is not None and status is None) else "false"
            rows.append((*combo, pipeline, stage, status, unknown))
        self._lookup(f"stg_{self.n}", [f"e{i}" for i in range(len(exprs))], rows,
                     ["pipeline", "stage", "status", "unknown"], exprs, "st")
        return {"stage_raw": stage_raw, "pipe_raw": pipe_raw, "pipelines": {r[len(exprs)] for r in rows}}

    # -- values
    def _final(self, c: _Col, spec: ColumnSpec | None, col: S.Column, st: dict | None,
               amount_raw: str | None) -> str:
        """The SQL of one canonical column, typed (text, DECIMAL, TIMESTAMP or DATE)."""
        if c.target == "status" and st:
            v = "st.status"
        elif c.target == "stage" and st:
            v = "st.stage"
        elif c.target == "pipeline" and st:
            v = "st.pipeline"
        elif c.target == "currency" and c.kind == "derived":
            # the sign is decided per column: "$" seen in a column applies to its unsigned cells
            # ("1,000", "(1 234)") as long as the column shows one currency only (one aggregate query here, not
            # a window over the whole result: measured 0.15 s less at 1M rows)
            v = "NULL"
            if amount_raw:
                cell = V.currency_sql(amount_raw)
                where = f" WHERE {self.where}" if self.where else ""
                low, high = self.con.execute(f"SELECT min({cell}), max({cell}) FROM {self.h}{where}").fetchone()
                if low is not None:  # no sign anywhere in the column: NULL, the workspace currency
                    v = f"CASE WHEN {amount_raw} IS NULL THEN NULL ELSE {V.lit(low) if low == high else cell} END"
        elif c.kind == "number" and c.raw is not None:
            v = f"pn{self.num_h[c.raw]}"
        elif c.kind == "date" and c.raw is not None:
            v = f"pd{self.date_h[c.raw]}"
            if col.type == S.DATE:
                v = f"CAST({v} AS DATE)"
        elif c.kind in ("ref", "text") and c.raw is not None and any(f" x_{c.target} " in j for j in self.joins):
            v = f"x_{c.target}.v"
        elif c.raw is not None:
            v = c.raw
        else:
            v = "NULL"
        if spec is not None and spec.default is not None:
            default = V.lit(spec.default)
            if col.type in (S.MONEY, S.RATE, S.INT):
                default = f"CAST({default} AS DECIMAL(18, 6))"
            elif col.type == S.DATE:
                default = f"CAST({default} AS DATE)"
            elif col.type == S.DATETIME:
                default = f"CAST({default} AS TIMESTAMP)"
            v = f"(CASE WHEN {c.raw or 'NULL'} IS NULL THEN {default} ELSE {v} END)"
        if spec is not None and spec.if_empty is not None:
            table = (col.references or f"{self.table.name}.").split(".")[0]
            if table in NAMED and c.target in self.empty_refs:
                self.reg.ensure(table, spec.if_empty, spec.if_empty.capitalize(), self.sheet.source)
            v = f"COALESCE({v}, {V.lit(spec.if_empty)})"
        if spec is not None and spec.when and st:
            cond = {"closed": "IN ('won', 'lost')", "open": "= 'open'", "won": "= 'won'", "lost": "= 'lost'"}[spec.when]
            v = f"(CASE WHEN st.status {cond} THEN {v} END)"
        return f"CAST({v} AS {SQL_TYPES[col.type]})"  # the canonical storage type: the checker reads it as is

    # -- results
    def _collect(self, cols: list[_Col], st: dict | None, specs: dict,
                 result: pa.Table) -> tuple[RawTable | None, dict]:
        o = f"o_{self.n}"
        self.con.register(o, result)
        errs = []

        def raw_of(raw: str, cond: str) -> str:  # the raw text of the rows of o matching cond
            return (f"SELECT h.__line, {raw} AS value FROM {self.h} h "
                    f"WHERE h.__line IN (SELECT __line FROM {o} WHERE {cond})")

        for k, helpers in (("n", self.num_h), ("d", self.date_h)):
            for raw, i in helpers.items():
                c = next(x for x in cols if x.raw == raw and x.kind == ("number" if k == "n" else "date"))
                col = self.table.column(c.target)
                bad = V.q(f"bad:{k}{i}")
                if k == "n":
                    pct = (specs[c.target].percent or ("fraction" if col.type == S.RATE else "reject"))
                    reason = ("CASE WHEN contains(value, '%') THEN 'a percentage where an amount is expected' "
                              "ELSE 'not a number' END" if pct == "reject" else "'not a number'")
                    if col.type == S.INT:
                        reason = (f"CASE WHEN TRY_CAST(value AS DOUBLE) IS NULL THEN {reason} "
                                  f"ELSE 'not a whole number' END")
                    hint = TEXT_HINT["number"]
                else:
                    reason, hint = "'not a date'", TEXT_HINT["date"]
                if not self.con.execute(f"SELECT 1 FROM {o} WHERE {bad} LIMIT 1").fetchall():
                    continue
                errs.append(f"SELECT __line AS line, {V.lit(c.label)} AS col, {V.lit(c.target)} AS canon, "
                            f"value, {reason} AS reason, {V.lit(hint)} AS hint FROM ({raw_of(raw, bad)})")
        bad_stage = f"{V.q('bad:stage')} IS NOT NULL"
        if st and self.con.execute(f"SELECT 1 FROM {o} WHERE {bad_stage} LIMIT 1").fetchall():
            stage_label = next((c.label for c in cols if c.target == "stage"), "stage")
            known = self._known_stages()
            hint = (f"add it under stages: in {self._where_to_edit()}"
                    + (f"; known stages: {', '.join(known[:12])}" if known else ""))
            errs.append(f"SELECT r.__line, {V.lit(stage_label)}, 'status', r.value, "
                        f"'stage not in the {self.fmt} mapping' || CASE WHEN {V.q('bad:stage')} NOT IN ('', 'default') "
                        f"THEN ' (pipeline ' || {V.q('bad:stage')} || ')' ELSE '' END "
                        f"|| ': cannot tell whether the deal is open, won or lost', {V.lit(hint)} "
                        f"FROM ({raw_of(st['stage_raw'], bad_stage)}) r JOIN {o} USING (__line)")
        for line, header, value, reason, hint in self.sheet.cell_errors:
            target = next((c for c in cols if c.label == header), None)
            if target is not None:
                errs.append(f"SELECT {int(line)}, {V.lit(header)}, {V.lit(target.target)}, "
                            f"{V.lit(value) if value else 'NULL'}, {V.lit(reason)}, {V.lit(hint)}")
        errors = (self.con.execute(" UNION ALL ".join(errs)).fetch_arrow_table() if errs else None)
        if errors is not None and errors.num_rows:
            # a value that could not be parsed lands as NULL: its row is rejected, the value is not guessed
            errors = errors.rename_columns(["line", "col", "canon", "value", "reason", "hint"])
            errors = errors.cast(pa.schema([("line", pa.int64()), ("col", pa.string()), ("canon", pa.string()),
                                            ("value", pa.string()), ("reason", pa.string()), ("hint", pa.string())]))
        names = [c.target for c in cols]
        data = result.select(names)
        lines = result.column("__line").combine_chunks()
        # identical rows repeated (an export listing a deal once per association): kept once
        key = [k for k in self.table.key if k in names]
        keys_unique = False
        if key and len(key) == len(self.table.key):
            keys = ", ".join(V.q(k) for k in key)
            dup = self.con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {o} GROUP BY {keys} "
                                   f"HAVING count(*) > 1)").fetchone()[0]
            keys_unique = not dup
            if dup:
                all_cols = ", ".join(V.q(n) for n in names)
                drop = {r[0] for r in self.con.execute(
                    f"SELECT __line FROM (SELECT __line, row_number() OVER (PARTITION BY {all_cols} ORDER BY __line) "
                    f"AS rn FROM {o} WHERE ({keys}) IN (SELECT ({keys}) FROM {o} GROUP BY {keys} "
                    f"HAVING count(*) > 1)) WHERE rn > 1").fetchall()}
                if drop:
                    mask = pa.array([ln not in drop for ln in lines.to_pylist()])
                    data, lines = data.filter(mask), lines.filter(mask)
                    self.notes.append(f"{len(drop)} row(s) identical to an earlier row ignored")
        pipelines = {}
        if st and self.ts.pipelines:
            for p in sorted(x for x in st["pipelines"] if x is not None):  # of the combinations seen in the rows
                pipelines[p] = next((x for x in self.ts.pipelines if x.name == p), None) or \
                    next((x for x in self.ts.pipelines if x.name == "*"), None)
        self.con.unregister(o)
        labels = {c.target: c.label for c in cols}
        raw = RawTable(self.ts.table, self.sheet.source, data, lines, labels=labels, pre_errors=errors,
                       observe_stages=self.ts.table == "opportunities" and self.det.mapping is not None, clean=True,
                       keys_unique=keys_unique)
        self.reg.add_rows(self.ts.table, data)
        return raw, pipelines

    def _where_to_edit(self) -> str:
        return self.det.mapping.where_to_edit() if self.det.mapping else "a mapping file (--mapping, docs/import.md)"

    def _known_stages(self) -> list[str]:
        return [s.name for p in self.ts.pipelines for s in p.stages]


def _stages_table(pipelines: dict[str, PipelineSpec]) -> RawTable | None:
    rows = []
    for pname, spec in sorted(pipelines.items()):
        if spec is None:
            continue
        pos = spec.positions()
        for st in spec.stages:
            if st.name in pos:
                rows.append((pname, st.name, str(pos[st.name]),
                             None if st.probability is None else repr(st.probability)))
    if not rows:
        return None
    data = pa.table({"pipeline": [r[0] for r in rows], "stage": [r[1] for r in rows],
                     "position": [r[2] for r in rows], "default_probability": [r[3] for r in rows]})
    return RawTable("stages", "stages of the mapping", data, pa.array(range(1, len(rows) + 1), pa.int64()))


def _bad_rows_table(sheet: Sheet) -> pa.Table | None:
    if not sheet.bad_rows:
        return None
    return pa.table({
        "line": pa.array([b[0] for b in sheet.bad_rows], pa.int64()),
        "col": pa.array([None] * len(sheet.bad_rows), pa.string()),
        "canon": pa.array([None] * len(sheet.bad_rows), pa.string()),
        "value": pa.array([None] * len(sheet.bad_rows), pa.string()),
        "reason": pa.array([b[1] for b in sheet.bad_rows], pa.string()),
        "hint": pa.array(["a value holding the delimiter must be in double quotes"] * len(sheet.bad_rows),
                         pa.string()),
    })


def plan(sheets: list[Sheet], mappings: list[Mapping], db: Database | None, settings: Settings, *,
         date_order: str | None = None, allow_canonical: bool = True, progress=None) -> Plan:
    """Detect and transform every sheet; return the raw tables to import (or the fatal errors)."""
    tick = progress or (lambda step, done, total: None)
    out = Plan()
    detected = []
    workbooks: dict[str, list[bool]] = {}
    for sheet in sheets:
        book = sheet.source.rsplit(" [", 1)[0] if sheet.kind == "xlsx" else None
        try:
            detected.append(detect(sheet, mappings, allow_canonical=allow_canonical))
            if book:
                workbooks.setdefault(book, []).append(True)
        except ImportRejected as exc:
            if sheet.kind == "json" and sheet.sobject:  # a custom object of a tree export: not sales data
                out.files.append({"source": sheet.source, "format": "salesforce", "entity": sheet.sobject,
                                  "language": "en", "rows": sheet.num_rows,
                                  "notes": [f"not imported: no mapping for {sheet.sobject} records"]})
                continue
            if book:  # a notes or pivot sheet next to the data sheets: left out, unless no sheet is data
                workbooks.setdefault(book, []).append(False)
                out.files.append({"source": sheet.source, "format": "-", "entity": "-", "language": "en",
                                  "rows": sheet.num_rows, "notes": ["not imported: its headers fit no mapping"],
                                  "errors": [(f, ln, c, None, r, "") for f, ln, c, r in exc.errors]})
                continue
            out.fatal += [(f, ln, c, None, r, "") for f, ln, c, r in exc.errors]
    for info in list(out.files):
        book = info["source"].rsplit(" [", 1)[0]
        if info.get("errors") and not any(workbooks.get(book, [])):
            out.fatal += info["errors"]  # no sheet of that workbook was recognised: say why for each
        info.pop("errors", None)
    if out.fatal:
        return out
    con = duckdb.connect()
    con.execute(f"SET TimeZone = {V.lit(settings.timezone)}")
    con.execute("SET enable_progress_bar = false")
    registry = Registry(db)
    order = {t.name: i for i, t in enumerate(S.TABLES)}
    work = []
    for det in detected:
        info = {"source": det.sheet.source, "format": det.mapping.format if det.mapping else CANONICAL,
                "entity": det.entity.name if det.entity else det.table, "language": det.language,
                "rows": det.sheet.num_rows + len(det.sheet.bad_rows), "notes": list(det.sheet.notes)}
        out.files.append(info)
        if det.entity is not None and det.entity.skip:
            info["notes"].append(f"not imported: {det.entity.skip}")
            continue
        if det.mapping is None:
            work.append((order[det.table], det, None, info))
            continue
        for ts in det.entity.tables:
            work.append((order[ts.table], det, ts, info))
    work.sort(key=lambda w: w[0])
    pipelines: dict[str, PipelineSpec] = {}
    bad_rows_given: set[int] = set()
    weights = [max(1, det.sheet.num_rows) for _, det, _, _ in work]  # progress in rows
    for n, (_, det, ts, info) in enumerate(work):
        tick(f"mapping {det.sheet.source}", sum(weights[:n]), sum(weights))
        bad = None if id(det.sheet) in bad_rows_given else _bad_rows_table(det.sheet)
        bad_rows_given.add(id(det.sheet))
        if ts is None:  # a canonical table file
            raw = RawTable(det.table, det.sheet.source, det.sheet.data, det.sheet.lines, pre_errors=bad)
            registry.add_rows(det.table, det.sheet.data)
            out.raws.append(raw)
            continue
        tr = _Transform(con, det, ts, settings, registry, {"date_order": date_order}, n)
        raw, pipes = tr.build(lambda f, n=n, det=det: tick(f"mapping {det.sheet.source}",
                                                           sum(weights[:n]) + f * weights[n], sum(weights)))
        info["notes"] += tr.notes
        out.fatal += tr.fatal
        if raw is None:
            continue
        if bad is not None:
            raw.pre_errors = bad if raw.pre_errors is None else pa.concat_tables(
                [raw.pre_errors, bad.cast(raw.pre_errors.schema)])
        raw.unread_rows = len(det.sheet.bad_rows) if bad is not None else 0
        out.raws.append(raw)
        history.attach(out, con, det, ts, raw, info, settings, date_order, n,  # stage history columns, if any
                       file_orders=tr.decided_orders)
        for p, spec in pipes.items():
            pipelines.setdefault(p, spec)
    if out.fatal:
        return out
    stages = _stages_table(pipelines)
    if stages is not None and not any(r.table == "stages" for r in out.raws):
        out.raws.append(stages)
    out.raws += registry.created_tables()
    out.created = registry.created_names()
    out.registry = registry
    return out
