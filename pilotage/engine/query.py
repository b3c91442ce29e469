"""The KPI engine: compiles catalogue declarations over a cut to SQL through Ibis.

It knows no KPI by name: it reads each KPI's kind (simple, ratio, share,
growth, product), builds one grouped aggregate query per measure on the
measure's fact, and assembles the small aggregated results with pandas
(ratios of summed numerators and denominators, Wilson intervals, growth,
empty periods). No record is looked at row by row in Python.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass

import ibis
import ibis.expr.operations as ibis_ops
import numpy as np
import pandas as pd

from pilotage import budgets
from pilotage.catalogue import facts as F
from pilotage.catalogue.kpis import BY_ID
from pilotage.catalogue.model import Growth, Kpi, Measure, Product, Ratio, Share, Simple
from pilotage.engine import periods as P
from pilotage.engine import rollup
from pilotage.errors import InvalidCut, UnknownKpi
from pilotage.settings import Settings
from pilotage.store import schema as S
from pilotage.store.database import Database

Z95 = 1.959963984540054
SMALL_SAMPLE = 30
DIMENSIONS = ("rep", "team", "source", "campaign", "segment", "region", "industry",
              "product", "pipeline", "stage", "kind")


# --------------------------------------------------------------------------- the cut
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2200, 1, 1)
MAX_PERIODS = 5000


def _date(v, what: str) -> dt.date:
    if isinstance(v, dt.datetime):
        v = v.date()
    if isinstance(v, dt.date):
        v = v.isoformat()
    try:
        d = dt.date.fromisoformat(str(v).strip())
    except ValueError:
        raise InvalidCut(f"{what}: {v!r} is not a date (expected YYYY-MM-DD)") from None
    if not MIN_DATE <= d <= MAX_DATE:
        raise InvalidCut(f"{what}: {d} is outside the dates Pilotage handles ({MIN_DATE} to {MAX_DATE})")
    return d


def default_range(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The last 12 months, the current one included."""
    today = today or dt.date.today()
    end = P.add_months(today.replace(day=1), 1)
    return P.add_months(end, -12), end


def resolve_range(start: dt.date | None, end: dt.date | None,
                  today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """Fill a missing bound: no bound = the last 12 months; a start alone runs to the end of
    the current month; an end alone goes 12 months back."""
    d_start, d_end = default_range(today)
    if start is None and end is None:
        return d_start, d_end
    if start is None:
        return P.add_months(end, -12), end
    if end is None:
        return start, max(d_end, start + dt.timedelta(days=1))
    return start, end


@dataclass(frozen=True)
class Cut:
    ids: tuple[str, ...]
    grain: str | None
    by: tuple[str, ...]
    start: dt.date
    end: dt.date
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @classmethod
    def make(cls, ids, *, grain=None, by=None, start=None, end=None, filters=None,
             settings: Settings | None = None) -> Cut:
        ids = budgets.ids(ids)  # repeats dropped, a bounded count
        if not ids:
            raise UnknownKpi("no KPI given: see `pilotage kpis` for the catalogue")
        for i in ids:
            if i not in BY_ID:
                close = [k for k in BY_ID if i.lower() in k or k in i.lower()][:3]
                hint = f" (did you mean {', '.join(close)}?)" if close else ""
                raise UnknownKpi(f"unknown KPI {i!r}{hint}: see `pilotage kpis` for the catalogue")
        if grain is not None and grain not in P.GRAINS:
            raise InvalidCut(f"unknown grain {grain!r}: expected one of {', '.join(P.GRAINS)}")
        by = tuple([by] if isinstance(by, str) else (by or ()))
        by = tuple(dict.fromkeys(b.strip() for part in by for b in part.split(",") if b.strip()))
        budgets.by(by)
        start = _date(start, "start") if start is not None else None
        end = _date(end, "end") if end is not None else None
        start, end = resolve_range(start, end)
        if end <= start:
            raise InvalidCut(f"the range is empty: end {end} is not after start {start}")
        if grain is not None:
            n = budgets.count_periods(start, end, grain)  # arithmetic first: listing 100,000 days takes seconds
            if n <= MAX_PERIODS + 2:
                n = len(P.periods(start, end, grain, settings.fiscal_year_start if settings else 1))
            if n > MAX_PERIODS:
                raise InvalidCut(f"{n} {grain} periods between {start} and {end}: at most {MAX_PERIODS}; "
                                 "choose a coarser grain or a shorter range")
        norm_filters = []
        for dim, vals in (filters or {}).items():
            vals = (vals,) if isinstance(vals, str) else tuple(vals)
            norm_filters.append((dim, budgets.filter_values(str(dim), tuple(str(v) for v in vals))))
        for i in ids:
            allowed = dimensions_of(BY_ID[i])
            for d in by + tuple(d for d, _ in norm_filters):
                if d not in DIMENSIONS:
                    raise InvalidCut(f"unknown dimension {d!r}: expected one of {', '.join(DIMENSIONS)}")
                if d not in allowed:
                    raise InvalidCut(
                        f"{i} cannot be cut by {d}: its records carry "
                        f"{', '.join(allowed) if allowed else 'no dimension (period only)'}")
        return cls(ids, grain, by, start, end, tuple(norm_filters))

    @property
    def keys(self) -> list[str]:
        return (["period"] if self.grain else []) + list(self.by)


def measures_of(kpi: Kpi) -> list[Measure]:
    k = kpi.kind
    if isinstance(k, Simple):
        return [k.measure, *k.extras.values()]
    if isinstance(k, Ratio):
        def as_tuple(m):
            return m if isinstance(m, tuple) else (m,)
        return [*as_tuple(k.numerator), *as_tuple(k.denominator), *k.extras.values()]
    if isinstance(k, Share):
        return [k.measure]
    if isinstance(k, Growth):
        return measures_of(BY_ID[k.base])
    return [m for f in k.factors for m in measures_of(BY_ID[f])]


def dimensions_of(kpi: Kpi) -> tuple[str, ...]:
    """The dimensions every fact behind the KPI carries."""
    sets = [set(F.FACTS[m.fact].dims) for m in measures_of(kpi)]
    common = set.intersection(*sets) if sets else set()
    return tuple(d for d in DIMENSIONS if d in common)


# --------------------------------------------------------------------------- context
class Context:
    """What facts are built from: tables, settings, the period table of the cut."""

    def __init__(self, db: Database, settings: Settings, cut: Cut, period_rows=None):
        self.db, self.settings, self.cut = db, settings, cut
        # period_rows: (label, start, end) of each period; given, several ranges at once (see ``keep``)
        self.period_rows = period_rows or P.periods(cut.start, cut.end, cut.grain, settings.fiscal_year_start,
                                                    settings.week_start)
        self.periods = ibis.memtable(pd.DataFrame({
            "period": pd.to_datetime([p[0] for p in self.period_rows]),
            "p_start": pd.to_datetime([p[1] for p in self.period_rows]),
            "p_end": pd.to_datetime([p[2] for p in self.period_rows]),
        }))
        self._facts: dict[str, ibis.Table] = {}
        self.measures: dict[tuple, pd.DataFrame | None] = {}  # (measure, dimensions set aside) -> frame
        shared = _SHARED.setdefault(db, {"rows": {}, "facts": {}, "version": None})
        self._rows: dict[str, bool] = shared["rows"]
        self._materialized: dict[str, ibis.Table] = shared["facts"]
        self._fact_warnings: dict[str, list[str]] = shared.setdefault("fact_warnings", {})
        self._tables: dict[str, ibis.Table] = shared.setdefault("tables", {})
        kept = _kept(db, shared.get("version"))
        self.rollups: list = kept["rollups"]  # rollup.Frame, kept for later cuts
        # (measure, drop, start, end, filters) -> (one-row frame, warnings): a periodic measure over a
        # whole range, computed beforehand with other ranges in one query (``keep``)
        self.ranges: dict = kept["ranges"]
        self._shared = shared
        self.warnings: list[str] = []

    def rep_teams(self) -> dict:
        """rep_id -> team_id of the reps table, learned once per state of the data."""
        if "rep_teams" not in self._shared:
            r = self.db.q("reps")
            self._shared["rep_teams"] = dict(self.db.fetchall(f"SELECT rep_id, team_id FROM {r}"))
        return self._shared["rep_teams"]

    def rep_count(self) -> int:
        """Rows of ``reps`` (bounds the size of a grouping by rep)."""
        return len(self.rep_teams())

    def t(self, name: str) -> ibis.Table:
        if name not in self._tables:  # Ibis reads the table's schema from the database each time
            self._tables[name] = self.db.table(name)
        return self._tables[name]

    def has_rows(self, name: str) -> bool:
        if name not in self._rows:
            self._rows[name] = self.db.has_rows(name)
        return self._rows[name]

    def available(self, requires) -> bool:
        for r in requires:
            alts = r if isinstance(r, tuple) else (r,)
            if not any(self.has_rows(a) for a in alts):
                return False
        return True

    def fact(self, name: str, needs: frozenset[str] | None = None) -> ibis.Table:
        """The fact's table expression, read from the base tables by each query that uses it
        (DuckDB joins and filters the base tables faster than it writes and reads back a
        temporary copy, and holds no copy in memory). A fact declared ``materialize`` (few rows
        from much work) is computed once per state of the database into a temporary table
        (dropped on the next write). ``needs``: the columns the query reads; a ``prunable`` fact
        then leaves out the lookups that provide none of them."""
        f = F.FACTS[name]
        if needs is not None and f.prunable:
            key = (name, needs)
            if key not in self._facts:
                self._facts[key] = f.build(self, needs=needs)
            return self._facts[key]
        if name in self._facts:
            return self._facts[name]
        if f.periodic or not f.materialize:
            self._facts[name] = f.build(self)
        else:
            if name not in self._materialized:
                before = len(self.warnings)
                self._materialized[name] = self.db.materialize(f"pilotage_fact_{name}", f.build(self))
                self._fact_warnings[name] = self.warnings[before:]
            else:
                self.warnings.extend(self._fact_warnings.get(name, []))
            self._facts[name] = self._materialized[name]
        return self._facts[name]

    def needs(self, fact: str, ms, keys, drop: tuple[str, ...]) -> frozenset[str] | None:
        """The columns of ``fact`` a query of measures ``ms`` per ``keys`` reads (None: not prunable)."""
        if not F.FACTS[fact].prunable:
            return None
        cols = {k for k in keys if k != "period"} | {d for d, _ in self.cut.filters if d not in drop}
        for m in ms:
            cols |= {c for c in (m.anchor, m.column) if c is not None}
            if m.where is not None:
                if (fact, m.where) not in _WHERE_COLUMNS:  # the same for any data: learned once per process
                    full = self.fact(fact)
                    _WHERE_COLUMNS[(fact, m.where)] = frozenset(
                        op.name for op in m.where(full).op().find(ibis_ops.Field) if op.rel == full.op())
                cols |= _WHERE_COLUMNS[(fact, m.where)]
        return frozenset(cols)

    def achieved(self, quotas: ibis.Table) -> ibis.Table:
        """Per quota: the value of its metric's KPI for the rep over the quota's own period."""
        metrics = [r[0] for r in quotas.select("metric").distinct().execute().itertuples(index=False)]
        parts = []
        for metric in metrics:
            kpi = BY_ID.get(metric)
            if kpi is None or not isinstance(kpi.kind, Simple) or kpi.kind.measure.anchor is None:
                self.warnings.append(f"quotas on {metric!r} are not measured (not a count or sum KPI)")
                continue
            m = kpi.kind.measure
            if not self.available(F.FACTS[m.fact].requires + m.requires):
                continue
            f = self.fact(m.fact, self.needs(m.fact, [m], ["rep"], ()))
            if m.where is not None:
                f = f.filter(m.where(f))
            q = quotas.filter(quotas.metric == metric)
            q = q.select(a_quota=q.quota_id, a_rep=q.rep_id, a_start=q.period_start.cast("timestamp"),
                         a_end=q.period_end.cast("timestamp"))
            j = f.join(q, [f.rep == q.a_rep, f[m.anchor] >= q.a_start, f[m.anchor] < q.a_end])
            value = j.count().cast("float64") if m.agg == "count" else j[m.column].sum().cast("float64")
            parts.append(j.group_by("a_quota").aggregate(achieved=value))
        if not parts:
            return ibis.memtable(pd.DataFrame({"a_quota": pd.Series([], dtype="str"),
                                               "achieved": pd.Series([], dtype="float64")}))
        out = parts[0]
        for p in parts[1:]:
            out = out.union(p)
        return out


_WHERE_COLUMNS: dict[tuple, frozenset[str]] = {}  # (fact, a measure's condition) -> the columns it reads

# per open database (weakly: a closed one's entry goes with it, never inherited by a new object at the
# same address): which tables have rows, materialised facts, kept groupings
_SHARED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# What the engine keeps in pandas per data version (rollup frames, whole-range periodic measures): by
# database, shared by a server's readers with the workspace's own database (``share_kept``), the current
# version and the one before (a reader may still hold the previous snapshot during an import).
_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # db -> {version: {"rollups", "ranges"}}


def share_kept(reader: Database, owner: Database) -> None:
    """``reader`` (a server's reading connection) shares what is kept per data version with ``owner``."""
    _KEPT[reader] = _KEPT.setdefault(owner, {})


def _kept(db: Database, version) -> dict:
    by_version = _KEPT.setdefault(db, {})
    store = by_version.get(version)
    if store is None:
        store = by_version.setdefault(version, {"rollups": [], "ranges": {}})
        for old in sorted((v for v in by_version.copy() if v is not None), reverse=True)[2:]:
            by_version.pop(old, None)
    return store


def kept(db: Database) -> dict:
    """What is kept for the data version ``db`` last saw: ``rollups`` (frames) and ``ranges``."""
    return _kept(db, _SHARED.get(db, {}).get("version"))


def data_version(db: Database) -> int:
    rows = db.fetchall(f"SELECT value FROM {db.q('pilotage_meta')} WHERE key = 'data_version'")
    return int(rows[0][0]) if rows else 0


def bump_data_version(db: Database) -> None:
    meta = db.q("pilotage_meta")
    with db.transaction():
        if db.fetchall(f"SELECT 1 FROM {meta} WHERE key = 'data_version'"):
            db.execute(f"UPDATE {meta} SET value = CAST(CAST(value AS INTEGER) + 1 AS VARCHAR) "
                       "WHERE key = 'data_version'")
        else:
            db.execute(f"INSERT INTO {meta} VALUES ('data_version', '1')")


def _sync(db: Database) -> None:
    """Drop what was learned of the data when another process (or this one) changed it."""
    version = data_version(db)
    shared = _SHARED.get(db)
    if shared is not None and shared.get("version") != version:
        forget_row_counts(db)
    _SHARED.setdefault(db, {"rows": {}, "facts": {}})["version"] = version


def forget_row_counts(db: Database, kept: bool = True) -> None:
    """After a write: forget what was learned of the data (row presence, materialised facts) and, unless
    ``kept`` is False (a server's reader seeing a new version: what is kept is per version already), what
    was kept per data version, for every reader sharing it."""
    if kept and db in _KEPT:
        _KEPT[db].clear()
    shared = _SHARED.pop(db, None)
    for name in (shared or {}).get("facts", {}):
        try:
            db.execute(f'DROP TABLE IF EXISTS "pilotage_fact_{name}"')
        except Exception:  # noqa: BLE001 - a temp table that is already gone
            pass


# --------------------------------------------------------------------------- measures
def _filtered(ctx: Context, m: Measure, drop: tuple[str, ...] = (),
              needs: frozenset[str] | None = None) -> ibis.Table:
    """The measure's rows in the cut (its filters but those on ``drop``), with their ``period`` when
    the cut has a grain; ``needs``: the fact's columns read (None: all)."""
    t = ctx.fact(m.fact, needs)
    if m.where is not None:
        t = t.filter(m.where(t))
    for dim, vals in ctx.cut.filters:
        if dim not in drop:
            t = t.filter(t[dim].cast("string").isin(list(vals)))
    if m.anchor is not None:
        a = t[m.anchor].cast("timestamp")
        t = t.filter(a >= ibis.timestamp(ctx.cut.start.isoformat()), a < ibis.timestamp(ctx.cut.end.isoformat()))
        if ctx.cut.grain:
            t = t.mutate(period=P.bucket(a, ctx.cut.grain, ctx.settings.fiscal_year_start,
                                         ctx.settings.week_start))
    return t


def measure_frame(ctx: Context, m: Measure, drop: tuple[str, ...] = ()) -> pd.DataFrame | None:
    """The measure aggregated per cut key (None when its tables hold no rows: not available)."""
    key = (m, drop)
    if key not in ctx.measures:
        prefetch(ctx, [key])
    return ctx.measures[key]


def prefetch(ctx: Context, wanted: list[tuple[Measure, tuple[str, ...]]], rolled_only: bool = False,
             finer: bool = True) -> None:
    """Compute measures, one query per (fact, anchor, dimensions set aside): the measures of
    one fact share its scan, each with its own condition (``agg(..., where=...)``). Counts and
    sums are answered from a finer aggregate kept for later cuts when possible (``rollup``)."""
    groups: dict[tuple, list[Measure]] = {}
    whole = not ctx.cut.grain and not ctx.cut.by
    for m, drop in wanted:
        if (m, drop) in ctx.measures:
            continue
        kept = ctx.ranges.get((m, drop, ctx.cut.start, ctx.cut.end, ctx.cut.filters)) if whole else None
        if kept is not None:
            ctx.measures[(m, drop)], said = kept
            ctx.warnings.extend(said)
        elif not ctx.available(F.FACTS[m.fact].requires + m.requires):
            ctx.measures[(m, drop)] = None
        elif m.agg == "count_groups":
            ctx.measures[(m, drop)] = _count_groups(ctx, m, drop)
        else:
            group = groups.setdefault((m.fact, m.anchor, drop), [])
            if m not in group:
                group.append(m)
    for (fact, anchor, drop), ms in groups.items():
        keys = [k for k in ctx.cut.keys if k not in drop]
        rolled = [m for m in ms if rollup.rollable(m)]
        if rolled:
            def compute(dims, some, limit, fact=fact, anchor=anchor, drop=drop):
                # every filter is on a dimension of the kept frame: applied in pandas when answering, never in
                # the query (the team, looked up from the rep, may not be among the dimensions queried)
                aside = tuple(dict.fromkeys([*drop, *dims, *(d for d, _ in ctx.cut.filters)]))
                return _aggregate(ctx, fact, anchor, aside, some, (["period"] if ctx.cut.grain else []) + list(dims),
                                  limit=limit)
            if rollup.serve(ctx, fact, anchor, drop, rolled, compute, finer):
                ms = [m for m in ms if m not in rolled]
        if not ms or rolled_only:
            continue
        df = _aggregate(ctx, fact, anchor, drop, ms, keys)
        for i, m in enumerate(ms):
            ctx.warnings.extend(_flagged(df, i))
            ctx.measures[(m, drop)] = df[[*keys, f"v{i}"]].rename(columns={f"v{i}": "value"})


def _aggregate(ctx: Context, fact: str, anchor: str | None, drop: tuple[str, ...], ms: list[Measure],
               keys: list[str], limit: int | None = None) -> pd.DataFrame:
    """One query: measure ``i`` of ``ms`` as column ``v{i}`` per ``keys`` (and ``f{i}_{flag}``, the
    rows a warning flag marks in a sum), over the cut but its filters on ``drop``."""
    t = _filtered(ctx, Measure(fact, anchor=anchor), drop, ctx.needs(fact, ms, keys, drop))
    aggs = {}
    for i, m in enumerate(ms):
        pred = m.where(t) if m.where is not None else None
        if m.agg == "count":
            aggs[f"v{i}"] = t.count(where=pred)
        elif m.agg == "sum":
            aggs[f"v{i}"] = t[m.column].sum(where=pred).cast("float64")
        elif m.agg == "count_distinct":
            aggs[f"v{i}"] = t[m.column].nunique(where=pred)
        elif m.agg == "median":  # the condition on the value: Spark's percentile takes no filter
            col = t[m.column].cast("float64")
            aggs[f"v{i}"] = (col if pred is None else ibis.cases((pred, col), else_=ibis.null("float64"))).median()
        else:
            raise ValueError(m.agg)
        for (flag, col), _msg in F.WARNING_FLAGS.items():
            if m.agg == "sum" and flag in t.columns and col in (None, m.column):
                hit = t[flag] if pred is None else (t[flag] & pred)
                aggs[f"f{i}_{flag}"] = ibis.cases((hit, 1), else_=0).sum()
    expr = t.group_by(keys).aggregate(**aggs) if keys else t.aggregate(**aggs)
    if limit is not None:
        expr = expr.limit(limit)
    return _execute(expr, keys, values=list(aggs))


def _flagged(df: pd.DataFrame, i: int) -> list[str]:
    """The warnings for the rows a flag marks in measure ``i`` of an ``_aggregate`` result."""
    out = []
    for (flag, _col), msg in F.WARNING_FLAGS.items():
        n = int(df[f"f{i}_{flag}"].fillna(0).sum()) if f"f{i}_{flag}" in df.columns else 0
        if n:
            out.append(msg.format(n=n))
    return out


def _count_groups(ctx: Context, m: Measure, drop: tuple[str, ...]) -> pd.DataFrame:
    """Groups of ``m.per`` whose rows satisfy ``m.having`` (e.g. reps at quota), per cut key."""
    t = _filtered(ctx, m, drop)
    keys = [k for k in ctx.cut.keys if k not in drop]
    inner = t.group_by(list(dict.fromkeys([*keys, m.per]))).aggregate(ok=m.having(t))  # by rep: rep once
    inner = inner.filter(inner.ok)
    expr = inner.group_by(keys).aggregate(value=inner.count()) if keys else inner.aggregate(value=inner.count())
    return _execute(expr, keys)


def _execute(expr, keys: list[str], values=("value",)) -> pd.DataFrame:
    df = expr.execute()
    if "period" in df.columns:
        df["period"] = pd.to_datetime(df["period"]).dt.normalize().astype("datetime64[ns]")
    for k in keys:
        if k != "period":
            df[k] = df[k].astype("object").where(df[k].notna(), None)
    for v in values:
        df[v] = pd.to_numeric(df[v], errors="coerce").astype("float64")
    return df


# --------------------------------------------------------------------------- KPIs
def _sum_frames(frames: list[pd.DataFrame | None], keys: list[str]) -> pd.DataFrame | None:
    frames = [f for f in frames if f is not None]
    if not frames:
        return None
    if not keys:
        return pd.DataFrame({"value": [sum(float(f["value"].fillna(0).sum()) for f in frames)]})
    out = pd.concat(frames, ignore_index=True)
    return out.groupby(keys, dropna=False, as_index=False)["value"].sum(min_count=1)


def _merge(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], suffixes) -> pd.DataFrame:
    if not keys:
        return pd.concat([a.add_suffix(suffixes[0]).reset_index(drop=True),
                          b.add_suffix(suffixes[1]).reset_index(drop=True)], axis=1)
    return a.merge(b, on=keys, how="outer", suffixes=suffixes)


def side_by_side(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Two KPI frames of one cut as one: joined on the cut keys, or side by side without keys."""
    if keys:
        return a.merge(b, on=keys, how="outer")
    return pd.concat([a.reset_index(drop=True), b.reset_index(drop=True)], axis=1)


def _as_measures(m) -> tuple[Measure, ...]:
    return m if isinstance(m, tuple) else (m,)


def kpi_frame(ctx: Context, kpi: Kpi) -> pd.DataFrame | None:
    """Columns: cut keys, ``value`` and, for ratios, ``num`` and ``den``; None if not available."""
    keys = ctx.cut.keys
    k = kpi.kind
    if isinstance(k, Simple):
        df = measure_frame(ctx, k.measure)
        if df is None:
            return None
        for name, m in k.extras.items():
            ex = measure_frame(ctx, m)
            if ex is not None:
                df = _merge(df, ex.rename(columns={"value": f"x_{name}"}), keys, ("", ""))
        return df
    if isinstance(k, (Ratio, Share)):
        if isinstance(k, Share):
            num = measure_frame(ctx, k.measure)
            den = measure_frame(ctx, k.measure, drop=(k.of,))
            if num is None or den is None:
                return None
            df = num.rename(columns={"value": "num"})
            den = den.rename(columns={"value": "den"})
            on = [c for c in keys if c != k.of]
            df = df.merge(den, on=on, how="left") if on else df.assign(den=float(den["den"].sum()))
            scale, per_year, extras = 1.0, False, {}
        else:
            nums = [measure_frame(ctx, m) for m in _as_measures(k.numerator)]
            dens = [measure_frame(ctx, m) for m in _as_measures(k.denominator)]
            if any(f is None for f in nums + dens):
                return None
            num, den = _sum_frames(nums, keys), _sum_frames(dens, keys)
            df = _merge(num.rename(columns={"value": "num"}), den.rename(columns={"value": "den"}), keys, ("", ""))
            scale, per_year, extras = k.scale, k.per_year, k.extras
        for name, m in extras.items():
            ex = measure_frame(ctx, m)
            if ex is not None:
                df = _merge(df, ex.rename(columns={"value": f"x_{name}"}), keys, ("", ""))
        df["num"] = df["num"].fillna(0.0)
        df["den"] = df["den"].fillna(0.0)
        df.attrs.update(scale=scale, per_year=per_year, positive_den=getattr(k, "positive_den", False))
        return df
    if isinstance(k, Growth):
        return _growth(ctx, k)
    if isinstance(k, Product):
        parts = [finish(ctx, BY_ID[f], kpi_frame(ctx, BY_ID[f])) for f in k.factors]
        if any(p is None for p in parts):
            return None
        df = parts[0][[*keys, "value"]]
        for p in parts[1:]:
            df = _merge(df, p[[*keys, "value"]], keys, ("", "_r"))
            df["value"] = df["value"] * df["value_r"]
            df = df.drop(columns="value_r")
        return df
    raise TypeError(k)


def _growth(ctx: Context, k: Growth) -> pd.DataFrame | None:
    base = BY_ID[k.base]
    cut = ctx.cut
    keys = cut.keys
    if cut.grain:
        first = P.floor(cut.start, cut.grain, ctx.settings.fiscal_year_start, ctx.settings.week_start)
        earlier_start = P.lag_label(first, cut.grain, k.lag)
        wide = Cut(cut.ids, cut.grain, cut.by, earlier_start, cut.end, cut.filters)
        wctx = Context(ctx.db, ctx.settings, wide)
        cur = finish(wctx, base, kpi_frame(wctx, base))
        if cur is None:
            return None
        prev = cur[[*keys, "value"]].copy()
        prev["period"] = prev["period"].map(
            lambda d: pd.Timestamp(_next_label(d.date(), cut.grain, k.lag, ctx.settings)))
        df = cur[[*keys, "value"]].rename(columns={"value": "cur"}).merge(
            prev.rename(columns={"value": "prev"}), on=keys, how="left")
        df = df[df["period"] >= pd.Timestamp(first)]
    else:
        s, e = P.shift_range(cut.start, cut.end, k.lag)
        cur = finish(ctx, base, kpi_frame(ctx, base))
        pctx = Context(ctx.db, ctx.settings, Cut(cut.ids, None, cut.by, s, e, cut.filters))
        prev = finish(pctx, base, kpi_frame(pctx, base))
        if cur is None or prev is None:
            return None
        df = _merge(cur[[*keys, "value"]].rename(columns={"value": "cur"}),
                    prev[[*keys, "value"]].rename(columns={"value": "prev"}), keys, ("", ""))
    df["cur"] = df["cur"].fillna(0.0)
    df["num"] = df["cur"] - df["prev"]
    df["den"] = df["prev"]
    df.attrs.update(scale=1.0, per_year=False)
    return df.drop(columns=["cur", "prev"])


def _growth_start(ctx: Context) -> dt.date | None:
    """The earliest period label the cut's growth KPIs compare with, when the cut starts a period
    (else None: the growth's wider range and the cut's own do not share their periods)."""
    cut, st = ctx.cut, ctx.settings
    if not cut.grain or P.floor(cut.start, cut.grain, st.fiscal_year_start, st.week_start) != cut.start:
        return None
    starts = [P.lag_label(cut.start, cut.grain, BY_ID[kid].kind.lag) for kid in cut.ids
              if isinstance(BY_ID[kid].kind, Growth)]
    return min(starts) if starts else None


def _next_label(label: dt.date, grain: str, lag: str, settings: Settings) -> dt.date:
    """The label whose comparison period is ``label`` (inverse of periods.lag_label)."""
    if lag == "period":
        return P.step(label, grain)
    if grain == "week":
        return label + dt.timedelta(weeks=52)
    if grain == "day":
        return P.add_months(label, 12) if label.day <= 28 else label + dt.timedelta(days=365)
    return P.add_months(label, 12)


def finish(ctx: Context, kpi: Kpi, df: pd.DataFrame | None, combos: pd.DataFrame | None = None
           ) -> pd.DataFrame | None:
    """Fill empty periods and combinations; compute ratio values, intervals and flags.

    ``combos``: the dimension values to show (by default those the KPI's own records hold).
    """
    keys = ctx.cut.keys
    grid = _grid(ctx)
    if combos is not None and ctx.cut.by:
        grid = grid.merge(combos, how="cross") if ctx.cut.grain else combos
    if df is None:  # not available: null figures, same columns
        out = grid.copy() if (combos is not None or not ctx.cut.by) else grid.iloc[0:0].copy()
        out["value"] = np.nan
        if isinstance(kpi.kind, (Ratio, Share, Growth)):
            out["num"] = out["den"] = np.nan
            if has_interval(kpi):
                out["low"] = out["high"] = np.nan
            out["small"] = False
        return out
    if keys:
        if ctx.cut.by and combos is None:
            own = df[list(ctx.cut.by)].drop_duplicates()
            full = grid.merge(own, how="cross") if ctx.cut.grain else own
        else:
            full = grid
        out = _objects(full, ctx.cut.by).merge(_objects(df, ctx.cut.by), on=keys, how="left")
    else:
        out = df.reset_index(drop=True) if len(df) else pd.DataFrame({c: [np.nan] for c in df.columns})
    if "num" in out.columns:
        out["num"] = out["num"].fillna(0.0)
        if isinstance(kpi.kind, Growth):
            pass
        else:
            out["den"] = out["den"].fillna(0.0)
        scale = df.attrs.get("scale", 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            defined = out["den"] > 0 if df.attrs.get("positive_den") else out["den"] != 0
            value = out["num"] / out["den"].where(defined) * scale
        if df.attrs.get("per_year"):
            value = value / _period_years(ctx, out)
        out["value"] = value.astype("float64")
        if has_interval(kpi):
            low, high = wilson(out["num"].to_numpy(float), out["den"].to_numpy(float))
            out["low"], out["high"] = low, high
        out["small"] = ~(out["den"].abs() >= SMALL_SAMPLE) if counted_sample(kpi) else False
    else:
        if isinstance(kpi.kind, Simple):
            additive = ("count", "sum", "count_distinct")
            if kpi.kind.measure.agg in additive:
                out["value"] = out["value"].fillna(0.0)
            for name, m in kpi.kind.extras.items():
                if m.agg in additive and f"x_{name}" in out.columns:
                    out[f"x_{name}"] = out[f"x_{name}"].fillna(0.0)
    return out


def has_interval(kpi: Kpi) -> bool:
    """A Wilson interval only for proportions: a rate whose numerator counts part of its denominator."""
    k = kpi.kind
    return kpi.is_rate and (isinstance(k, Share) or (isinstance(k, Ratio) and k.proportion))


def counted_sample(kpi: Kpi) -> bool:
    """The small-sample flag applies when the denominator counts records (not euros, not a growth)."""
    k = kpi.kind
    if isinstance(k, Share):
        return True
    if not isinstance(k, Ratio) or not k.sampled:
        return False
    return all(m.agg in ("count", "count_distinct", "count_groups") for m in _as_measures(k.denominator))


def _objects(df: pd.DataFrame, dims) -> pd.DataFrame:
    """Dimension columns as Python objects with None for missing (all-null columns come back as floats)."""
    df = df.copy()
    for d in dims:
        if d in df.columns:
            df[d] = df[d].astype(object).where(df[d].notna(), None)
    return df


def _grid(ctx: Context) -> pd.DataFrame:
    if ctx.cut.grain:
        return pd.DataFrame({"period": pd.to_datetime([p[0] for p in ctx.period_rows]).astype("datetime64[ns]")})
    return pd.DataFrame(index=[0])


def _period_years(ctx: Context, out: pd.DataFrame) -> pd.Series:
    if not ctx.cut.grain:
        return pd.Series(P.years(ctx.cut.start, ctx.cut.end), index=out.index)
    lengths = {pd.Timestamp(lbl): P.years(s, e) for lbl, s, e in ctx.period_rows}
    return out["period"].map(lengths).astype(float)


def wilson(k: np.ndarray, n: np.ndarray, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of k successes in n trials (NaN when n = 0).

    centre = (p + z²/2n) / (1 + z²/n); half = z √(p(1−p)/n + z²/4n²) / (1 + z²/n)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.where(n > 0, n, np.nan)
        p = np.clip(k / n, 0, 1)
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return centre - half, centre + half


# --------------------------------------------------------------------------- public
def run(db: Database, settings: Settings, cut: Cut) -> pd.DataFrame:
    """One DataFrame: the cut keys, then each KPI's value and its companions."""
    _sync(db)
    ctx = Context(db, settings, cut)
    keys = cut.keys
    wanted = _wanted(cut.ids, growth=False)
    wide = _growth_start(ctx)
    if wide is not None:  # one pass from the earliest period a growth compares with serves both ranges
        wctx = Context(db, settings, Cut(cut.ids, cut.grain, cut.by, wide, cut.end, cut.filters))
        prefetch(wctx, [(m, d) for m, d in _wanted(cut.ids) if rollup.rollable(m)], rolled_only=True)
    prefetch(ctx, wanted)  # one query per fact and anchor for all the KPIs asked
    frames = {kid: kpi_frame(ctx, BY_ID[kid]) for kid in cut.ids}
    combos = None
    if cut.by:  # every KPI gets a row for every dimension value any of them holds
        seen = [f[list(cut.by)] for f in frames.values() if f is not None and len(f)]
        combos = (_objects(pd.concat(seen), cut.by).drop_duplicates().reset_index(drop=True) if seen
                  else pd.DataFrame({b: pd.Series([], dtype=object) for b in cut.by}))
    result: pd.DataFrame | None = None
    for kid in cut.ids:
        kpi = BY_ID[kid]
        df = finish(ctx, kpi, frames[kid], combos)
        cols = {"value": kid}
        if "num" in df.columns:
            cols.update(num=f"{kid}_numerator", den=f"{kid}_denominator")
            cols.update(low=f"{kid}_low", high=f"{kid}_high", small=f"{kid}_small_sample")
        for c in df.columns:
            if c.startswith("x_"):
                cols[c] = f"{kid}_{c[2:]}"
        part = df[[*keys, *[c for c in cols if c in df.columns]]].rename(columns=cols)
        result = part if result is None else side_by_side(result, part, keys)
    if keys:
        result = result.sort_values(keys, na_position="last", kind="stable").reset_index(drop=True)
    result.attrs["warnings"] = list(dict.fromkeys(ctx.warnings))
    result.attrs["cut"] = cut
    return result


def _wanted(ids, growth: bool = True) -> list[tuple[Measure, tuple[str, ...]]]:
    """(measure, dimensions set aside) for every measure behind ``ids``; a growth's base measures
    only with ``growth`` (``run`` computes them over the growth's own wider range)."""
    wanted = []
    for kid in ids:
        kind = BY_ID[kid].kind
        if growth or not isinstance(kind, Growth):
            wanted += [(m, ()) for m in measures_of(BY_ID[kid])]
        if isinstance(kind, Share):
            wanted.append((kind.measure, (kind.of,)))
    return wanted


def keep(db: Database, settings: Settings, ids, ranges: list[tuple[dt.date, dt.date]], filters=None) -> None:
    """Compute beforehand what ``ids`` need over each of ``ranges`` (the focus dashboard's period, the one
    it is compared with, their growth's earlier ones) in one pass instead of one pass per range: the
    counts and sums of event facts into a kept frame (``rollup``) over the ranges' span, by month when
    every bound starts a month, else by day; the measures of periodic facts in one query whose table
    of periods holds the ranges themselves."""
    wanted = _wanted(ids)
    _sync(db)
    start, end = min(s for s, _ in ranges), max(e for _, e in ranges)
    grain = "month" if all(d.day == 1 for r in ranges for d in r) else "day"
    try:
        cut = Cut.make(ids, grain=grain, start=start, end=end, filters=filters, settings=settings)
    except InvalidCut:  # too many days: each range is computed on its own
        cut = None
    if cut is not None:  # by period alone: a one-off command pays for no finer grouping it will not reuse
        prefetch(Context(db, settings, cut), [(m, d) for m, d in wanted if rollup.rollable(m)],
                 rolled_only=True, finer=False)
    periodic = [(m, d) for m, d in dict.fromkeys(wanted)
                if F.FACTS[m.fact].periodic and m.agg != "count_groups"]
    ranges = sorted(set(ranges))
    if not periodic or len({s for s, _ in ranges}) != len(ranges):  # a range's start labels its results
        return
    try:
        first = Cut.make(ids, start=ranges[0][0], end=ranges[0][1], filters=filters, settings=settings)
    except InvalidCut:  # the questions themselves will say why
        return
    ctx = Context(db, settings, first, period_rows=[(s, s, e) for s, e in ranges])
    groups: dict[tuple, list[Measure]] = {}
    for m, drop in periodic:
        done = all((m, drop, s, e, first.filters) in ctx.ranges for s, e in ranges)
        if not done and ctx.available(F.FACTS[m.fact].requires + m.requires):
            groups.setdefault((m.fact, drop), []).append(m)
    for (fact, drop), ms in groups.items():
        before = len(ctx.warnings)
        df = _aggregate(ctx, fact, None, drop, ms, ["period"])
        said = ctx.warnings[before:]
        for s, e in ranges:
            row = df[df["period"] == pd.Timestamp(s)]
            for i, m in enumerate(ms):
                if len(row):
                    value = row[f"v{i}"].iloc[0]
                else:  # no record in the range: what an aggregate of no row gives
                    value = 0.0 if m.agg in ("count", "count_distinct") else np.nan
                frame = pd.DataFrame({"value": [float(value)]})
                ctx.ranges[(m, drop, s, e, first.filters)] = (frame, said + _flagged(row, i))


def row_counts(db: Database) -> dict[str, int]:
    return {t.name: int(db.fetchall(f"SELECT COUNT(*) FROM {db.q(t.name)}")[0][0]) for t in S.TABLES}


def explain(db: Database, settings: Settings, cut: Cut, limit: int = 100, offset: int = 0) -> dict:
    """The formula, the value and the records behind one KPI over a cut (no grain).

    One section per measure: its role (numerator, denominator, earlier period of a growth,
    factor of a product), the number of records and a page of them.
    """
    kpi = BY_ID[cut.ids[0]]
    whole = Cut(cut.ids, None, (), cut.start, cut.end, cut.filters)
    df = run(db, settings, whole)
    sections = []
    seen = set()
    for role, m, section_cut, drop in _roles(kpi, whole):
        ctx = Context(db, settings, section_cut)
        key = (m.fact, m.anchor, m.where, m.agg == "count_groups", section_cut, drop)  # same rows: once
        if key in seen or not ctx.available(F.FACTS[m.fact].requires + m.requires):
            continue
        seen.add(key)
        t = _filtered(ctx, m, drop)
        if m.agg == "count_groups":  # the groups counted (e.g. reps at quota), not the records
            t = t.group_by(m.per).aggregate(counted=m.having(t), records=t.count())
            t = t.filter(t.counted) if role.endswith("numerator") else t
        total = int(t.count().execute())
        rows = t.drop(*[c for c in ("period",) if c in t.columns]).limit(limit, offset=offset).execute()
        sections.append({"role": role, "fact": m.fact, "anchor": m.anchor, "total": total, "rows": rows,
                         "from": section_cut.start, "to": section_cut.end})
    return {"kpi": kpi, "cut": cut, "result": df, "sections": sections}


def _roles(kpi: Kpi, cut: Cut, prefix: str = ""):
    """(role, measure, cut, dimensions set aside) for every measure behind a KPI."""
    k = kpi.kind
    if isinstance(k, Simple):
        yield prefix + "value", k.measure, cut, ()
    elif isinstance(k, Ratio):
        for m in _as_measures(k.numerator):
            yield prefix + "numerator", m, cut, ()
        for m in _as_measures(k.denominator):
            yield prefix + "denominator", m, cut, ()
    elif isinstance(k, Share):
        yield prefix + "numerator", k.measure, cut, ()
        yield prefix + "denominator", k.measure, cut, (k.of,)
    elif isinstance(k, Growth):
        s, e = P.shift_range(cut.start, cut.end, k.lag)
        yield from _roles(BY_ID[k.base], cut, prefix + "this period · ")
        yield from _roles(BY_ID[k.base], Cut(cut.ids, None, cut.by, s, e, cut.filters),
                          prefix + f"earlier period ({s} → {e}) · ")
    else:
        for f in k.factors:
            yield from _roles(BY_ID[f], cut, prefix + f + " · ")


__all__ = ["Cut", "run", "explain", "wilson", "row_counts", "dimensions_of"]
