"""Fine aggregates kept per state of the data, rolled up to answer later cuts (issue #8).

A count or a sum over a cut is the sum of the same measure over any finer grouping of the
same rows. So when the engine computes a count or a sum of a fact, it groups by the cut's keys
*and* by the rep and the team (and by any dimension the cut filters on), keeps that small
frame for the current state of the data, and answers the cut by summing it in pandas. A later
question on the same fact, anchor, grain and range, by team, by rep, for the whole company or
filtered to one team or rep (the scope of a manager or a rep), is then answered from the kept
frame without reading a record again; a measure it lacks is computed at the same grouping and
added. Example: the rep × month dashboard then the team × month and month ones cost one pass
per fact, like hand-written SQL that aggregates rep × month once and rolls up.

Rules that keep the figures exact:
- only ``count`` and ``sum`` are rolled up (a median or a distinct count of parts is not the
  median or distinct count of the whole); those are computed at the cut's keys as before;
- only facts placed in periods by an anchor date (not the periodic ones, whose rows depend on
  the period table); a kept frame serves the same grain over a range within its own whose
  bounds are its own or starts of periods (a growth's wider range serves the range itself);
  a question without grain is served by a frame of any grain under the same rule (the focus
  dashboard's two ranges, this year and the previous one, from one frame by month);
- a frame is added the rep and team only when periods × reps stays under ``ROW_BUDGET`` rows,
  and is fetched with ``LIMIT ROW_BUDGET + 1``: a grouping that turns out larger is not kept
  (the cut is computed at its own keys instead);
- the kept frames are dropped with everything else learned of the data on a write or when
  another process changes the data version (``query._sync``), and are bounded in total size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from pilotage.catalogue import facts as F
from pilotage.catalogue.model import Measure
from pilotage.engine import periods as P

ADDITIVE = ("count", "sum")
ROLLUP_DIMS = ("rep", "team")  # added to every kept grouping when small enough (team: one per rep)
ROW_BUDGET = 100_000  # rows of one kept frame
CELL_BUDGET = 20_000_000  # values kept per open database (~160 MB), oldest frames dropped first


@dataclass
class Frame:
    """One kept aggregate: a fact's measures per period (if any) and ``dims`` over a range."""

    fact: str
    anchor: str
    grain: str | None
    start: dt.date
    end: dt.date
    calendar: tuple  # (fiscal year start, week start): same periods
    dims: tuple[str, ...]
    df: pd.DataFrame | None
    cols: dict = field(default_factory=dict)  # Measure -> value column; (Measure, flag) -> flag column
    warnings: list = field(default_factory=list)  # said while building the fact: said again on each answer

    def cells(self) -> int:
        return int(self.df.shape[0] * max(self.df.shape[1], 1))


def rollable(m: Measure) -> bool:
    return m.agg in ADDITIVE and m.anchor is not None and not F.FACTS[m.fact].periodic


def serve(ctx, fact: str, anchor: str, drop: tuple[str, ...], ms: list[Measure], compute,
          finer: bool = True) -> bool:
    """Fill ``ctx.measures`` for ``ms`` (counts and sums of one fact and anchor) from a kept
    frame, computing or completing one with ``compute(dims, ms, limit)`` (a DataFrame per period of
    the cut and ``dims``, or None). ``finer``: group a new frame by the rep and team too.
    False when no frame can serve (the caller computes at the cut's keys)."""
    if F.FACTS[fact].team_from_rep:  # the team looked up from the rep here, not joined per record
        compute = _team_from_rep(ctx, compute)
    cut = ctx.cut
    keys = [k for k in cut.keys if k not in drop]
    filters = [(d, v) for d, v in cut.filters if d not in drop]
    need = {k for k in keys if k != "period"} | {d for d, _ in filters}
    calendar = (ctx.settings.fiscal_year_start, ctx.settings.week_start)
    found = [f for f in ctx.rollups if f.fact == fact and f.anchor == anchor and f.calendar == calendar
             and need <= set(f.dims) and _covers(f, cut, calendar)]
    ready = [f for f in found if all(m in f.cols for m in ms)]
    # a frame of the cut's own grain and range can be completed (compute reads the cut's rows)
    own = [f for f in found if (f.grain, f.start, f.end) == (cut.grain, cut.start, cut.end)]
    if ready:
        frame = min(ready, key=lambda f: len(f.df))
    elif own:
        frame = min(own, key=lambda f: len(f.df))
        missing = [m for m in ms if m not in frame.cols]
        df = compute(frame.dims, missing, None)  # the same rows grouped the same way: the same groups
        if df is None:
            return False
        on = (["period"] if frame.grain else []) + list(frame.dims)
        grown = Frame(frame.fact, frame.anchor, frame.grain, frame.start, frame.end, frame.calendar,
                      frame.dims, frame.df, dict(frame.cols), frame.warnings)
        renamed = _name(grown, missing, df)
        grown.df = frame.df.merge(renamed, on=on, how="outer") if on else pd.concat(
            [frame.df.reset_index(drop=True), renamed.reset_index(drop=True)], axis=1)
        _replace(ctx, frame, grown)
        frame = grown
    else:
        dims = tuple(sorted(need))
        extra = tuple(d for d in ROLLUP_DIMS if finer and d in F.FACTS[fact].dims and d not in need)
        if extra and _small(ctx, cut):
            dims = dims + extra
        before = len(ctx.warnings)
        df = compute(dims, ms, ROW_BUDGET + 1 if dims != tuple(sorted(need)) else None)
        if df is None or len(df) > ROW_BUDGET:
            return False
        frame = Frame(fact, anchor, cut.grain, cut.start, cut.end, calendar, dims, None,
                      warnings=ctx.warnings[before:])
        del ctx.warnings[before:]  # said by _answer
        frame.df = _name(frame, ms, df)
        _keep(ctx, frame)
    _answer(ctx, frame, ms, keys, filters, drop)
    return True


def _team_from_rep(ctx, compute):
    def wrapped(dims, ms, limit):
        if not ("team" in dims and "rep" in dims):
            return compute(dims, ms, limit)
        df = compute(tuple(d for d in dims if d != "team"), ms, limit)
        if df is not None:
            team = df["rep"].map(ctx.rep_teams())
            df.insert(list(dims).index("team") + (1 if "period" in df.columns else 0), "team",
                      team.astype("object").where(team.notna(), None))
        return df
    return wrapped


def _covers(f: Frame, cut, calendar) -> bool:
    """The frame holds the cut's rows in whole periods: same grain (any grain for a cut without
    one), its range within the frame's, each bound the frame's own or the start of a period."""
    if cut.grain is not None and f.grain != cut.grain:
        return False
    if f.start > cut.start or f.end < cut.end:
        return False

    def bound(d: dt.date, own: dt.date) -> bool:
        return d == own or (f.grain is not None and P.floor(d, f.grain, *calendar) == d)
    return bound(cut.start, f.start) and bound(cut.end, f.end)


def _small(ctx, cut) -> bool:
    n = len(ctx.period_rows) if cut.grain else 1
    return 0 < n * (ctx.rep_count() + 1) <= ROW_BUDGET


def _name(frame: Frame, ms: list[Measure], df: pd.DataFrame) -> pd.DataFrame:
    """Give the computed columns (``v{i}``, ``f{i}_{flag}``) frame-wide names; record them."""
    base = len([c for c in frame.cols if isinstance(c, Measure)])
    names = {}
    for i, m in enumerate(ms):
        names[f"v{i}"] = frame.cols[m] = f"m{base + i}"
        for (flag, _col), _msg in F.WARNING_FLAGS.items():
            if f"f{i}_{flag}" in df.columns:
                names[f"f{i}_{flag}"] = frame.cols[(m, flag)] = f"m{base + i}_{flag}"
    return df.rename(columns=names)


def _keep(ctx, frame: Frame) -> None:
    frames = ctx.rollups
    frames.append(frame)
    while len(frames) > 1 and sum(f.cells() for f in frames) > CELL_BUDGET:
        frames.pop(0)


def _replace(ctx, old: Frame, new: Frame) -> None:
    frames = ctx.rollups
    try:
        frames[frames.index(old)] = new
    except ValueError:  # dropped meanwhile (size bound or another thread)
        frames.append(new)


def _answer(ctx, frame: Frame, ms, keys, filters, drop) -> None:
    ctx.warnings.extend(frame.warnings)
    sub = frame.df
    if frame.start < ctx.cut.start:
        sub = sub[sub["period"] >= pd.Timestamp(ctx.cut.start)]
    if frame.end > ctx.cut.end:
        sub = sub[sub["period"] < pd.Timestamp(ctx.cut.end)]
    for dim, vals in filters:
        sub = sub[sub[dim].isin(list(vals))]
    cols = [c for k, c in frame.cols.items() if (k[0] if isinstance(k, tuple) else k) in ms]
    if keys:
        out = sub.groupby(keys, dropna=False, sort=False, as_index=False)[cols].sum(min_count=1)
        for k in keys:
            if k != "period":
                out[k] = out[k].astype("object").where(out[k].notna(), None)
    else:
        out = pd.DataFrame({c: [sub[c].sum(min_count=1)] for c in cols})
    for m in ms:
        c = frame.cols[m]
        if m.agg == "count":
            out[c] = out[c].fillna(0.0)
        out[c] = out[c].astype("float64")
        for (flag, _col), msg in F.WARNING_FLAGS.items():
            fc = frame.cols.get((m, flag))
            if fc is not None:
                n = int(pd.to_numeric(out[fc], errors="coerce").fillna(0).sum())
                if n:
                    ctx.warnings.append(msg.format(n=n))
        ctx.measures[(m, drop)] = out[[*keys, c]].rename(columns={c: "value"})
