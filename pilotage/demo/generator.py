"""Demo data: a realistic canonical CSV folder, from 5 thousand to 1 million deals.

The generator plays a fictional French B2B software vendor over the 36 months
before ``end``. Marketing brings leads through the eleven well-known channels;
reps in three teams qualify them and work the opportunities through two
pipelines; won accounts sign a contract, order again, answer NPS surveys,
recommend others, and some of them churn. Every KPI of the catalogue
(shared/spec/kpi-catalogue.md) has material to show, with the contrasts a sales
manager expects to find: channels that convert far better than others, reps of
uneven skill, a seasonal year (quiet August, busy autumn), a growing business.

How it stays fast and frugal at the large scale (1 M opportunities, 10 M
activities):
- every table is drawn with vectorised numpy, never a Python loop per row
  (loops run over teams, stages, campaigns or chunks only);
- rows are kept as numpy arrays (indices, seconds, cents) and turned into Arrow
  strings and decimals one slice at a time while writing (``_Col``);
- activities, the biggest table, are drawn and written chunk by chunk.

Determinism: each table draws from its own random stream, derived from the seed
and the table's name, so the same seed and ``end`` give byte-identical files and
a change in one table's recipe does not reshuffle the others.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from pilotage.store.schema import ACTIVITY_TYPES, BY_NAME, SOURCES, TABLES

# ---------------------------------------------------------------------------
# Size and shape of the story
# ---------------------------------------------------------------------------

SCALES: dict[str, tuple[int, int]] = {  # scale -> (opportunities, reps)
    "small": (5_000, 24),
    "medium": (100_000, 120),
    "large": (1_000_000, 600),
}
MONTHS_OF_HISTORY = 36
ACTIVITIES_PER_OPPORTUNITY = 10  # all activity kinds together, at every scale
ACCOUNTS_PER_OPPORTUNITY = 1.2  # the CRM also holds companies that never bought
UPSELL_SHARE, RENEWAL_SHARE = 0.10, 0.05  # of opportunities; the rest is new business
WITHOUT_LEAD_SHARE = 0.10  # of new business: deals a rep found without a lead record

# Calendar: a French business year that grows.
GROWTH_PER_YEAR = 1.20
MONTH_FACTOR = np.array([1.15, 1.0, 1.05, 1.0, 0.9, 1.0, 0.85, 0.5, 1.2, 1.2, 1.15, 0.85])
LATE_DECEMBER_FACTOR = 0.35  # from 20 December: the holidays
WEEKEND_FACTOR = 0.08
HOURS = np.arange(8, 19)  # 8:00 .. 18:59, with a lunch dip
HOUR_WEIGHTS = np.array([0.5, 1.0, 1.2, 1.1, 0.5, 0.6, 1.1, 1.1, 1.0, 0.8, 0.4])

# Teams: (name, compensation range in EUR for a rep of the team).
TEAMS = (("Grands comptes", 80_000, 115_000), ("PME", 58_000, 90_000),
         ("Inside sales", 45_000, 65_000))
REP_WIN_RATE = (0.08, 0.36)  # uneven skill: base win rate (channels then shift it: ~10-45 %)
NEW_HIRE_SHARE = 0.10  # reps hired during the period
LEAVERS = 2  # reps who left during the period (at least; 4 % at larger scales)

SEGMENTS = ("SMB", "mid-market", "enterprise")
SEGMENT_SHARE = np.array([0.60, 0.30, 0.10])
SEGMENT_TEAM = np.array([  # P(team | segment): Grands comptes, PME, Inside sales
    [0.00, 0.40, 0.60],
    [0.20, 0.70, 0.10],
    [0.90, 0.10, 0.00],
])
SEGMENT_AMOUNT = np.array([3_000.0, 15_000.0, 60_000.0])  # median deal, EUR (lognormal)
AMOUNT_SIGMA = 0.55
SEGMENT_CYCLE = np.array([[30, 10, 75], [55, 20, 110], [100, 45, 150]])  # days: median, min, max
SEGMENT_WIN = np.array([0.1, 0.0, -0.25])  # logit shift: big deals are harder to win
SEGMENT_CHURN = np.array([0.25, 0.18, 0.10])  # share of customers lost per year
SEGMENT_ORDERS_PER_YEAR = np.array([4.0, 3.0, 2.0])
SEGMENT_BASKET = np.array([800.0, 3_000.0, 10_000.0])  # repeat order, EUR (lognormal)

INDUSTRIES = ("industrie", "services", "santé", "retail", "tech", "transport")
INDUSTRY_SHARE = np.array([0.25, 0.25, 0.12, 0.15, 0.15, 0.08])
REGIONS = ("Île-de-France", "Auvergne-Rhône-Alpes", "Occitanie", "Hauts-de-France",
           "Nouvelle-Aquitaine", "Grand Est")
REGION_SHARE = np.array([0.35, 0.17, 0.12, 0.12, 0.12, 0.12])

# Channels: share of leads, qualification rate, win-rate shift (logit), touches before
# qualification. Referral and word of mouth convert far better than cold emailing.
CHANNELS: dict[str, tuple[float, float, float, float]] = {
    "linkedin": (0.18, 0.40, 0.0, 1.2),
    "cold_email": (0.14, 0.20, -0.7, 3.0),
    "cold_call": (0.10, 0.30, -0.35, 2.5),
    "event": (0.08, 0.45, 0.2, 0.6),
    "website": (0.15, 0.50, 0.2, 0.6),
    "paid_web": (0.12, 0.33, -0.1, 0.6),
    "word_of_mouth": (0.05, 0.60, 0.7, 0.6),
    "referral": (0.05, 0.70, 1.0, 0.6),
    "social_other": (0.04, 0.28, -0.2, 0.6),
    "partner": (0.06, 0.55, 0.5, 0.6),
    "other": (0.03, 0.30, -0.2, 0.6),
}
assert tuple(CHANNELS) == SOURCES
CHANNEL_SHARE = np.array([c[0] for c in CHANNELS.values()])
CHANNEL_QUALIFICATION = np.array([c[1] for c in CHANNELS.values()])
CHANNEL_WIN = np.array([c[2] for c in CHANNELS.values()])
CHANNEL_TOUCHES = np.array([c[3] for c in CHANNELS.values()])
OPPORTUNITY_RATE = 0.75  # qualified leads that become an opportunity
DISQUALIFICATION_RATE = 0.6  # of the leads that never qualify
UNASSIGNED_LEAD_RATE = 0.08  # of the leads that never qualify: nobody picked them up
LEAD_ACCOUNT_RATE = 0.55  # leads without an opportunity that are tied to a company
NON_LEAD_SOURCES = ("cold_call", "event", "partner", "word_of_mouth", None)
NON_LEAD_SOURCE_SHARE = np.array([0.4, 0.2, 0.15, 0.1, 0.15])

# Campaigns: ~20 a year. channel -> (share, name, duration days min/max, cost per lead, fixed cost)
CAMPAIGNS_PER_YEAR = 20
CAMPAIGN_CHANNELS: dict[str, tuple[float, str, int, int, float, float]] = {
    "linkedin": (0.20, "Campagne LinkedIn Ads", 21, 60, 90.0, 1_500.0),
    "paid_web": (0.20, "Campagne Google Ads", 30, 90, 60.0, 1_000.0),
    "event": (0.15, "Salon professionnel", 1, 3, 250.0, 8_000.0),
    "cold_email": (0.15, "Séquence emailing", 7, 21, 15.0, 500.0),
    "website": (0.10, "Webinaire", 1, 1, 50.0, 800.0),
    "social_other": (0.08, "Campagne réseaux sociaux", 14, 45, 35.0, 600.0),
    "partner": (0.07, "Co-marketing partenaire", 30, 90, 120.0, 2_000.0),
    "cold_call": (0.05, "Opération phoning", 10, 30, 40.0, 1_500.0),
}
CAMPAIGN_ATTRIBUTION = 0.7  # leads of the channel arriving during (or 2 weeks after) a campaign
CAMPAIGN_TAIL_DAYS = 14
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")

# Pipelines: name, stages, default probability of each stage.
PIPELINES = (
    ("default", ("Découverte", "Qualification", "Proposition", "Négociation", "Signature"),
     (0.1, 0.2, 0.4, 0.6, 0.9)),
    ("partenaires", ("Qualification", "Proposition", "Signature"), (0.2, 0.5, 0.9)),
)
STAGE_TIME_SHARE = ((0.15, 0.20, 0.35, 0.30), (0.35, 0.65))  # of the cycle, per non-final stage
LOST_AT_STAGE = ((0.35, 0.30, 0.20, 0.15), (0.55, 0.45))  # where lost deals stop
PROPOSAL_STAGE = "Proposition"
PARTNER_PIPELINE_OTHERS = 0.04  # non-partner deals also run in the partner pipeline
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "omitted", "closed")
FORECAST_BY_STAGE = (  # P(pipeline, best_case, commit) of an open deal, per stage
    ((0.9, 0.1, 0.0), (0.7, 0.25, 0.05), (0.3, 0.5, 0.2), (0.1, 0.4, 0.5)),
    ((0.7, 0.25, 0.05), (0.25, 0.5, 0.25)),
)
LOST_REASONS = ("Prix", "Concurrent", "Pas de budget", "Pas de réponse", "Timing")
LOST_REASON_SHARE = np.array([0.25, 0.20, 0.20, 0.20, 0.15])
UPSELL_WIN_SHIFT = 0.9  # existing customers buy more easily
RENEWAL_WIN = 0.92  # renewals of customers who stay
COST_KNOWN_SHARE = 0.8  # won deals with a cost (gross margin)
MARGIN_RANGE = (0.30, 0.70)

# Currencies: share of deals, rate around which the monthly rate wanders.
CURRENCIES = (("USD", 0.05, 0.92), ("GBP", 0.03, 1.17))

# Products: name, list price, unit cost (EUR).
PRODUCTS = (
    ("Licence Starter", 1_200, 420), ("Licence Pro", 4_800, 1_900),
    ("Licence Entreprise", 18_000, 8_100), ("Module Prévisions", 3_600, 1_300),
    ("Intégration CRM", 9_500, 5_900), ("Formation", 2_400, 1_500),
    ("Support Premium", 2_900, 1_200),
)
PRODUCT_MARGIN = np.array([1 - cost / price for _, price, cost in PRODUCTS])
NEW_PRODUCT_SHARE = np.array([  # per segment
    [0.45, 0.30, 0.00, 0.05, 0.00, 0.10, 0.10],
    [0.05, 0.40, 0.10, 0.15, 0.15, 0.10, 0.05],
    [0.00, 0.10, 0.50, 0.10, 0.20, 0.05, 0.05],
])
UPSELL_PRODUCT_SHARE = np.array([
    [0.00, 0.30, 0.00, 0.30, 0.00, 0.20, 0.20],
    [0.00, 0.15, 0.10, 0.30, 0.15, 0.15, 0.15],
    [0.00, 0.00, 0.20, 0.30, 0.20, 0.15, 0.15],
])
# Competitors: name, price factor vs our list price, yearly drift.
COMPETITORS = (("Vendix", 0.85, -0.02), ("Kapta", 1.0, 0.03), ("Optimo", 1.12, 0.05))

# Customers.
CUSTOMER_TOUCHES_PER_YEAR = 2.0  # account-management activities
SURVEYS_PER_YEAR = 0.8
SPONTANEOUS_REFERRALS_PER_YEAR = 0.12
REFERRAL_RECORDED = 0.85  # referral leads whose referrer is known
NPS_SCORES = np.array([  # P(score 0..10): staying customers, churned customers
    [0.01, 0.01, 0.01, 0.01, 0.02, 0.03, 0.04, 0.11, 0.18, 0.30, 0.28],
    [0.02, 0.02, 0.03, 0.04, 0.05, 0.09, 0.11, 0.15, 0.14, 0.18, 0.17],
])

# Activities.
CONTENTS = ("livre-blanc-pilotage-commercial", "etude-de-cas-industrie", "etude-de-cas-retail",
            "webinaire-prevision-ventes", "plaquette-produit", "grille-tarifaire",
            "video-demo", "guide-roi")
CONTENT_USE = (0.35, 0.20)  # opportunities with a content share: won, others (~25 % overall)
OPPORTUNITY_TOUCH_TYPES = np.array([0.38, 0.38, 0.17, 0, 0, 0, 0.07])  # call, email, meeting, other
CUSTOMER_TOUCH_TYPES = np.array([0.30, 0.30, 0.35, 0, 0, 0, 0.05])
SOCIAL_POST_SHARE = 0.03  # of activities
SOCIAL_VIEWS_MEDIAN = 350
QUOTA_REACHED_SHARE = 0.55  # of rep-quarters, when quotas are calibrated

# Ids: prefix and zero-padded width.
ID = {
    "team": ("TEAM-", 1), "rep": ("REP-", 4), "account": ("ACC-", 7), "campaign": ("CMP-", 3),
    "product": ("PRD-", 2), "lead": ("LEAD-", 7), "opportunity": ("OPP-", 7),
    "activity": ("ACT-", 8), "contract": ("CTR-", 7), "order": ("ORD-", 8),
    "survey": ("SRV-", 7), "referral": ("REF-", 7), "quota": ("QTA-", 6),
}

FIRST_NAMES = ("Camille", "Julien", "Sophie", "Nicolas", "Émilie", "Thomas", "Claire", "Antoine",
               "Julie", "Maxime", "Léa", "Alexandre", "Manon", "Guillaume", "Chloé", "Romain",
               "Sarah", "Mathieu", "Laura", "Hugo", "Pauline", "Lucas", "Marion", "Olivier",
               "Céline", "Sébastien", "Anaïs", "Benoît", "Élodie", "Yann", "Inès", "Karim",
               "Nadia", "Aurélie", "Mehdi", "Hélène", "Vincent", "Amandine", "Pierre", "Lina")
LAST_NAMES = ("Martin", "Bernard", "Dubois", "Robert", "Richard", "Petit", "Durand", "Leroy",
              "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand",
              "Roux", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
              "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau",
              "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Perrin", "Morin", "Clément",
              "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
              "Benali", "Nguyen", "Haddad", "Diallo")
COMPANY_WORDS = ("Atlantique", "Provence", "Boréal", "Horizon", "Azur", "Alpes", "Armor",
                 "Lumière", "Solaris", "Cèdre", "Orion", "Mistral", "Vauban", "Rhône", "Loire",
                 "Garonne", "Seine", "Étoile", "Pyrène", "Dupont", "Lefort", "Marchand", "Bertin",
                 "Delorme", "Fabre", "Renaud", "Carré", "Lemaire", "Vidal", "Valmont")
COMPANY_TRADES = ("Industrie", "Conseil", "Distribution", "Logistique", "Solutions",
                  "Technologies", "Services", "Santé", "Énergie", "Bâtiment", "Digital",
                  "Médical", "Équipements", "Systèmes", "Commerce", "Ingénierie")
COMPANY_FORMS = ("SAS", "SA", "SARL", "SASU", "SE")

# Internal codes.
DAY = 86_400
NAT = np.iinfo(np.int64).min  # null timestamp, date or amount
NONE = -1  # null index
FOREVER = np.iinfo(np.int64).max
OPEN, WON, LOST = 0, 1, 2
NEW_BUSINESS, UPSELL, RENEWAL = 0, 1, 2
STAGES = ("Découverte", "Qualification", "Proposition", "Négociation", "Signature")
STAGE_OF = np.array([[STAGES.index(s) for s in p[1]] + [NONE] * (len(STAGES) - len(p[1]))
                     for p in PIPELINES])  # (pipeline, position) -> index in STAGES
CHUNK_ROWS = 1_000_000  # rows turned into Arrow at once when writing
ACTIVITY_CHUNK = 200_000  # opportunities (or leads) whose activities are drawn at once

Progress = Callable[[str], None]


def generate(out_dir: str | Path, seed: int = 42, scale: str = "small",
             end: dt.date | None = None, progress: Progress | None = None) -> dict[str, int]:
    """Write a canonical CSV folder (one <table>.csv per table of pilotage.store.schema.TABLES)
    and return {table: row_count}.

    The data covers the 36 months before ``end`` (default: today, so that nothing is dated
    in the future; same seed and end, same files); nothing is dated on or after ``end`` except
    the expected close dates of open deals and the end of the current quarter's quotas.
    ``scale`` is small (~5 k opportunities), medium (~100 k) or large (~1 M, 10 M activities).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    if isinstance(end, dt.datetime):
        end = end.date()
    n_opportunities, n_reps = SCALES[scale]
    # by default the history stops today: nothing is dated in the future (a demo deal "won"
    # next week would be a lie on the dashboard)
    cal = _Calendar.build(end or dt.date.today())
    out = _CsvFolder(Path(out_dir), progress)

    def rng(name: str) -> np.random.Generator:
        return np.random.default_rng([seed, zlib.crc32(name.encode())])

    reps = _reps_and_teams(rng("reps"), cal, n_reps, out)
    _products(out)
    rates = _exchange_rates(rng("exchange_rates"), cal, out)
    accounts = _Accounts.draw(rng("accounts"), round(ACCOUNTS_PER_OPPORTUNITY * n_opportunities))
    leads = _leads(rng("leads"), cal, reps, accounts, n_opportunities)
    _campaigns(rng("campaigns"), cal, leads, out)
    opps, customers = _opportunities(rng("opportunities"), cal, reps, rates, accounts, leads,
                                     n_opportunities)
    _write_accounts(rng("accounts.created"), cal, accounts, leads, opps, out)
    _write_leads(leads, out)
    _write_opportunities(opps, out)
    _write_stages(out)
    _write_stage_changes(opps, out)
    _activities(rng("activities"), cal, reps, leads, opps, customers, out)
    _contracts(customers, out)
    _orders(rng("orders"), cal, rates, customers, out)
    _surveys(rng("surveys"), cal, customers, out)
    _referrals(rng("referrals"), cal, leads, customers, out)
    _competitor_prices(rng("competitor_prices"), cal, out)
    _quotas(cal, reps, rates, opps, out)
    missing = [t.name for t in TABLES if t.name not in out.counts]
    assert not missing, f"tables not generated: {missing}"
    return {t.name: out.counts[t.name] for t in TABLES}


# ---------------------------------------------------------------------------
# Calendar and time helpers: seconds since 1970 (naive wall clock), days since 1970
# ---------------------------------------------------------------------------

def _month_number(days: np.ndarray) -> np.ndarray:
    """Months since January 1970 of each day."""
    return np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def _month_start(month_number: int) -> int:
    return int(np.datetime64(int(month_number), "M").astype("datetime64[D]").astype(np.int64))


@dataclass(frozen=True)
class _Calendar:
    """The period covered, and how likely each of its days is to see business happen."""

    start_day: int
    end_day: int  # excluded
    days: np.ndarray
    weight: np.ndarray  # growth x month x late December x weekend, sums to 1

    @classmethod
    def build(cls, end: dt.date) -> _Calendar:
        months = end.year * 12 + end.month - 1 - MONTHS_OF_HISTORY
        start = dt.date(months // 12, months % 12 + 1, min(end.day, 28))
        start_day, end_day = (start - dt.date(1970, 1, 1)).days, (end - dt.date(1970, 1, 1)).days
        days = np.arange(start_day, end_day, dtype=np.int64)
        d64 = days.astype("datetime64[D]")
        month = d64.astype("datetime64[M]").astype(np.int64) % 12
        day_of_month = (d64 - d64.astype("datetime64[M]")).astype(np.int64) + 1
        w = GROWTH_PER_YEAR ** ((days - start_day) / 365.25) * MONTH_FACTOR[month]
        w = w * np.where((month == 11) & (day_of_month >= 20), LATE_DECEMBER_FACTOR, 1.0)
        w = w * np.where(_weekday(days) >= 5, WEEKEND_FACTOR, 1.0)
        return cls(start_day, end_day, days, w / w.sum())

    @property
    def end_ts(self) -> int:
        return self.end_day * DAY

    def draw_days(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.days[rng.choice(len(self.days), n, p=self.weight)]

    def draw_ts(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return _at_day(rng, self.draw_days(rng, n))


def _weekday(days: np.ndarray) -> np.ndarray:
    return (days + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0


def _workday(days: np.ndarray) -> np.ndarray:
    """The day itself, or the Monday after when it falls on a weekend."""
    wd = _weekday(days)
    return days + np.where(wd == 5, 2, np.where(wd == 6, 1, 0))


def _at_day(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """A time within office hours of each day."""
    hour = HOURS[rng.choice(len(HOURS), len(days), p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())]
    return days * DAY + hour * 3600 + rng.integers(0, 3600, len(days))


def _after(rng: np.random.Generator, prev: np.ndarray, delay_days: np.ndarray) -> np.ndarray:
    """An office-hours time ``delay_days`` working days after ``prev``, always strictly later."""
    ts = _at_day(rng, _workday(prev // DAY + delay_days))
    return np.maximum(ts, prev + rng.integers(600, 3 * 3600, len(prev)))


def _between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A time between lo and hi (included), in office hours when the window allows it."""
    ts = lo + (rng.random(len(lo)) * (hi - lo)).astype(np.int64)
    return np.clip(_at_day(rng, _workday(ts // DAY)), lo, hi)


def _pick_rows(rng: np.random.Generator, probs: np.ndarray, row_class: np.ndarray) -> np.ndarray:
    """One categorical draw per row, with the probabilities of the row's class."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    return (rng.random(len(row_class))[:, None] >= cum[row_class]).sum(axis=1)


def _cents(euros: np.ndarray, step: float = 0.01) -> np.ndarray:
    """Amounts rounded to ``step`` currency units, as integer cents."""
    return (np.round(np.asarray(euros) / step) * round(step * 100)).astype(np.int64)


# ---------------------------------------------------------------------------
# Writing: numpy columns turned into Arrow a slice at a time
# ---------------------------------------------------------------------------

class _Col:
    """A column kept as numpy data, converted to Arrow one slice at a time (memory-frugal)."""

    def __init__(self, n: int, to_arrow: Callable[[int, int], pa.Array]):
        self.n, self.arrow = n, to_arrow


def _mask(null: np.ndarray) -> np.ndarray | None:
    return null if null.any() else None


def _ids(kind: str, idx: np.ndarray) -> _Col:
    """Ids like OPP-0000042 from 0-based indices (NONE = null)."""
    prefix, width = ID[kind]

    def f(lo: int, hi: int) -> pa.Array:
        v = idx[lo:hi]
        num = pa.array(v + 1, pa.int64(), mask=_mask(v < 0)).cast(pa.string())
        return pc.binary_join_element_wise(prefix, pc.utf8_lpad(num, width=width, padding="0"), "")
    return _Col(len(idx), f)


def _cat(values: tuple[str | None, ...], idx: np.ndarray) -> _Col:
    """Labels from indices into ``values`` (NONE, or a None label, = null)."""
    labels = pa.array(values, pa.string())

    def f(lo: int, hi: int) -> pa.Array:
        v = idx[lo:hi]
        return pc.take(labels, pa.array(v, pa.int64(), mask=_mask(v < 0)))
    return _Col(len(idx), f)


def _text(values: list[str | None]) -> _Col:
    return _Col(len(values), lambda lo, hi: pa.array(values[lo:hi], pa.string()))


def _ts(seconds: np.ndarray) -> _Col:
    def f(lo: int, hi: int) -> pa.Array:
        v = seconds[lo:hi]
        return pa.array(v, pa.timestamp("s"), mask=_mask(v == NAT))
    return _Col(len(seconds), f)


def _date(days: np.ndarray) -> _Col:
    def f(lo: int, hi: int) -> pa.Array:
        v = np.asarray(days[lo:hi])
        null = v == NAT
        return pa.array(np.where(null, 0, v).astype(np.int32), pa.date32(), mask=_mask(null))
    return _Col(len(days), f)


def _money(cents: np.ndarray) -> _Col:
    """decimal(18, 2) built straight from integer cents: exact, and written as 1234.50."""
    def f(lo: int, hi: int) -> pa.Array:
        v = np.asarray(cents[lo:hi], dtype=np.int64)
        null = v == NAT
        v = np.where(null, 0, v)
        words = np.empty((len(v), 2), dtype=np.int64)
        words[:, 0], words[:, 1] = v, v >> 63  # 128-bit little-endian two's complement
        validity = pa.py_buffer(np.packbits(~null, bitorder="little")) if null.any() else None
        return pa.Array.from_buffers(pa.decimal128(18, 2), len(v), [validity, pa.py_buffer(words)],
                                     null_count=int(null.sum()))
    return _Col(len(cents), f)


def _int(values: np.ndarray) -> _Col:
    def f(lo: int, hi: int) -> pa.Array:
        v = values[lo:hi]
        return pa.array(v, pa.int64(), mask=_mask(v < 0))
    return _Col(len(values), f)


def _float(values: np.ndarray) -> _Col:
    return _Col(len(values), lambda lo, hi: pa.array(values[lo:hi], pa.float64()))


class _TableFile:
    """One <table>.csv, appended to chunk by chunk; columns must follow the schema's order."""

    def __init__(self, folder: _CsvFolder, name: str):
        self.folder, self.name, self.rows = folder, name, 0
        self.columns = BY_NAME[name].column_names
        self.file = open(folder.dir / f"{name}.csv", "wb")  # noqa: SIM115 - closed in close()
        self.file.write((",".join(self.columns) + "\n").encode())  # unquoted header
        self.writer: pacsv.CSVWriter | None = None

    def append(self, columns: dict[str, _Col]) -> None:
        assert list(columns) == self.columns, (self.name, list(columns))
        n = next(iter(columns.values())).n
        assert all(c.n == n for c in columns.values()), self.name
        for lo in range(0, max(n, 1), CHUNK_ROWS):
            hi = min(n, lo + CHUNK_ROWS)
            batch = pa.record_batch([c.arrow(lo, hi) for c in columns.values()], names=self.columns)
            if self.writer is None:
                options = pacsv.WriteOptions(include_header=False, quoting_style="none")
                self.writer = pacsv.CSVWriter(self.file, batch.schema, write_options=options)
            self.writer.write_batch(batch)
        self.rows += n

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.file.close()
        self.folder.counts[self.name] = self.rows
        if self.folder.progress:
            self.folder.progress(f"{self.name}: {self.rows:,} rows")


class _CsvFolder:
    def __init__(self, path: Path, progress: Progress | None):
        path.mkdir(parents=True, exist_ok=True)
        self.dir, self.progress, self.counts = path, progress, {}

    def open(self, name: str) -> _TableFile:
        return _TableFile(self, name)

    def write(self, name: str, columns: dict[str, _Col]) -> None:
        table = self.open(name)
        table.append(columns)
        table.close()


# ---------------------------------------------------------------------------
# Teams and reps
# ---------------------------------------------------------------------------

@dataclass
class _Reps:
    team: np.ndarray  # team index of each rep
    manager: np.ndarray  # rep index of each team's manager
    members: list[np.ndarray]  # rep indices of each team
    skill: np.ndarray  # base win rate
    hire_ts: np.ndarray
    left_ts: np.ndarray  # FOREVER when still there

    def active(self, rep: np.ndarray, ts: np.ndarray) -> np.ndarray:
        return (self.hire_ts[rep] <= ts) & (ts < self.left_ts[rep])

    def pick(self, rng: np.random.Generator, team: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """A rep of the given team who worked there at ``ts`` (the manager as a last resort)."""
        out = self.manager[team]
        for t, members in enumerate(self.members):
            pending = np.flatnonzero(team == t)
            for _ in range(8):
                cand = members[rng.integers(0, len(members), len(pending))]
                ok = self.active(cand, ts[pending])
                out[pending[ok]] = cand[ok]
                pending = pending[~ok]
                if not len(pending):
                    break
        return out

    def on_duty(self, rep: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """The rep, or their team's manager when the rep was not (or no longer) there at ``ts``."""
        return np.where(self.active(rep, ts), rep, self.manager[self.team[rep]])


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _reps_and_teams(rng: np.random.Generator, cal: _Calendar, n: int, out: _CsvFolder) -> _Reps:
    """Three teams of equal size, each led by a manager who sells too. Skill is uneven (base win
    rate 10-40 %), a few reps join during the period and a couple leave, so that per-rep KPIs and
    quota attainment have contrasts and the importer's date handling is exercised."""
    sizes = [len(a) for a in np.array_split(np.arange(n), len(TEAMS))]
    team = np.repeat(np.arange(len(TEAMS)), sizes)
    manager = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    members = [np.flatnonzero(team == t) for t in range(len(TEAMS))]
    skill = rng.uniform(*REP_WIN_RATE, n)
    skill[manager] = rng.uniform(0.22, REP_WIN_RATE[1], len(manager))

    hired = cal.start_day - rng.integers(90, 8 * 365, n)
    left = np.full(n, NAT)
    others = np.setdiff1d(np.arange(n), manager)
    newcomers = rng.choice(others, max(1, round(NEW_HIRE_SHARE * n)), replace=False)
    hired[newcomers] = cal.start_day + rng.integers(20, 720, len(newcomers))
    veterans = np.setdiff1d(others, newcomers)
    leavers = rng.choice(veterans, max(LEAVERS, round(0.04 * n)), replace=False)
    span = cal.end_day - cal.start_day
    left[leavers] = cal.start_day + rng.integers(180, span - 30, len(leavers))

    combos = [(f, la) for f in FIRST_NAMES for la in LAST_NAMES]
    names = [f"{combos[i][0]} {combos[i][1]}" for i in rng.choice(len(combos), n, replace=False)]
    emails = [_ascii(name).replace(" ", ".") + "@demo-pilotage.fr" for name in names]
    low = np.array([t[1] for t in TEAMS])[team]
    high = np.array([t[2] for t in TEAMS])[team]
    pay = rng.uniform(low, high)
    pay[manager] = np.minimum(pay[manager] + 12_000, 120_000)

    out.write("teams", {
        "team_id": _ids("team", np.arange(len(TEAMS))),
        "name": _text([t[0] for t in TEAMS]),
        "manager_rep_id": _ids("rep", manager),
        "parent_team_id": _ids("team", np.full(len(TEAMS), -1)),  # flat: three teams, no sub-team
    })
    out.write("reps", {
        "rep_id": _ids("rep", np.arange(n)), "name": _text(names), "email": _text(emails),
        "team_id": _ids("team", team), "hired_on": _date(hired), "left_on": _date(left),
        "annual_compensation": _money(_cents(pay, 500)),
    })
    left_ts = np.where(left == NAT, FOREVER, left * DAY)
    return _Reps(team, manager, members, skill, hired * DAY, left_ts)


def _products(out: _CsvFolder) -> None:
    out.write("products", {
        "product_id": _ids("product", np.arange(len(PRODUCTS))),
        "name": _text([p[0] for p in PRODUCTS]),
        "list_price": _money(_cents(np.array([p[1] for p in PRODUCTS]))),
        "unit_cost": _money(_cents(np.array([p[2] for p in PRODUCTS]))),
    })


# ---------------------------------------------------------------------------
# Exchange rates
# ---------------------------------------------------------------------------

@dataclass
class _Rates:
    first_month: int
    rates: np.ndarray  # (currency, month) -> EUR for 1 unit

    def to_eur(self, currency: np.ndarray, days: np.ndarray) -> np.ndarray:
        """The rate in force on each day (1 for euros, currency NONE)."""
        m = np.clip(_month_number(days) - self.first_month, 0, self.rates.shape[1] - 1)
        return np.where(currency < 0, 1.0, self.rates[np.maximum(currency, 0), m])


def _exchange_rates(rng: np.random.Generator, cal: _Calendar, out: _CsvFolder) -> _Rates:
    """A monthly rate per foreign currency, wandering (mean-reverting) around its usual level."""
    first, last = int(_month_number(cal.start_day)), int(_month_number(cal.end_day - 1))
    n_months = last - first + 1
    rates = np.empty((len(CURRENCIES), n_months))
    for c, (_, _, level) in enumerate(CURRENCIES):
        x = math.log(level) + rng.normal(0, 0.02)
        for m in range(n_months):  # 36 steps per currency
            x += rng.normal(0, 0.012) + 0.15 * (math.log(level) - x)
            rates[c, m] = x
    rates = np.round(np.exp(rates), 4)
    starts = np.array([_month_start(m) for m in range(first, last + 1)])
    out.write("exchange_rates", {
        "currency": _cat(tuple(c[0] for c in CURRENCIES),
                         np.repeat(np.arange(len(CURRENCIES)), n_months)),
        "valid_from": _date(np.tile(starts, len(CURRENCIES))),
        "rate": _float(rates.ravel()),
    })
    return _Rates(first, rates)


# ---------------------------------------------------------------------------
# Accounts, leads, campaigns
# ---------------------------------------------------------------------------

@dataclass
class _Accounts:
    segment: np.ndarray
    by_segment: np.ndarray  # account indices sorted by segment
    segment_start: np.ndarray  # offset of each segment in by_segment
    segment_size: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> _Accounts:
        segment = rng.choice(len(SEGMENTS), n, p=SEGMENT_SHARE)
        order = np.argsort(segment, kind="stable")
        size = np.bincount(segment, minlength=len(SEGMENTS))
        return cls(segment, order, np.concatenate([[0], np.cumsum(size)[:-1]]), size)

    def pick(self, rng: np.random.Generator, segment: np.ndarray) -> np.ndarray:
        """A random company of each segment: several contacts may come from the same one."""
        k = (rng.random(len(segment)) * self.segment_size[segment]).astype(np.int64)
        return self.by_segment[self.segment_start[segment] + k]


@dataclass
class _Leads:
    created: np.ndarray
    source: np.ndarray
    segment: np.ndarray
    owner: np.ndarray
    account: np.ndarray
    qualified: np.ndarray
    disqualified: np.ndarray
    opportunity_created: np.ndarray  # NAT for the leads that did not become a deal
    campaign: np.ndarray  # set by _campaigns
    converted: np.ndarray  # set by _opportunities


def _leads(rng: np.random.Generator, cal: _Calendar, reps: _Reps, accounts: _Accounts,
           n_opportunities: int) -> _Leads:
    """Leads arrive with the calendar's seasonality and growth, through channels of very
    different quality: the funnel lead -> qualified -> opportunity is drawn here, the deal's
    outcome later. The number of leads is set so that the funnel yields the wanted deals."""
    from_leads = n_opportunities * (1 - UPSELL_SHARE - RENEWAL_SHARE) * (1 - WITHOUT_LEAD_SHARE)
    yield_per_lead = (CHANNEL_SHARE @ CHANNEL_QUALIFICATION) * OPPORTUNITY_RATE * 0.97
    n = round(from_leads / yield_per_lead)
    created = np.sort(cal.draw_ts(rng, n))
    source = rng.choice(len(SOURCES), n, p=CHANNEL_SHARE)
    segment = rng.choice(len(SEGMENTS), n, p=SEGMENT_SHARE)
    owner = reps.pick(rng, _pick_rows(rng, SEGMENT_TEAM, segment), created)

    qualified = np.full(n, NAT)
    will_qualify = rng.random(n) < CHANNEL_QUALIFICATION[source]
    will = np.flatnonzero(will_qualify)
    qualified[will] = _after(rng, created[will], rng.exponential(4, len(will)).astype(np.int64))
    qualified[qualified >= cal.end_ts] = NAT  # not yet: recent leads are still being worked
    q = np.flatnonzero((qualified != NAT) & (rng.random(n) < OPPORTUNITY_RATE))
    opportunity_created = np.full(n, NAT)
    opportunity_created[q] = _after(rng, qualified[q], rng.exponential(3, len(q)).astype(np.int64))
    opportunity_created[opportunity_created >= cal.end_ts] = NAT

    never = ~will_qualify
    disqualified = np.full(n, NAT)
    d = np.flatnonzero(never & (rng.random(n) < DISQUALIFICATION_RATE))
    disqualified[d] = _after(rng, created[d], rng.integers(1, 40, len(d)))
    disqualified[disqualified >= cal.end_ts] = NAT
    owner[never & (rng.random(n) < UNASSIGNED_LEAD_RATE)] = NONE

    account = np.full(n, NONE)
    has = (opportunity_created != NAT) | (rng.random(n) < LEAD_ACCOUNT_RATE)
    account[has] = accounts.pick(rng, segment[has])
    return _Leads(created, source, segment, owner, account, qualified, disqualified,
                  opportunity_created, np.full(n, NONE), np.full(n, NAT))


def _campaigns(rng: np.random.Generator, cal: _Calendar, leads: _Leads, out: _CsvFolder) -> None:
    """~20 campaigns a year. A lead of the campaign's channel arriving while it runs (or in the
    two weeks after) is attributed to it most of the time; its cost is the channel's cost per
    lead times the leads it brought, plus a fixed part, so cost per lead and ROI are plausible
    at every scale."""
    channels = tuple(CAMPAIGN_CHANNELS)
    spec = list(CAMPAIGN_CHANNELS.values())
    n = round(CAMPAIGNS_PER_YEAR * MONTHS_OF_HISTORY / 12)
    started = np.sort(cal.draw_days(rng, n))
    channel = rng.choice(len(channels), n, p=np.array([s[0] for s in spec]))
    duration = np.array([rng.integers(spec[c][2], spec[c][3] + 1) for c in channel])
    ended = started + duration - 1
    cost = np.zeros(n)
    day = leads.created // DAY
    u = rng.random(len(day))
    for i in range(n):  # one vectorised pass over the leads per campaign
        source = SOURCES.index(channels[channel[i]])
        hit = np.flatnonzero((leads.source == source) & (day >= started[i])
                             & (day <= ended[i] + CAMPAIGN_TAIL_DAYS) & (leads.campaign == NONE)
                             & (u < CAMPAIGN_ATTRIBUTION))
        leads.campaign[hit] = i
        cost[i] = len(hit) * spec[channel[i]][4] * rng.uniform(0.8, 1.25) + spec[channel[i]][5]
    month = _month_number(started) % 12
    year = _month_number(started) // 12 + 1970
    names = [f"{spec[c][1]} {MONTHS_FR[m]} {y}"
             for c, m, y in zip(channel, month, year, strict=True)]
    out.write("campaigns", {
        "campaign_id": _ids("campaign", np.arange(n)), "name": _text(names),
        "channel": _cat(channels, channel), "started_on": _date(started),
        "ended_on": _date(np.where(ended < cal.end_day, ended, NAT)),  # still running: no end yet
        "cost": _money(_cents(cost, 1)),
    })


# ---------------------------------------------------------------------------
# Opportunities and their history
# ---------------------------------------------------------------------------

def _timeline(rng: np.random.Generator, cal: _Calendar, created: np.ndarray, pipeline: np.ndarray,
              segment: np.ndarray, won: np.ndarray, cycle_factor: float) -> dict[str, np.ndarray]:
    """When each deal entered each stage of its pipeline, and when it closed.

    A deal's full cycle (10-150 days, longest for enterprise) is split across its stages; a won
    deal enters the last stage (Signature) the day it is signed; a lost deal lingers in the
    stage it is lost at, sometimes for weeks (no answer), before the rep closes it.
    Whatever would happen on or after ``end`` has not happened yet: the deal is open, at the
    last stage it reached.
    """
    n = len(created)
    med, lo, hi = (SEGMENT_CYCLE[segment, i] for i in range(3))
    cycle = np.maximum(np.clip(med * rng.lognormal(0, 0.4, n), lo, hi) * cycle_factor, 5)
    entered = np.full((n, len(STAGES)), NAT)
    closed = np.full(n, NAT)
    planned_close = np.zeros(n, np.int64)
    for p, (_, stages, _) in enumerate(PIPELINES):
        rows = np.flatnonzero(pipeline == p)
        m, k = len(rows), len(stages)
        share = np.array(STAGE_TIME_SHARE[p]) * rng.uniform(0.6, 1.4, (m, k - 1))
        days_in = share / share.sum(axis=1, keepdims=True) * cycle[rows, None]
        e = np.empty((m, k), np.int64)
        e[:, 0] = created[rows]
        for j in range(1, k):
            e[:, j] = _after(rng, e[:, j - 1], np.round(days_in[:, j - 1]).astype(np.int64))
        lost_at = rng.choice(k - 1, m, p=LOST_AT_STAGE[p])
        r = np.arange(m)
        linger = days_in[r, lost_at] * rng.uniform(0.5, 1.5, m) + rng.exponential(0.3 * cycle[rows])
        lost_close = _after(rng, e[r, lost_at], np.round(linger).astype(np.int64))
        w = won[rows]
        last = np.where(w, k - 1, lost_at)
        closed[rows] = np.where(w, e[:, k - 1], lost_close)
        planned_close[rows] = e[:, k - 1] // DAY
        entered[rows, :k] = np.where(np.arange(k)[None, :] <= last[:, None], e, NAT)
    is_open = closed >= cal.end_ts
    closed[is_open] = NAT
    entered[entered >= cal.end_ts] = NAT
    position = (entered != NAT).sum(axis=1) - 1  # stages reached form a prefix
    status = np.where(is_open, OPEN, np.where(won, WON, LOST))

    proposal = np.full(n, NAT)
    for p, (_, stages, _) in enumerate(PIPELINES):
        j = stages.index(PROPOSAL_STAGE)
        rows = np.flatnonzero((pipeline == p) & (entered[:, j] != NAT))
        start = entered[rows, j]
        nxt = entered[rows, j + 1]
        bound = np.where(nxt != NAT, nxt, np.where(closed[rows] != NAT, closed[rows], cal.end_ts))
        sent = _after(rng, start, rng.integers(0, 3, len(rows)))
        proposal[rows] = np.where(sent < bound, sent, start + (bound - start) // 3)
    return {"entered": entered, "closed": closed, "status": status, "position": position,
            "planned_close": planned_close, "proposal": proposal}


def _deals(rng: np.random.Generator, cal: _Calendar, reps: _Reps, rates: _Rates, *,
           created: np.ndarray, owner: np.ndarray, segment: np.ndarray, source: np.ndarray,
           lead: np.ndarray, account: np.ndarray, kind: int, pipeline: np.ndarray,
           product_share: np.ndarray, won: np.ndarray | None = None,
           amount_eur: np.ndarray | None = None, product: np.ndarray | None = None,
           win_shift: float = 0.0, amount_factor: float = 1.0, cycle_factor: float = 1.0,
           foreign: bool = True) -> dict[str, np.ndarray]:
    """Everything about a set of deals once who, when and for whom is known: outcome (from the
    rep's skill, the channel and the segment), product, amount, currency, margin, history."""
    n = len(created)
    if won is None:
        logit = (np.log(reps.skill[owner] / (1 - reps.skill[owner]))
                 + np.where(source >= 0, CHANNEL_WIN[source], 0) + SEGMENT_WIN[segment] + win_shift)
        won = rng.random(n) < 1 / (1 + np.exp(-logit))
    if product is None:
        product = _pick_rows(rng, product_share, segment)
    if amount_eur is None:
        amount_eur = SEGMENT_AMOUNT[segment] * amount_factor * rng.lognormal(0, AMOUNT_SIGMA, n)
    currency = np.full(n, NONE)
    if foreign:
        u = rng.random(n)
        bounds = np.cumsum([c[1] for c in CURRENCIES])
        for c in range(len(CURRENCIES) - 1, -1, -1):
            currency[u < bounds[c]] = c
    amount = np.maximum(_cents(amount_eur / rates.to_eur(currency, created // DAY), 10), 10_000)
    t = _timeline(rng, cal, created, pipeline, segment, won, cycle_factor)
    status = t["status"]

    has_cost = (status == WON) & (rng.random(n) < COST_KNOWN_SHARE)
    margin = np.clip(PRODUCT_MARGIN[product] + rng.normal(0, 0.08, n), *MARGIN_RANGE)
    cost = np.where(has_cost, _cents(amount / 100 * (1 - margin)), NAT)
    reason = rng.choice(len(LOST_REASONS), n, p=LOST_REASON_SHARE)
    lost_reason = np.where(status == LOST, reason, NONE)
    last_open = np.array([len(f) - 1 for f in FORECAST_BY_STAGE])[pipeline]
    stage_class = (np.array([0, len(FORECAST_BY_STAGE[0])])[pipeline]
                   + np.minimum(t["position"], last_open))
    forecast_table = np.array([row for p in FORECAST_BY_STAGE for row in p])
    forecast = np.where(status == OPEN, _pick_rows(rng, forecast_table, stage_class),
                        FORECAST_CATEGORIES.index("closed"))
    expected = t["planned_close"] + rng.integers(-10, 21, n)
    expected = np.where(expected < cal.end_day, cal.end_day + rng.integers(0, 30, n), expected)
    # A rep who leaves hands their unfinished deals to the team's manager.
    until = np.where(t["closed"] != NAT, t["closed"], cal.end_ts)
    owner = np.where(reps.left_ts[owner] <= until, reps.manager[reps.team[owner]], owner)
    return {
        "lead": lead, "account": account, "owner": owner, "source": source,
        "kind": np.full(n, kind), "pipeline": pipeline, "created": created,
        "expected": np.where(status == OPEN, expected, NAT), "forecast": forecast,
        "stage": STAGE_OF[pipeline, t["position"]], "status": status, "amount": amount,
        "currency": currency, "cost": cost, "proposal": t["proposal"], "closed": t["closed"],
        "product": product, "lost_reason": lost_reason, "segment": segment,
        "entered": t["entered"],
    }


@dataclass
class _Customers:
    """Accounts that won a first new-business deal: one contract each."""

    account: np.ndarray
    start_ts: np.ndarray  # the deal's signature
    end_day: np.ndarray  # NAT while still a customer
    segment: np.ndarray
    owner: np.ndarray
    product: np.ndarray
    currency: np.ndarray
    first_amount: np.ndarray  # the first deal, in its currency (cents)
    recurring: np.ndarray  # per month, EUR cents

    @property
    def start_day(self) -> np.ndarray:
        return self.start_ts // DAY

    def until_day(self, cal: _Calendar) -> np.ndarray:
        return np.where(self.end_day == NAT, cal.end_day, self.end_day)


def _opportunities(rng: np.random.Generator, cal: _Calendar, reps: _Reps, rates: _Rates,
                   accounts: _Accounts, leads: _Leads, n_target: int) -> tuple[dict, _Customers]:
    """New business (mostly from qualified leads, some found by reps), then the customers it
    makes, then upsells to those customers and renewals of their contracts."""
    # New business from leads and without a lead.
    li = np.flatnonzero(leads.opportunity_created != NAT)
    n_direct = round(n_target * (1 - UPSELL_SHARE - RENEWAL_SHARE) * WITHOUT_LEAD_SHARE)
    d_created = cal.draw_ts(rng, n_direct)
    d_segment = rng.choice(len(SEGMENTS), n_direct, p=SEGMENT_SHARE)
    d_source = rng.choice(len(NON_LEAD_SOURCES), n_direct, p=NON_LEAD_SOURCE_SHARE)
    d_source = np.array([SOURCES.index(s) if s else NONE for s in NON_LEAD_SOURCES])[d_source]
    source = np.concatenate([leads.source[li], d_source])
    partner = SOURCES.index("partner")
    nb = _deals(
        rng, cal, reps, rates,
        created=np.concatenate([leads.opportunity_created[li], d_created]),
        owner=np.concatenate([leads.owner[li],
                              reps.pick(rng, _pick_rows(rng, SEGMENT_TEAM, d_segment), d_created)]),
        segment=np.concatenate([leads.segment[li], d_segment]), source=source,
        lead=np.concatenate([li, np.full(n_direct, NONE)]),
        account=np.concatenate([leads.account[li], accounts.pick(rng, d_segment)]),
        kind=NEW_BUSINESS, product_share=NEW_PRODUCT_SHARE,
        pipeline=((source == partner)
                  | (rng.random(len(source)) < PARTNER_PIPELINE_OTHERS)).astype(np.int64),
    )
    customers = _customers(rng, cal, rates, nb)

    # Upsells: at any time while a customer is active, more so for long-lived customers.
    until = customers.until_day(cal)
    window = until - customers.start_day - 30
    ok = np.flatnonzero(window > 0)
    n_up = round(n_target * UPSELL_SHARE)
    c = rng.choice(ok, n_up, p=window[ok] / window[ok].sum())
    day = customers.start_day[c] + 30 + (rng.random(n_up) * window[c]).astype(np.int64)
    up_created = _at_day(rng, np.minimum(_workday(day), cal.end_day - 1))
    up_owner = customers.owner[c]
    gone = ~reps.active(up_owner, up_created)
    up_owner[gone] = reps.pick(rng, reps.team[up_owner[gone]], up_created[gone])
    up = _deals(rng, cal, reps, rates, created=up_created, owner=up_owner,
                segment=customers.segment[c], source=np.full(n_up, NONE), lead=np.full(n_up, NONE),
                account=customers.account[c], kind=UPSELL, pipeline=np.zeros(n_up, np.int64),
                product_share=UPSELL_PRODUCT_SHARE, win_shift=UPSELL_WIN_SHIFT,
                amount_factor=0.3, cycle_factor=0.6)

    # Renewals: a month before each anniversary; lost when the customer is about to leave.
    cand, cand_day = [], []
    for years in (1, 2):
        day = customers.start_day + 365 * years - rng.integers(20, 46, len(until))
        keep = (day < cal.end_day) & ((customers.end_day == NAT) | (customers.end_day > day))
        cand.append(np.flatnonzero(keep))
        cand_day.append(day[keep])
    cand, cand_day = np.concatenate(cand), np.concatenate(cand_day)
    pick = rng.random(len(cand)) < min(1.0, n_target * RENEWAL_SHARE / max(len(cand), 1))
    c, day = cand[pick], cand_day[pick]
    re_created = _at_day(rng, np.minimum(_workday(day), cal.end_day - 1))
    leaving = (customers.end_day[c] != NAT) & (customers.end_day[c] <= day + 120)
    re_owner = customers.owner[c]
    gone = ~reps.active(re_owner, re_created)
    re_owner[gone] = reps.pick(rng, reps.team[re_owner[gone]], re_created[gone])
    n_re = len(c)
    re = _deals(rng, cal, reps, rates, created=re_created, owner=re_owner,
                segment=customers.segment[c], source=np.full(n_re, NONE), lead=np.full(n_re, NONE),
                account=customers.account[c], kind=RENEWAL, pipeline=np.zeros(n_re, np.int64),
                product_share=NEW_PRODUCT_SHARE, product=customers.product[c],
                won=~leaving & (rng.random(n_re) < RENEWAL_WIN),
                amount_eur=customers.recurring[c] / 100 * 12 * rng.uniform(0.95, 1.1, n_re),
                cycle_factor=0.4, foreign=False)

    # All deals, numbered in order of creation.
    order = np.argsort(np.concatenate([nb["created"], up["created"], re["created"]]), kind="stable")
    opps = {k: np.concatenate([nb[k], up[k], re[k]])[order] for k in nb}
    won_lead = (opps["lead"] >= 0) & (opps["status"] == WON)
    leads.converted[opps["lead"][won_lead]] = opps["closed"][won_lead]
    return opps, customers


def _customers(rng: np.random.Generator, cal: _Calendar, rates: _Rates, nb: dict) -> _Customers:
    """One customer per account that won new business, from its first win; each leaves at a
    yearly rate of 10-25 % depending on its segment (churn)."""
    won = np.flatnonzero(nb["status"] == WON)
    won = won[np.argsort(nb["closed"][won], kind="stable")]
    _, first = np.unique(nb["account"][won], return_index=True)
    i = won[np.sort(first)]
    n = len(i)
    start_ts, segment = nb["closed"][i], nb["segment"][i]
    yearly_hazard = -np.log(1 - SEGMENT_CHURN[segment])
    stay = np.maximum(rng.exponential(365.25 / yearly_hazard, n).astype(np.int64), 30)
    end_day = start_ts // DAY + stay
    amount_eur = nb["amount"][i] * rates.to_eur(nb["currency"][i], start_ts // DAY)
    return _Customers(
        account=nb["account"][i], start_ts=start_ts,
        end_day=np.where(end_day < cal.end_day, end_day, NAT), segment=segment,
        owner=nb["owner"][i], product=nb["product"][i], currency=nb["currency"][i],
        first_amount=nb["amount"][i], recurring=_cents(amount_eur / 100 / 12),
    )


def _write_opportunities(o: dict, out: _CsvFolder) -> None:
    n = len(o["created"])
    out.write("opportunities", {
        "opportunity_id": _ids("opportunity", np.arange(n)), "lead_id": _ids("lead", o["lead"]),
        "account_id": _ids("account", o["account"]), "owner_rep_id": _ids("rep", o["owner"]),
        "source": _cat(SOURCES, o["source"]),
        "kind": _cat(("new_business", "upsell", "renewal"), o["kind"]),
        "pipeline": _cat(tuple(p[0] for p in PIPELINES), o["pipeline"]),
        "created_at": _ts(o["created"]), "expected_close_date": _date(o["expected"] ),
        "forecast_category": _cat(FORECAST_CATEGORIES, o["forecast"]),
        "stage": _cat(STAGES, o["stage"]), "status": _cat(("open", "won", "lost"), o["status"]),
        "amount": _money(o["amount"]),
        "currency": _cat(tuple(c[0] for c in CURRENCIES), o["currency"]),
        "cost": _money(o["cost"]), "proposal_sent_at": _ts(o["proposal"]),
        "closed_at": _ts(o["closed"]), "product_id": _ids("product", o["product"]),
        "lost_reason": _cat(LOST_REASONS, o["lost_reason"]),
    })


def _write_stages(out: _CsvFolder) -> None:
    rows = [(p, s, i + 1, prob) for p, stages, probs in PIPELINES
            for i, (s, prob) in enumerate(zip(stages, probs, strict=True))]
    out.write("stages", {
        "pipeline": _text([r[0] for r in rows]), "stage": _text([r[1] for r in rows]),
        "position": _int(np.array([r[2] for r in rows])),
        "default_probability": _float(np.array([r[3] for r in rows])),
    })


def _write_stage_changes(o: dict, out: _CsvFolder) -> None:
    """One row per stage each deal went through, in order (row-major walk of the matrix)."""
    opp, position = np.nonzero(o["entered"] != NAT)
    out.write("stage_changes", {
        "opportunity_id": _ids("opportunity", opp),
        "stage": _cat(STAGES, STAGE_OF[o["pipeline"][opp], position]),
        "entered_at": _ts(o["entered"][opp, position]),
    })


def _write_accounts(rng: np.random.Generator, cal: _Calendar, accounts: _Accounts, leads: _Leads,
                    opps: dict, out: _CsvFolder) -> None:
    """Companies: created in the CRM a little before their first lead or deal (or at any time
    for those never worked), with a French-sounding name, industry and region."""
    n = len(accounts.segment)
    first = np.full(n, FOREVER)
    has = leads.account >= 0
    np.minimum.at(first, leads.account[has], leads.created[has] // DAY)
    np.minimum.at(first, opps["account"], opps["created"] // DAY)
    created = np.where(first < FOREVER, np.maximum(first - rng.integers(0, 90, n), cal.start_day),
                       cal.draw_days(rng, n))
    words, trades, forms = (pa.array(v) for v in (COMPANY_WORDS, COMPANY_TRADES, COMPANY_FORMS))
    parts = [rng.integers(0, len(v), n) for v in (COMPANY_WORDS, COMPANY_TRADES, COMPANY_FORMS)]

    def name(lo: int, hi: int) -> pa.Array:
        columns = (pc.take(v, p[lo:hi]) for v, p in zip((words, trades, forms), parts, strict=True))
        return pc.binary_join_element_wise(*columns, " ")
    out.write("accounts", {
        "account_id": _ids("account", np.arange(n)), "name": _Col(n, name),
        "segment": _cat(SEGMENTS, accounts.segment),
        "industry": _cat(INDUSTRIES, rng.choice(len(INDUSTRIES), n, p=INDUSTRY_SHARE)),
        "region": _cat(REGIONS, rng.choice(len(REGIONS), n, p=REGION_SHARE)),
        "created_at": _date(created),
    })


def _write_leads(leads: _Leads, out: _CsvFolder) -> None:
    out.write("leads", {
        "lead_id": _ids("lead", np.arange(len(leads.created))), "created_at": _ts(leads.created),
        "source": _cat(SOURCES, leads.source), "campaign_id": _ids("campaign", leads.campaign),
        "owner_rep_id": _ids("rep", leads.owner), "account_id": _ids("account", leads.account),
        "qualified_at": _ts(leads.qualified), "converted_at": _ts(leads.converted),
        "disqualified_at": _ts(leads.disqualified),
    })


# ---------------------------------------------------------------------------
# Activities
# ---------------------------------------------------------------------------

def _activity_rows(rep: np.ndarray, type_: np.ndarray | int, ts: np.ndarray, *,
                   lead: np.ndarray | None = None, opp: np.ndarray | None = None,
                   account: np.ndarray | None = None, content: np.ndarray | None = None,
                   views: np.ndarray | None = None, likes: np.ndarray | None = None) -> dict:
    n = len(ts)
    none = np.full(n, NONE)

    def col(v: np.ndarray | int | None) -> np.ndarray:
        return none if v is None else np.broadcast_to(np.asarray(v), (n,))
    return {"rep": rep, "type": col(type_), "ts": ts, "lead": col(lead), "opp": col(opp),
            "account": col(account), "content": col(content), "views": col(views),
            "likes": col(likes)}


def _append_activities(table: _TableFile, parts: list[dict]) -> None:
    a = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    n = len(a["ts"])
    table.append({
        "activity_id": _ids("activity", np.arange(table.rows, table.rows + n)),
        "rep_id": _ids("rep", a["rep"]), "type": _cat(ACTIVITY_TYPES, a["type"]),
        "occurred_at": _ts(a["ts"]), "lead_id": _ids("lead", a["lead"]),
        "opportunity_id": _ids("opportunity", a["opp"]),
        "account_id": _ids("account", a["account"]),
        "content_id": _cat(CONTENTS, a["content"]), "views": _int(a["views"]),
        "likes": _int(a["likes"]),
    })


def _activities(rng: np.random.Generator, cal: _Calendar, reps: _Reps, leads: _Leads, opps: dict,
                customers: _Customers, out: _CsvFolder) -> None:
    """About 10 activities per deal: touches on leads before they qualify (outbound channels
    need many), work on each deal (more on long and won ones), one proposal per proposal sent,
    content shared on ~25 % of deals (more often on won ones), account management of
    customers, and social posts. The per-deal volume is set last so that the total hits the
    target. Drawn and written chunk by chunk."""
    t = {name: ACTIVITY_TYPES.index(name) for name in ACTIVITY_TYPES}
    n_target = ACTIVITIES_PER_OPPORTUNITY * len(opps["created"])
    end_ts = cal.end_ts

    # Volumes decided up front.
    lead_stop = np.where(leads.qualified != NAT, leads.qualified,
                         np.where(leads.disqualified != NAT, leads.disqualified,
                                  leads.created + 21 * DAY))
    lead_stop = np.minimum(lead_stop, end_ts - 1)
    lead_n = np.where(leads.owner >= 0, rng.poisson(CHANNEL_TOUCHES[leads.source]), 0)
    c_years = (customers.until_day(cal) - customers.start_day) / 365.25
    cust_n = rng.poisson(CUSTOMER_TOUCHES_PER_YEAR * c_years)
    n_social = round(SOCIAL_POST_SHARE * n_target)
    won = opps["status"] == WON
    stop = np.where(opps["closed"] != NAT, opps["closed"], end_ts - 1)
    content_n = np.where(rng.random(len(won)) < np.where(won, *CONTENT_USE),
                         1 + (rng.random(len(won)) < 0.4), 0)
    has_proposal = opps["proposal"] != NAT
    fixed = lead_n.sum() + cust_n.sum() + n_social + content_n.sum() + has_proposal.sum()
    raw = (2 + 0.1 * (stop - opps["created"]) / DAY) * np.where(won, 1.3, 1.0)
    opp_n = rng.poisson(raw * max(n_target - fixed, 0) / raw.sum())

    table = out.open("activities")
    # Social posts and account management first: a CSV type sniffer then sees views/likes.
    r = np.repeat(np.arange(len(cust_n)), cust_n)  # account management
    ts = _between(rng, customers.start_ts[r], customers.until_day(cal)[r] * DAY - 1)
    customer_touches = _activity_rows(
        reps.on_duty(customers.owner[r], ts),
        rng.choice(len(ACTIVITY_TYPES), len(r), p=CUSTOMER_TOUCH_TYPES), ts,
        account=customers.account[r])
    ts = np.sort(cal.draw_ts(rng, n_social))  # social posts
    views = np.round(rng.lognormal(math.log(SOCIAL_VIEWS_MEDIAN), 1.0, n_social)).astype(np.int64)
    social = _activity_rows(
        reps.pick(rng, rng.integers(0, len(TEAMS), n_social), ts), t["social_post"], ts,
        views=views, likes=rng.binomial(views, rng.uniform(0.01, 0.06, n_social)))
    _append_activities(table, [social, customer_touches])
    for lo in range(0, len(won), ACTIVITY_CHUNK):  # work on deals
        i = np.arange(lo, min(lo + ACTIVITY_CHUNK, len(won)))
        r = np.repeat(i, opp_n[i])
        touches = _activity_rows(
            opps["owner"][r], rng.choice(len(ACTIVITY_TYPES), len(r), p=OPPORTUNITY_TOUCH_TYPES),
            _between(rng, opps["created"][r], stop[r]), opp=r, account=opps["account"][r])
        p = i[has_proposal[i]]
        proposals = _activity_rows(opps["owner"][p], t["proposal"], opps["proposal"][p], opp=p,
                                   account=opps["account"][p])
        s = np.repeat(i, content_n[i])
        shares = _activity_rows(opps["owner"][s], t["content_share"],
                                _between(rng, opps["created"][s], stop[s]), opp=s,
                                account=opps["account"][s],
                                content=rng.integers(0, len(CONTENTS), len(s)))
        _append_activities(table, [touches, proposals, shares])
    lead_types = np.tile(np.array([0.45, 0.45, 0.05, 0, 0, 0, 0.05]), (len(SOURCES), 1))
    lead_types[SOURCES.index("cold_email")] = [0.1, 0.9, 0, 0, 0, 0, 0]
    lead_types[SOURCES.index("cold_call")] = [0.85, 0.15, 0, 0, 0, 0, 0]
    for lo in range(0, len(lead_n), 5 * ACTIVITY_CHUNK):  # touches on leads
        i = np.arange(lo, min(lo + 5 * ACTIVITY_CHUNK, len(lead_n)))
        r = np.repeat(i, lead_n[i])
        ts = _between(rng, leads.created[r], np.maximum(lead_stop[r], leads.created[r]))
        _append_activities(table, [_activity_rows(
            reps.on_duty(leads.owner[r], ts), _pick_rows(rng, lead_types, leads.source[r]), ts,
            lead=r, account=leads.account[r])])
    table.close()


# ---------------------------------------------------------------------------
# Customers: contracts, orders, surveys, referrals
# ---------------------------------------------------------------------------

def _contracts(customers: _Customers, out: _CsvFolder) -> None:
    order = np.argsort(customers.start_ts, kind="stable")
    out.write("contracts", {
        "contract_id": _ids("contract", np.arange(len(order))),
        "account_id": _ids("account", customers.account[order]),
        "start_date": _date(customers.start_day[order]),
        "end_date": _date(customers.end_day[order]),
        "recurring_amount": _money(customers.recurring[order]),
    })


def _orders(rng: np.random.Generator, cal: _Calendar, rates: _Rates, customers: _Customers,
            out: _CsvFolder) -> None:
    """The first purchase (the won deal) and Poisson-many repeat purchases while the customer
    stays, in the customer's currency: material for average basket, frequency and CLV."""
    start, until = customers.start_day, customers.until_day(cal)
    years = (until - start) / 365.25
    n_repeat = rng.poisson(SEGMENT_ORDERS_PER_YEAR[customers.segment] * years)
    r = np.repeat(np.arange(len(start)), n_repeat)
    spread = np.maximum(until[r] - start[r] - 1, 0)
    day = start[r] + 1 + (rng.random(len(r)) * spread).astype(np.int64)
    day = np.minimum(_workday(day), until[r] - 1)
    basket = SEGMENT_BASKET[customers.segment[r]] * rng.lognormal(0, 0.5, len(r))
    currency = customers.currency[r]
    amount = np.maximum(_cents(basket / rates.to_eur(currency, day)), 1_000)
    repeat_ts = np.maximum(_at_day(rng, day), customers.start_ts[r] + 1)
    ts = np.concatenate([customers.start_ts, repeat_ts])
    account = np.concatenate([customers.account, customers.account[r]])
    amount = np.concatenate([customers.first_amount, amount])
    currency = np.concatenate([customers.currency, currency])
    o = np.argsort(ts, kind="stable")
    out.write("orders", {
        "order_id": _ids("order", np.arange(len(o))), "account_id": _ids("account", account[o]),
        "ordered_at": _ts(ts[o]), "amount": _money(amount[o]),
        "currency": _cat(tuple(c[0] for c in CURRENCIES), currency[o]),
    })


def _surveys(rng: np.random.Generator, cal: _Calendar, customers: _Customers,
             out: _CsvFolder) -> None:
    """NPS answers from customers: mostly promoters, but those who end up leaving were
    detractors more often (an NPS around +25/+35 overall)."""
    first, until = customers.start_day + 30, customers.until_day(cal)
    window = np.maximum(until - first, 0)
    r = np.repeat(np.arange(len(first)), rng.poisson(SURVEYS_PER_YEAR * window / 365.25))
    ts = _between(rng, first[r] * DAY, until[r] * DAY - 1)
    churned = (customers.end_day[r] != NAT).astype(np.int64)
    score = _pick_rows(rng, NPS_SCORES, churned)
    o = np.argsort(ts, kind="stable")
    out.write("surveys", {
        "survey_id": _ids("survey", np.arange(len(o))),
        "account_id": _ids("account", customers.account[r][o]),
        "answered_at": _ts(ts[o]), "nps_score": _int(score[o]),
    })


def _referrals(rng: np.random.Generator, cal: _Calendar, leads: _Leads, customers: _Customers,
               out: _CsvFolder) -> None:
    """Most referral leads name the customer who recommended them (a customer active at that
    time); customers also recommend without a lead being recorded."""
    li = np.flatnonzero(leads.source == SOURCES.index("referral"))
    if not len(customers.account):
        li = li[:0]
    by_start = np.argsort(customers.start_ts, kind="stable")
    # The referrer: a customer for a month at least, still active; while there are few of them,
    # most referral leads have no recorded referrer (so the first customers are not swamped).
    k = np.searchsorted(customers.start_ts[by_start], leads.created[li] - 30 * DAY, side="left")
    c = by_start[np.minimum((rng.random(len(li)) * k).astype(np.int64), len(by_start) - 1)]
    still = (customers.end_day[c] == NAT) | (customers.end_day[c] * DAY > leads.created[li])
    recorded = REFERRAL_RECORDED * np.minimum(1, k / 20)
    keep = (k > 0) & still & (rng.random(len(li)) < recorded)
    li, c = li[keep], c[keep]
    lead_ts = leads.created[li]
    referred = np.minimum(_at_day(rng, _workday(lead_ts // DAY - rng.integers(0, 4, len(li)))),
                          lead_ts)  # the recommendation came a few days before the lead
    until = customers.until_day(cal)
    years = (until - customers.start_day) / 365.25
    s = np.repeat(np.arange(len(years)), rng.poisson(SPONTANEOUS_REFERRALS_PER_YEAR * years))
    s_ts = _between(rng, customers.start_ts[s] + 60, until[s] * DAY - 1)
    ts = np.concatenate([referred, s_ts])
    account = np.concatenate([customers.account[c], customers.account[s]])
    lead = np.concatenate([li, np.full(len(s), NONE)])
    o = np.argsort(ts, kind="stable")
    out.write("referrals", {
        "referral_id": _ids("referral", np.arange(len(o))),
        "account_id": _ids("account", account[o]),
        "referred_at": _ts(ts[o]), "lead_id": _ids("lead", lead[o]),
    })


# ---------------------------------------------------------------------------
# Pricing and quotas
# ---------------------------------------------------------------------------

def _competitor_prices(rng: np.random.Generator, cal: _Calendar, out: _CsvFolder) -> None:
    """Each competitor's price of each product, observed once a month, drifting a little."""
    months = np.arange(int(_month_number(cal.start_day)), int(_month_number(cal.end_day - 1)) + 1)
    starts = np.array([_month_start(m) for m in months])
    n_p, n_c, n_m = len(PRODUCTS), len(COMPETITORS), len(months)
    product = np.repeat(np.arange(n_p), n_c * n_m)
    competitor = np.tile(np.repeat(np.arange(n_c), n_m), n_p)
    month = np.tile(np.arange(n_m), n_p * n_c)
    day = np.clip(starts[month] + rng.integers(0, 28, len(month)), cal.start_day, cal.end_day - 1)
    factor = np.array([c[1] for c in COMPETITORS])[competitor]
    drift = np.array([c[2] for c in COMPETITORS])[competitor] * month / 12
    list_price = np.array([p[1] for p in PRODUCTS], dtype=float)[product]
    price = list_price * factor * (1 + drift) * rng.lognormal(0, 0.03, len(month))
    out.write("competitor_prices", {
        "product_id": _ids("product", product),
        "competitor": _cat(tuple(c[0] for c in COMPETITORS), competitor),
        "observed_on": _date(day), "price": _money(_cents(price, 1)),
    })


def _quarters(cal: _Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Calendar quarters starting within the period (the current one may end after it)."""
    first = int(_month_number(cal.start_day))
    first += -first % 3
    if _month_start(first) < cal.start_day:
        first += 3
    months = np.arange(first, int(_month_number(cal.end_day - 1)) + 1, 3)
    return (np.array([_month_start(m) for m in months]),
            np.array([_month_start(m + 3) for m in months]))


def _quotas(cal: _Calendar, reps: _Reps, rates: _Rates, opps: dict, out: _CsvFolder) -> None:
    """A revenue quota per rep per quarter, and per team (the sum of its reps').

    A rep's target mixes the team's average revenue per rep that quarter (a seasonal plan) with
    the rep's own track record, then one factor scales all targets so that about 55 % of the
    rep-quarters reach them: strong reps beat their quota often, weak ones rarely. The current
    quarter's target, still running, is planned from the same quarter a year earlier.
    """
    q_start, q_end = _quarters(cal)
    n_r, n_q = len(reps.team), len(q_start)
    eligible = ((reps.hire_ts[:, None] <= q_start[None, :] * DAY)
                & (reps.left_ts[:, None] >= q_end[None, :] * DAY))
    complete = q_end <= cal.end_day
    won = np.flatnonzero(opps["status"] == WON)
    day = opps["closed"][won] // DAY
    q = np.searchsorted(q_start, day, side="right") - 1
    ok = (q >= 0) & (day < q_end[np.maximum(q, 0)])
    revenue = np.zeros((n_r, n_q))
    eur = opps["amount"][won] * rates.to_eur(opps["currency"][won], day) / 100
    np.add.at(revenue, (opps["owner"][won][ok], q[ok]), eur[ok])

    team_avg = np.zeros((len(TEAMS), n_q))
    for t, members in enumerate(reps.members):
        e = eligible[members]
        team_avg[t] = (revenue[members] * e).sum(0) / np.maximum(e.sum(0), 1)
    for j in np.flatnonzero(~complete):
        team_avg[:, j] = team_avg[:, j - 4] * GROWTH_PER_YEAR if j >= 4 else team_avg[:, j - 1]
    avg = team_avg[reps.team]  # (rep, quarter)
    seen = eligible & complete[None, :] & (avg > 0)
    rel = np.where(seen, revenue / np.where(avg > 0, avg, 1), 0).sum(1) / np.maximum(seen.sum(1), 1)
    rel = np.where(seen.any(1), rel, 1.0)
    base = avg * (0.5 + 0.5 * rel[:, None])
    attainment = revenue[seen & (base > 0)] / base[seen & (base > 0)]
    scale = np.quantile(attainment, 1 - QUOTA_REACHED_SHARE) if attainment.size else 1.0
    target = np.maximum(np.round(base * scale / 500) * 500, 1_000)

    quarter_i, rep_i = np.nonzero(eligible.T)  # listed quarter by quarter
    team_target = np.zeros((len(TEAMS), n_q))
    np.add.at(team_target, (reps.team[rep_i], quarter_i), target[rep_i, quarter_i])
    team_q, team_i = np.nonzero(team_target.T)
    n_rep_rows, n = len(rep_i), len(rep_i) + len(team_i)
    out.write("quotas", {
        "quota_id": _ids("quota", np.arange(n)),
        "rep_id": _ids("rep", np.concatenate([rep_i, np.full(len(team_i), NONE)])),
        "team_id": _ids("team", np.concatenate([np.full(n_rep_rows, NONE), team_i])),
        "metric": _text(["revenue"] * n),
        "period_start": _date(q_start[np.concatenate([quarter_i, team_q])]),
        "period_end": _date(q_end[np.concatenate([quarter_i, team_q])]),
        "target": _money(_cents(np.concatenate([target[rep_i, quarter_i],
                                                team_target[team_i, team_q]]))),
    })
