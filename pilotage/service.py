"""The service functions every face calls (CLI, REST API, web pages), so they cannot disagree.

Each takes a workspace and plain parameters and returns plain data (lists of
dicts, JSON-ready). A user's scope (a rep sees only their records, a manager their teams') is
applied here, in :func:`scoped_filters`, the one place every query goes through;
``user=None`` is single-user mode (everything). See :mod:`pilotage.auth.scope`.
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from pilotage.catalogue.kpis import BY_ID, KPIS, SECTION_LABELS
from pilotage.catalogue.model import Growth
from pilotage.engine import periods as P
from pilotage.engine import query
from pilotage.workspace import Workspace


def scoped_filters(filters: dict | None, user=None, ws: Workspace | None = None) -> dict:
    """The filters asked for, bounded by the user's row-level scope (deny by default).

    A rep's ``rep`` filter becomes their own rep_id (intersected with what was asked), a
    manager's ``team`` filter their teams and sub-teams (pass ``ws`` so sub-teams are
    found through ``teams.parent_team_id``); an admin's and ``user=None``'s are unchanged.
    An empty scope filters on a value no record holds, so it yields nothing.
    """
    from pilotage.auth import scope

    return scope.apply(filters, user, ws)


def _unscopable(ids, user, ws) -> list[str]:
    """KPIs whose records carry no rep/team: a scoped user cannot see them (deny by default)."""
    from pilotage.auth import scope

    s = scope.scope_of(user, ws)
    if s is None:
        return []
    return [i for i in ids if i in BY_ID and s[0] not in query.dimensions_of(BY_ID[i])]


def _not_in_scope(kpi_id: str):
    from pilotage.errors import NotInScope

    return NotInScope(f"{kpi_id} is not available in your scope: its records carry no rep or team")


def catalogue(lang: str = "fr") -> list[dict]:
    out = []
    for k in KPIS:
        out.append({
            "id": k.id, "label": k.label[lang], "formula": k.formula[lang], "doc": k.doc[lang],
            "symbols": k.symbols.get(lang, ""), "unit": k.unit, "better": k.better, "anchor": k.anchor,
            "section": k.section, "section_label": SECTION_LABELS[k.section][lang],
            "dimensions": list(query.dimensions_of(k)),
        })
    return out


def _clean(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if hasattr(v, "item"):
        v = v.item()
        if isinstance(v, float) and math.isnan(v):
            return None
    if isinstance(v, float) and math.isfinite(v):
        # 13 significant digits: the binary noise of summed decimals goes (9305275.612000005 -> 9305275.612),
        # cents stay exact up to 99 billion
        return float(f"{v:.13g}")
    return v


def records(df: pd.DataFrame) -> list[dict]:
    """A KPI frame as JSON-ready dicts (the `--format json` and API shape)."""
    return [{k: _clean(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def parse_where(where: list[str] | None, option: str = "where") -> dict[str, list[str]]:
    """``["source=linkedin,event", "team=t1"]`` -> ``{"source": ["linkedin", "event"], "team": ["t1"]}``."""
    from pilotage.errors import InvalidCut

    filters: dict[str, list[str]] = {}
    for w in where or []:
        if "=" not in w:
            raise InvalidCut(f"{option} {w!r}: expected dimension=value (e.g. source=linkedin)")
        k, v = w.split("=", 1)
        filters.setdefault(k.strip(), []).extend(x.strip() for x in v.split(",") if x.strip())
    return filters


def rows_json(df: pd.DataFrame) -> list[dict]:
    """Any records (drill-down rows) as JSON-ready dicts: dates in ISO, decimals as numbers, NaN as null."""
    import json

    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object and len(df) and any(type(v).__name__ == "Decimal" for v in df[c].head(20)):
            df[c] = pd.to_numeric(df[c], errors="coerce")
    return json.loads(df.to_json(orient="records", date_format="iso", date_unit="s"))


def kpi_query(ws: Workspace, ids, *, grain=None, by=None, start=None, end=None, filters=None,
              user=None) -> pd.DataFrame:
    from pilotage import budgets

    ids = [ids] if isinstance(ids, str) else list(ids)
    hidden = _unscopable(ids, user, ws)
    shown = [i for i in ids if i not in hidden]
    if hidden and not shown:
        raise _not_in_scope(hidden[0])
    scoped = scoped_filters(filters, user, ws)
    cut = query.Cut.make(shown, grain=grain, by=by, start=start, end=end, filters=scoped, settings=ws.settings)
    if cut.by:
        budgets.check_cells(ws, cut)  # before the query: a clear 413 rather than minutes and megabytes
    # the unknown filter values (a typo gives zeros) are in attrs["warnings"], for every face to show
    df = ws.kpi(list(cut.ids), grain=grain, by=list(cut.by), start=cut.start, end=cut.end, filters=scoped,
                warn=False)
    if user is not None and not user.is_admin:
        # ws.kpi checked the scoped filters against every record, which would tell a value out of
        # scope from a typo: those warnings are replaced by the check within the user's scope
        said = set(unknown_filter_values(ws, scoped))
        df.attrs["warnings"] = ([w for w in df.attrs.get("warnings", []) if w not in said]
                                + unknown_filter_values(ws, filters, user))
    for i in hidden:  # not available to this user, never a silent 0
        df[i] = float("nan")
    df.attrs["warnings"] = df.attrs.get("warnings", []) + [
        f"{i}: not available in your scope (its records carry no rep or team)" for i in hidden]
    return df


def unknown_filter_values(ws: Workspace, filters: dict | None, user=None) -> list[str]:
    """A filter on a value no record holds gives zeros: say so rather than let a typo pass for a figure.

    For a scoped user, a value out of their scope is reported exactly as one that does not
    exist, so the warning never reveals what others' records hold.
    """
    out = []
    for dim, vals in (filters or {}).items():
        if dim not in DIMENSION_SOURCES:
            continue
        vals = [vals] if isinstance(vals, str) else list(vals)
        table, key, _ = DIMENSION_SOURCES[dim]
        if user is not None and not user.is_admin:
            found = {i for i, _ in dimension_values(ws, dim, user=user)}
        else:
            t = ws.db.table(table)
            found = set(t.filter(t[key].isin(vals)).select(key).distinct().execute()[key].astype(str))
        missing = [v for v in vals if v not in found]
        if missing:
            out.append(f"{dim} {', '.join(repr(m) for m in missing)}: no such value in {table}")
    return out


def compare_range(start: dt.date, end: dt.date, compare: str, to_date: str | None = None
                  ) -> tuple[dt.date, dt.date]:
    """The range to compare with (pace for a period under way): :func:`pilotage.periods.compare_range`."""
    from pilotage import periods as HP

    return HP.compare_range(start, end, compare, to_date)


def focus_cards(ws: Workspace, *, start=None, end=None, filters=None, compare: str = "previous",
                ids=None, user=None, to_date: str | None = None, today: dt.date | None = None) -> list[dict]:
    """The focus KPIs over a range with their change against the previous period or year.

    No range: the last 12 complete months, ending at the data's last complete month when
    the data stops earlier (:mod:`pilotage.periods`). ``to_date`` (month, quarter, year):
    the range is a period under way, compared on pace. A cohort KPI whose range is
    immature (its deals still open) is flagged ``immature`` and gets no trend colour.
    """
    from pilotage import periods as HP

    ids = list(ids or ws.settings.focus)
    ref = HP.reference(ws, today)
    if start is None and end is None:
        w = HP.preset_window("12m", ref, ws.settings.fiscal_year_start)
        start, end = w.start, w.end
    cut = query.Cut.make(ids, start=start, end=end, filters=filters, settings=ws.settings)
    ps, pe = compare_range(cut.start, cut.end, compare, to_date)
    ranges = [(cut.start, cut.end), (ps, pe)]
    for lag in {BY_ID[i].kind.lag for i in ids if isinstance(BY_ID[i].kind, Growth)}:
        ranges += [P.shift_range(s, e, lag) for s, e in ranges[:2]]
    shown = [i for i in ids if i not in _unscopable(ids, user, ws)]
    if shown:  # both ranges (and their growth's earlier ones) from one pass over the records
        query.keep(ws.db, ws.settings, shown, ranges, scoped_filters(filters, user, ws))
    now = kpi_query(ws, ids, start=cut.start, end=cut.end, filters=filters, user=user)
    before = kpi_query(ws, ids, start=ps, end=pe, filters=filters, user=user)
    cards = []
    for i in ids:
        k = BY_ID[i]
        v, b = _clean(now[i].iloc[0]), _clean(before[i].iloc[0])
        window = HP.maturity_days(ws, i)
        unripe = HP.immature(cut.end, window, ref)
        if v is None or b is None or unripe:
            change, kind = None, "relative"
        elif k.unit in ("rate", "score", "index"):
            change, kind = (v - b) / (100 if k.unit in ("score", "index") else 1), "points"
        else:
            change, kind = ((v - b) / abs(b) if b else None), "relative"
        small = bool(now[f"{i}_small_sample"].iloc[0]) if f"{i}_small_sample" in now.columns else False
        good = None if change is None or k.better == "none" else (change > 0) == (k.better == "up")
        cards.append({"id": i, "value": v, "previous": b, "change": change, "change_kind": kind,
                      "unit": k.unit, "better": k.better, "small_sample": small, "good": good,
                      "immature": unripe, "maturity_days": window,
                      "compared_with": [ps.isoformat(), pe.isoformat()],
                      "numerator": _clean(now[f"{i}_numerator"].iloc[0]) if f"{i}_numerator" in now else None,
                      "denominator": _clean(now[f"{i}_denominator"].iloc[0]) if f"{i}_denominator" in now else None})
    return cards


MIN_REPS_FOR_QUOTA_WARNING = 3


def quotas_too_ambitious(share_at_quota, attainment, reps=None) -> bool:
    """The "quotas likely too ambitious" warning: under 60 % of reps at quota (the catalogue's rule),
    but never while the team as a whole is at or above its target (103 % is no sign of ambitious quotas),
    and never over fewer than three reps (``reps``, when known): one rep below quota says nothing
    of how a team's quotas were set (a rep's own view holds one rep)."""
    if share_at_quota is None or share_at_quota != share_at_quota or share_at_quota >= 0.6:
        return False
    if reps is not None and reps == reps and reps < MIN_REPS_FOR_QUOTA_WARNING:
        return False
    return not (attainment is not None and attainment == attainment and attainment >= 1)


def explain(ws: Workspace, kpi_id: str, *, start=None, end=None, filters=None, limit=100, offset=0, user=None):
    from pilotage import budgets

    budgets.offset(offset)  # the page size is the face's (the API caps it; pages ask for their own)
    if _unscopable([kpi_id], user, ws):
        raise _not_in_scope(kpi_id)
    return ws.explain(kpi_id, start=start, end=end, filters=scoped_filters(filters, user, ws), limit=limit,
                      offset=offset)


def parse_period(text: str, fiscal_year_start: int = 1) -> tuple[dt.date, dt.date]:
    """``2024``, ``2024-Q1``, ``2024-03``, ``2024-03-15`` or ``2024-01-01..2024-04-01`` -> [start, end).

    Years and quarters are fiscal: with a fiscal year starting in April, ``2024`` is
    2024-04-01..2025-04-01 and ``2024-Q1`` is April to June 2024 (a fiscal year is named
    by the calendar year it starts in, as period labels are).
    """
    from pilotage.errors import InvalidCut

    t = text.strip()
    try:
        if ".." in t:
            a, b = t.split("..", 1)
            return dt.date.fromisoformat(a), dt.date.fromisoformat(b)
        if len(t) == 4 and t.isdigit():
            s = dt.date(int(t), fiscal_year_start, 1)
            return s, P.add_months(s, 12)
        if len(t) == 7 and t[4:6].upper() == "-Q":
            q = int(t[6])
            if not 1 <= q <= 4:
                raise ValueError
            s = P.add_months(dt.date(int(t[:4]), fiscal_year_start, 1), 3 * (q - 1))
            return s, P.add_months(s, 3)
        if len(t) == 7:
            s = dt.date(int(t[:4]), int(t[5:7]), 1)
            return s, P.add_months(s, 1)
        d = dt.date.fromisoformat(t)
        return d, d + dt.timedelta(days=1)
    except ValueError:
        raise InvalidCut(f"period {text!r}: expected 2024, 2024-Q1, 2024-03, 2024-03-15 "
                         f"or 2024-01-01..2024-04-01") from None


DIMENSION_SOURCES = {
    # dimension: (table, id column, label column)
    "rep": ("reps", "rep_id", "name"),
    "team": ("teams", "team_id", "name"),
    "campaign": ("campaigns", "campaign_id", "name"),
    "product": ("products", "product_id", "name"),
    "source": ("leads", "source", "source"),
    "segment": ("accounts", "segment", "segment"),
    "region": ("accounts", "region", "region"),
    "industry": ("accounts", "industry", "industry"),
    "pipeline": ("opportunities", "pipeline", "pipeline"),
    "stage": ("stages", "stage", "stage"),
    "kind": ("opportunities", "kind", "kind"),
}


def dimension_values(ws: Workspace, dim: str, user=None) -> list[tuple[str, str]]:
    """(id, label) of each value a dimension takes, sorted by label (for filters and legends).

    A scoped user gets only the values their own records hold (a rep: their rep, their team,
    the sources of their leads and deals...), so a list never shows what lies out of scope.
    """
    from pilotage.errors import InvalidCut

    if dim not in DIMENSION_SOURCES:
        raise InvalidCut(f"unknown dimension {dim!r}: expected one of {', '.join(DIMENSION_SOURCES)}")
    table, key, label = DIMENSION_SOURCES[dim]
    t = ws.db.table(table)
    rows = t.filter(t[key].notnull()).select(id=t[key], label=t[label]).distinct().order_by("label").execute()
    out = [(str(i), str(lbl) if lbl is not None else str(i)) for i, lbl in rows.itertuples(index=False)]
    if user is None or user.is_admin:
        return out
    allowed = _values_in_scope(ws, dim, user)
    return [(i, lbl) for i, lbl in out if i in allowed]


def _values_in_scope(ws: Workspace, dim: str, user) -> set[str]:
    """The values of ``dim`` that the user's own records hold (facts carrying both dimensions)."""
    from pilotage.auth import scope
    from pilotage.catalogue import facts as F

    s = scope.scope_of(user, ws)
    sdim, allowed = s
    if not allowed:
        return set()
    reps = ws.db.table("reps")
    if dim in ("rep", "team"):
        col = "rep_id" if dim == "rep" else "team_id"
        own = reps.filter(reps["rep_id" if sdim == "rep" else "team_id"].isin(list(allowed)))
        vals = {str(v) for v in own.select(col).distinct().execute()[col] if v is not None}
        return vals | (set(allowed) if dim == sdim else set())
    cut = query.Cut.make([KPIS[0].id], settings=ws.settings)
    ctx = query.Context(ws.db, ws.settings, cut)
    found: set[str] = set()
    for name, f in F.FACTS.items():
        if f.periodic or dim not in f.dims or sdim not in f.dims or not ctx.available(f.requires):
            continue
        t = ctx.fact(name)
        t = t.filter(t[sdim].cast("string").isin(list(allowed)))
        found |= {str(v) for v in t.select(dim).distinct().execute()[dim] if v is not None}
    return found


def stages(ws: Workspace) -> list[dict]:
    """Each pipeline's stages in order: pipeline, stage, position, default_probability."""
    t = ws.db.table("stages")
    df = t.order_by(["pipeline", "position"]).execute()
    return [{k: _clean(v) for k, v in r.items()} for r in df.to_dict(orient="records")]


def account_names(ws: Workspace, ids) -> dict[str, str]:
    """account_id -> name for the accounts given (the caller's records, already in its scope)."""
    ids = sorted({str(i) for i in ids if i is not None})[:1000]
    if not ids:
        return {}
    t = ws.db.table("accounts")
    df = t.filter(t.account_id.isin(ids)).select("account_id", "name").execute()
    return {str(a): str(n) for a, n in df.itertuples(index=False) if n is not None}


def rep_team(ws: Workspace, rep_id: str) -> str | None:
    """The team of a rep (reps.team_id), None when the rep has none or does not exist."""
    t = ws.db.table("reps")
    df = t.filter(t.rep_id == str(rep_id)).select("team_id").limit(1).execute()
    return None if not len(df) or df["team_id"].iloc[0] is None else str(df["team_id"].iloc[0])
