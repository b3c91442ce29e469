"""The shapes a KPI declaration can take (a fixed set of kinds, as in metricflow).

A KPI is data: id, labels, formula text, anchor, unit, direction, plus one
*kind*: a measure, a ratio of measures, a share, a growth or a product of
other KPIs. A :class:`Measure` names a *fact* (an enriched table of
:mod:`pilotage.catalogue.facts`), how to aggregate it and which rows count.
The engine (:mod:`pilotage.engine.query`) compiles these to SQL through Ibis;
this module knows nothing of engines.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Where = Callable  # (ibis table) -> boolean ibis expression


@dataclass(frozen=True)
class Measure:
    """An aggregate over one fact: ``count``, ``sum``, ``count_distinct``, ``median`` or ``count_groups``.

    ``anchor`` is the fact's date column placing a row in a period (None for
    facts already laid out per period). ``count_groups`` counts the groups of
    ``per`` whose rows satisfy ``having`` (e.g. reps whose attainment >= 1).
    """

    fact: str
    agg: Literal["count", "sum", "count_distinct", "median", "count_groups"] = "count"
    column: str | None = None
    anchor: str | None = None
    where: Where | None = None
    per: str | None = None
    having: Callable | None = None
    requires: tuple[str, ...] = ()  # tables beyond the fact's own that must hold rows


@dataclass(frozen=True)
class Simple:
    """The value is one measure (a count or a sum)."""

    measure: Measure
    extras: dict[str, Measure] = field(default_factory=dict)  # extra columns, e.g. views of social posts


@dataclass(frozen=True)
class Ratio:
    """Σ numerator / Σ denominator over the cut (× ``scale``), null when the denominator is 0.

    Several numerator measures are added (e.g. campaign cost + compensation).
    ``per_year`` divides by the period's length in years (frequencies).
    """

    numerator: Measure | tuple[Measure, ...]
    denominator: Measure | tuple[Measure, ...]
    scale: float = 1.0
    per_year: bool = False
    extras: dict[str, Measure] = field(default_factory=dict)
    proportion: bool = True  # numerator ⊂ denominator: a Wilson interval makes sense (if the unit is a rate)
    sampled: bool = True  # the denominator counts observations (False: a head count, e.g. reps)
    positive_den: bool = False  # undefined unless the denominator is > 0 (e.g. nothing left of a target)


@dataclass(frozen=True)
class Share:
    """A measure over the same measure with one dimension set aside (e.g. a source's share of leads)."""

    measure: Measure
    of: str


@dataclass(frozen=True)
class Growth:
    """(value − earlier value) / earlier value of another KPI; ``lag`` is "period" or "year"."""

    base: str
    lag: Literal["period", "year"]


@dataclass(frozen=True)
class Product:
    """The product of other KPIs' values over the same cut (e.g. CLV = APV × PF × CL)."""

    factors: tuple[str, ...]


@dataclass(frozen=True)
class Kpi:
    id: str
    label: dict[str, str]
    formula: dict[str, str]
    doc: dict[str, str]
    anchor: str
    unit: Literal["count", "money", "rate", "ratio", "days", "years", "score", "index"]
    better: Literal["up", "down", "none"]
    section: str
    kind: Simple | Ratio | Share | Growth | Product
    symbols: dict[str, str] = field(default_factory=dict)  # the formula in symbols, per language

    @property
    def is_rate(self) -> bool:
        return self.unit == "rate"
