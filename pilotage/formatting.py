"""Numbers as people read them, in the workspace locale (Babel): 1 234,56 €, 25,0 %.

>>> fmt(1234.56, "money", "fr_FR")
'1\u202f234,56\xa0€'
>>> fmt(0.25, "rate", "fr_FR")
'25,0\xa0%'
>>> fmt(0.25, "rate", "en_US")
'25.0%'
>>> fmt(None, "count", "fr_FR")
'non disponible'
"""

from __future__ import annotations

import math

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent

NOT_AVAILABLE = {"fr": "non disponible", "en": "not available"}
SMALL_SAMPLE = {"fr": "échantillon trop faible", "en": "sample too small"}
UNIT_SUFFIX = {"days": {"fr": " j", "en": " days"}, "years": {"fr": " ans", "en": " years"}}
UNIT_SUFFIX_ONE = {"years": {"fr": " an", "en": " year"}}  # French: « 1,5 an », « 2 ans »


def lang(locale: str) -> str:
    return locale.split("_")[0]


def missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def fmt(v, unit: str, locale: str = "fr_FR", currency: str = "EUR") -> str:
    if missing(v):
        return NOT_AVAILABLE[lang(locale)]
    v = float(v)
    if unit == "money":
        return format_currency(v, currency, locale=locale)
    if unit == "rate":
        return format_percent(v, _percent_pattern(locale), locale=locale)
    if unit == "count":
        return format_decimal(round(v), locale=locale)
    if unit == "score":
        return format_decimal(round(v, 1), "+#,##0.0;-#,##0.0", locale=locale)
    if unit in UNIT_SUFFIX:
        suffixes = UNIT_SUFFIX_ONE.get(unit) if abs(round(v, 1)) < 2 else None
        return format_decimal(round(v, 1), "#,##0.0", locale=locale) + (suffixes or UNIT_SUFFIX[unit])[lang(locale)]
    if unit == "index":
        return format_decimal(round(v, 1), "#,##0.0", locale=locale)
    return format_decimal(round(v, 2), "#,##0.0#", locale=locale)


def fmt_change(change, kind: str, locale: str = "fr_FR") -> str:
    """A change: relative (+12,5 %) or in percentage points for rates (+2,1 pts)."""
    if missing(change):
        return "—"
    if kind == "points":
        return format_decimal(change * 100, "+#,##0.0;-#,##0.0", locale=locale) + " pts"
    p = _percent_pattern(locale)
    return format_percent(change, f"+{p};-{p}", locale=locale)


def _percent_pattern(locale: str) -> str:
    """The locale's percent pattern with one decimal: fr '#,##0,0 %' (with a space), en '#,##0.0%'."""
    return Locale.parse(locale).percent_formats[None].pattern.replace("0%", "0.0%").replace("0\xa0%", "0.0\xa0%")


def fmt_compact(v, unit: str, locale: str = "fr_FR", currency: str = "EUR") -> str:
    """A large figure as read at a glance: 155,2 M€, 12 k (fr); €155.2M, 12K (en).

    Money and counts from 10 000 up are compacted (one decimal at most); money
    from 1 000 up loses its cents. Other units are shown as :func:`fmt` does.
    The exact value goes beside it (a title on hover), never instead of it.
    """
    from babel.numbers import format_compact_currency, format_compact_decimal

    if missing(v) or unit not in ("money", "count"):
        return fmt(v, unit, locale, currency)
    v = float(v)
    if abs(v) >= 10_000:
        if unit == "count":
            return format_compact_decimal(v, locale=locale, fraction_digits=1)
        text = format_compact_currency(v, currency, locale=locale, fraction_digits=1)
        return text.replace("\xa0k\xa0", "\xa0k").replace("\xa0M\xa0", "\xa0M").replace("\xa0Md\xa0", "\xa0Md")
    if unit == "money" and abs(v) >= 1_000:
        return fmt_whole(v, locale, currency)
    return fmt(v, unit, locale, currency)


def fmt_whole(v, locale: str = "fr_FR", currency: str = "EUR") -> str:
    """Money without cents (1 234 €): for large amounts, where cents are noise."""
    if missing(v):
        return NOT_AVAILABLE[lang(locale)]
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    pattern = pattern.replace(".00", "").replace(",00", "")
    return format_currency(round(float(v)), currency, pattern, locale=locale, currency_digits=False)
