"""Honest periods: the ranges a reader is shown by default, and which figures are not ripe yet.

Shared by ``pilotage dashboard`` and the web pages' presets, so both say the same thing
(the choices are written down in docs/kpi-semantics.md, "Periods shown by default"):

- **Complete periods by default.** "12 derniers mois" / last 12 months is the last 12
  *complete* months: the current month is never one of them.
- **The data's own today.** When no record falls in the current or the previous month
  (an export whose history ends in 2017), the presets count from the data's last day
  (:attr:`Reference.current_day`), so the default range ends at the data's last complete
  month; :attr:`Reference.stale` tells the page and the CLI to say so.
- **The current period as such, with pace.** "This month" runs from its first day to
  today included, and is compared with the same number of days of the previous period
  (1–4 December vs 1–4 November), never with the whole previous month.
- **Immature cohorts.** A cohort KPI (win rate: of the deals *created* in P, those won)
  keeps changing for as long as that cohort's deals are still open. Its *maturity
  window* is learned from history: the 85th percentile of the days from the cohort
  event to the outcome (creation to close...). A period whose end is less than that
  window before the current day is immature: shown, flagged, and kept out of trend
  colours and comparisons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pilotage.engine import periods as P

def parse_date(value, what: str = "date") -> dt.date | None:
    """A date given as text (``YYYY-MM-DD``) or already a date; None or "" stays None.
    Anything else is a clear error naming the option, never a traceback."""
    from pilotage.errors import InvalidCut

    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidCut(f"{what} {str(value)[:40]!r}: expected a date YYYY-MM-DD") from None


PRESETS = ("month", "last_month", "quarter", "last_quarter", "ytd", "12m")

# The date columns that say how recent the data is.
RECENCY = (("opportunities", "created_at"), ("opportunities", "closed_at"), ("leads", "created_at"),
           ("activities", "occurred_at"), ("orders", "ordered_at"))

# Cohort KPIs: the records are placed by a start event, the numerator counts a later outcome.
# kpi -> (table, start column, outcome column(s)): the maturity window is learned on them.
COHORT_KPIS = {
    "win_rate": ("opportunities", "created_at", ("closed_at",)),
    "stage_conversion": ("opportunities", "created_at", ("closed_at",)),
    "proposal_conversion_rate": ("opportunities", "proposal_sent_at", ("closed_at",)),
    "lead_conversion_rate": ("leads", "created_at", ("converted_at", "disqualified_at")),
    "qualification_rate": ("leads", "created_at", ("qualified_at", "disqualified_at")),
    "campaign_roi": ("opportunities", "created_at", ("closed_at",)),
}
MATURITY_QUANTILE = 0.85
MIN_CLOSED = 10  # fewer outcomes than that: no window is learned (nothing is flagged)
MAX_WINDOW_DAYS = 730


@dataclass(frozen=True)
class Reference:
    """Where "now" is for the presets: today, or the data's last day when the data stopped earlier."""

    today: dt.date  # the real today
    data_end: dt.date | None  # the date of the latest record (None: no data)

    @property
    def stale(self) -> bool:
        """No record in the current nor the previous month: the default range follows the data."""
        return self.data_end is not None and self.data_end < P.add_months(self.today.replace(day=1), -1)

    @property
    def current_day(self) -> dt.date:
        """The last day of the current period (to date): today, or the data's last day."""
        return self.data_end if self.stale else self.today

    @property
    def complete_until(self) -> dt.date:
        """The end (excluded) of the last complete month: the current month's first day, or, on
        stale data, the first day of the month after the data's last day when that day ends a month."""
        return P.floor(self.current_day + dt.timedelta(days=1), "month") if self.stale \
            else self.today.replace(day=1)


def data_end(ws) -> dt.date | None:
    """The date of the latest record (deal created or closed, lead, activity, order)."""
    from pilotage.engine import query

    query._sync(ws.db)
    kept = query.kept(ws.db)  # learned once per data version (the dashboard asks it twice)
    if "data_end" not in kept:
        kept["data_end"] = _data_end(ws)
    return kept["data_end"]


def _data_end(ws) -> dt.date | None:
    latest = None
    for table, col in RECENCY:
        if not ws.db.has_rows(table):  # not a count of every table
            continue
        v = ws.db.table(table)[col].max().execute()
        if v is None or v != v:
            continue
        d = v.date() if isinstance(v, dt.datetime) else (v.date() if hasattr(v, "to_pydatetime") else v)
        latest = d if latest is None else max(latest, d)
    return latest


def reference(ws, today: dt.date | None = None) -> Reference:
    return Reference(today or dt.date.today(), data_end(ws))


@dataclass(frozen=True)
class Window:
    """A range to show: [start, end), and ``to_date`` (month, quarter, year) for a period under way."""

    start: dt.date
    end: dt.date
    to_date: str | None = None


def preset_window(preset: str, ref: Reference, fiscal_start: int = 1) -> Window:
    """[start, end) of a preset: complete periods, or the current one to date (``to_date`` set)."""
    day = ref.current_day
    tomorrow = day + dt.timedelta(days=1)
    if preset in ("month", "quarter", "ytd"):
        grain = {"month": "month", "quarter": "quarter", "ytd": "year"}[preset]
        start = P.floor(day, grain, fiscal_start)
        whole = P.step(start, grain) if grain != "year" else P.add_months(start, 12)
        return Window(start, tomorrow, None if tomorrow >= whole else grain)
    if preset == "last_month":
        m = P.add_months(day.replace(day=1), -1)
        return Window(m, P.add_months(m, 1))
    if preset == "last_quarter":
        q = P.floor(day, "quarter", fiscal_start)
        return Window(P.add_months(q, -3), q)
    if preset == "12m":
        end = ref.complete_until
        return Window(P.add_months(end, -12), end)
    raise ValueError(f"unknown preset {preset!r}: expected one of {', '.join(PRESETS)}")


def default_window(ws, today: dt.date | None = None) -> tuple[Window, Reference]:
    """The last 12 complete months before the reference day, and that reference."""
    ref = reference(ws, today)
    return preset_window("12m", ref), ref


def compare_range(start: dt.date, end: dt.date, compare: str, to_date: str | None = None
                  ) -> tuple[dt.date, dt.date]:
    """The range a figure is compared with.

    ``compare``: "previous" (the previous period) or "year" (one year earlier). A period
    under way (``to_date`` = its grain) is compared on *pace*: the same number of days from
    the start of the previous period (1–4 December vs 1–4 November), clipped to that
    period, never the whole of it. Otherwise the previous range of the same length.
    """
    if compare not in ("previous", "year"):
        from pilotage.errors import InvalidCut

        raise InvalidCut(f"unknown comparison {compare!r}: expected previous or year")
    if compare == "year":
        return P.shift_range(start, end, "year")
    if to_date:
        ps = P.add_months(start, {"month": -1, "quarter": -3, "year": -12}[to_date])
        return ps, min(ps + (end - start), start)
    return P.shift_range(start, end, "period")


# --------------------------------------------------------------------------- immature cohorts
def maturity_days(ws, kpi_id: str) -> int | None:
    """Days after which a cohort has mostly played out: the 85th percentile of the days from the
    cohort event to its outcome (deal creation to close...), learned from history. None: not a
    cohort KPI, or fewer than 10 outcomes to learn from."""
    if kpi_id not in COHORT_KPIS:
        return None
    table, start_col, outcomes = COHORT_KPIS[kpi_id]
    if not ws.db.has_rows(table):  # not a count of every table (a second on PostgreSQL at a million rows)
        return None
    import ibis

    t = ws.db.table(table)
    out = ibis.coalesce(*[t[c] for c in outcomes]) if len(outcomes) > 1 else t[outcomes[0]]
    d = t.filter(t[start_col].notnull(), out.notnull()).select(
        d=out.cast("date").delta(t[start_col].cast("date"), unit="day"))
    n, q = d.aggregate(n=d.count(), q=d.d.quantile(MATURITY_QUANTILE)).execute().iloc[0]
    if n < MIN_CLOSED or q != q:
        return None
    return int(min(max(round(float(q)), 0), MAX_WINDOW_DAYS))


def immature(period_end: dt.date, window: int | None, ref: Reference) -> bool:
    """A cohort period is immature while less than the maturity window has passed since its end."""
    if window is None:
        return False
    return period_end + dt.timedelta(days=window) > ref.current_day + dt.timedelta(days=1)


def cohort_note(ws, kpi_ids, ref: Reference) -> dict[str, dict]:
    """For each cohort KPI among ``kpi_ids``: its maturity window and the date from which periods are immature."""
    out = {}
    for k in kpi_ids:
        w = maturity_days(ws, k)
        if w is not None:
            out[k] = {"window_days": w,
                      "immature_after": ref.current_day + dt.timedelta(days=1) - dt.timedelta(days=w)}
    return out
