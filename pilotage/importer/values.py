"""Numbers and dates as real exports write them, parsed in bulk as DuckDB SQL over whole columns.

Nothing here loops over rows in Python: each function returns a SQL expression
(or runs one aggregate query per file to infer a column's conventions).

Numbers: ``1 234,56 €`` (spaces, U+00A0 or U+202F as thousands separators),
``1.234,56``, ``1,234.56``, ``(1 234)`` and trailing minus for negatives,
``12,5 %``, the currency sign or ISO code before or after. A value whose decimal
separator cannot be told from the value alone (``1,234`` or ``1.234``) follows
the column: the separator its other values use, else the format's default
(French headers, or a ``;``-delimited file: comma), else the point.

Dates: ISO dates and datetimes (with ``Z`` or an offset: converted to the
workspace time zone), ``31/01/2024`` or ``01/31/2024`` (order inferred per
column: a day above 12 decides; a column that stays ambiguous takes the order
of the file's other date columns, else it is rejected with a message saying
so), ``31.01.24``, ``2024/01/31``, ``20240131``, French and English month names
(``31 janv. 2024``, ``1er février 2024``, ``Jan 31, 2024``), Excel serial
numbers (``45322`` or ``45322.5``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

# --------------------------------------------------------------------------- SQL helpers


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(s: str) -> str:
    return "'" + str(s).replace("'", "''") + "'"


@functools.lru_cache(maxsize=1 << 16)
def norm_key(s: str | None) -> str:
    """The key values are matched on (stages, value maps, names): no case, accents or punctuation.
    Cached: the same names and headers are looked up many times in one import."""
    if s is None:
        return ""
    s = unicodedata.normalize("NFKD", str(s))
    s = "".join(c for c in s if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "", s)


def norm_key_sql(expr: str) -> str:
    return f"regexp_replace(lower(strip_accents({expr})), '[^a-z0-9]+', '', 'g')"


def text_sql(expr: str) -> str:
    """Trimmed text (spaces, tabs, non-breaking spaces), empty = NULL."""
    return f"NULLIF(trim({expr}, ' \t\r\n\u00a0\u202f\u2009'), '')"


# --------------------------------------------------------------------------- numbers
_STRIP = "(?i)[\\s\u00a0\u202f\u2009'\u2019]|€|\\$|£|¥|₹|\\b(?:EUR|USD|GBP|CHF|CAD|AUD|JPY)\\b|\\bFr\\."
CURRENCY_SIGNS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "₹": "INR"}


def number_body_sql(expr: str) -> str:
    """The cell without spaces, thousands apostrophes and currency signs or codes."""
    return f"regexp_replace({expr}, {lit(_STRIP)}, '', 'g')"


def number_core_sql(body: str) -> str:
    """Digits and separators only: signs, parentheses and % removed."""
    return f"regexp_replace({body}, '^[(+\\-]+|[)%\\-]+$', '', 'g')"


INT_RE = r"^\d+$"
COMMA_DEC_RE = (r"^(\d{1,3}(\.\d{3})+,\d+|\d+,\d{1,2}|\d+,\d{4,}|\d{4,},\d+|0,\d+|,\d+"
                r"|\d{1,3}(\.\d{3}){2,})$")
DOT_DEC_RE = (r"^(\d{1,3}(,\d{3})+\.\d+|\d+\.\d{1,2}|\d+\.\d{4,}|\d{4,}\.\d+|0\.\d+|\.\d+"
              r"|\d{1,3}(,\d{3}){2,}|\d+(\.\d+)?[eE][+-]?\d+)$")
AMBIGUOUS_RE = r"^\d{1,3}[.,]\d{3}$"


def number_class_sql(core: str) -> str:
    """What a value says about its decimal mark: 'c' comma (1.234,5 / 12,5), 'd' point (1,234.5 / 12.5),
    'a' ambiguous (1,234 or 1.234), 'i' integer, NULL not a number."""
    return (f"CASE WHEN regexp_full_match({core}, '{INT_RE}') THEN 'i' "
            f"WHEN regexp_full_match({core}, '{COMMA_DEC_RE}') THEN 'c' "
            f"WHEN regexp_full_match({core}, '{DOT_DEC_RE}') THEN 'd' "
            f"WHEN regexp_full_match({core}, '{AMBIGUOUS_RE}') THEN 'a' END")


def number_sql(body: str, core: str, cls: str, decimal: str, *, percent: str = "reject") -> str:
    """DECIMAL(18, 6) value from the helper columns body, core and class (see above).

    ``decimal``: the mark of values that cannot tell by themselves (1,234).
    ``percent``: "reject" (a % makes the value invalid: amounts), "fraction"
    (12,5 % -> 0.125), "always" (the column holds percents without the sign: 20 -> 0.2).
    """
    comma = f"replace(replace({core}, '.', ''), ',', '.')"
    point = f"replace({core}, ',', '')"
    amb = comma if decimal == "," else point
    text = f"CASE {cls} WHEN 'i' THEN {core} WHEN 'c' THEN {comma} WHEN 'd' THEN {point} WHEN 'a' THEN {amb} END"
    value = f"TRY_CAST({text} AS DECIMAL(18, 6))"
    negative = (f"(starts_with({body}, '-') OR ends_with({body}, '-') "
                f"OR starts_with({body}, '(') AND ends_with({body}, ')'))")
    out = f"(CASE WHEN {negative} THEN -{value} ELSE {value} END)"
    pct = f"contains({body}, '%')"
    if percent == "reject":
        return f"(CASE WHEN {pct} THEN NULL ELSE {out} END)"
    if percent == "fraction":
        return f"(CASE WHEN {pct} THEN {out} / 100 ELSE {out} END)"
    return f"({out} / 100)"


FAST_STRIP = ("\u00a0", "\u202f", "\u2009", " ", "€")
_SPACES = " \u00a0\u202f\u2009"


def number_value_sql(raw: str, decimal: str, *, percent: str = "reject") -> str:
    """DECIMAL(18, 6) from the raw text: a fast path for the column's usual shape (1 234,56 € or 1,234.56),
    the full analysis (:func:`number_sql` over inline helpers) for the other values only.

    The fast path recognises the usual shape on the raw text itself (one regular expression: digits grouped
    by spaces or the thousands mark, the decimal mark, an optional euro sign after) and only then strips
    the separators: matching the raw text is cheaper than stripping every cell first (measured at 1M rows).
    """
    group = "." if decimal == "," else ","
    ok = (f"^-?(?:\\d+|\\d{{1,3}}(?:[{re.escape(group)}{_SPACES}]\\d{{3}})+)(?:{re.escape(decimal)}\\d+)?"
          f"(?:[{_SPACES}]?€)?$")
    stripped = raw
    for ch in (*FAST_STRIP, group):
        stripped = f"replace({stripped}, '{ch}', '')"
    fast = f"replace({stripped}, ',', '.')" if decimal == "," else stripped
    body = number_body_sql(raw)
    core = number_core_sql(body)
    slow = number_sql(body, core, number_class_sql(core), decimal, percent=percent)
    return (f"(CASE WHEN regexp_full_match({raw}, '{ok}') THEN TRY_CAST({fast} AS DECIMAL(18, 6)) "
            f"ELSE {slow} END)" + (" / 100" if percent == "always" else ""))


def number_evidence_sql(raw: str) -> list[str]:
    """Counts of values that cannot tell their decimal mark (1,234), that show a decimal comma (12,5 or
    1.234,5), that show a decimal point: three cheap searches per value, no rewriting."""
    return [f"count(*) FILTER (WHERE regexp_full_match({raw}, '^[^0-9]*[0-9]{{1,3}}[.,][0-9]{{3}}[^0-9]*$'))",
            f"count(*) FILTER (WHERE regexp_matches({raw}, '[0-9],[0-9]{{1,2}}[^0-9]*$|[0-9]\\.[0-9]{{3}},[0-9]'))",
            f"count(*) FILTER (WHERE regexp_matches({raw}, '[0-9]\\.[0-9]{{1,2}}[^0-9]*$|[0-9],[0-9]{{3}}\\.[0-9]'))"]


def currency_sql(expr: str) -> str:
    """The ISO code a number cell carries (€, $, £, or a code before/after the number), else NULL."""
    return (f"CASE WHEN contains({expr}, '€') THEN 'EUR' WHEN contains({expr}, '$') THEN 'USD' "
            f"WHEN contains({expr}, '£') THEN 'GBP' "
            f"ELSE upper(NULLIF(regexp_extract({expr}, '(?i)\\b(EUR|USD|GBP|CHF|CAD|AUD|JPY)\\b', 1), '')) END")


# --------------------------------------------------------------------------- dates
# a time after the date: "14:05", "14h05", "14:05:30", "2:05 PM" (US exports: "12/4/2023, 10:05 AM")
AMPM = r"(?:\s*([AaPp])\.?[Mm]\.?)?"
TIME = r"(?:,?[ T]+(\d{1,2})[:h](\d{2})(?::(\d{2})(?:\.\d+)?)?" + AMPM + ")?"
ZONE = r"(?:Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)"
ISO_RE = r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*" + ZONE + "?$"
ZONED_RE = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*" + ZONE + "$"
NUM_RE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})" + TIME + "$"
YMD_RE = r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})" + TIME + "$"
COMPACT_RE = r"^(\d{4})(\d{2})(\d{2})$"
SERIAL_RE = r"^\d{5}(?:[.,]\d+)?$"  # 45322.5, or 45322,5 from a French Excel
_WEEKDAY = r"(?:[a-z]+\.?,?\s+)?"
NAMED_DMY_RE = (r"^" + _WEEKDAY + r"(\d{1,2})(?:er|st|nd|rd|th)?[\s\-/.]*#(\d{2})#[\s\-/.,]*(\d{4}|\d{2})"
                + r"(?:,?\s*(?:a\s+)?(\d{1,2})[:h](\d{2})(?::(\d{2}))?" + AMPM + ")?$")
NAMED_MDY_RE = (r"^" + _WEEKDAY + r"#(\d{2})#[\s\-/.]*(\d{1,2})(?:st|nd|rd|th)?,?[\s\-/.]*(\d{4})"
                + r"(?:,?\s*(?:at\s+)?(\d{1,2})[:h](\d{2})(?::(\d{2}))?" + AMPM + ")?$")
MONTHS = (
    ("01", "janvier|january|janv|jan"), ("02", "fevrier|february|fevr|fev|feb"),
    ("03", "march|mars|mar"), ("04", "avril|april|avr|apr"), ("05", "mai|may"),
    ("06", "juin|june|jun"), ("07", "juillet|july|juil|jul"), ("08", "aout|august|aug"),
    ("09", "septembre|september|sept|sep"), ("10", "octobre|october|oct"),
    ("11", "novembre|november|nov"), ("12", "decembre|december|dec"),
)
PARTS = ["a", "b", "y", "hh", "mi", "ss", "ap"]


def month_names_sql(expr: str) -> str:
    """Month names (French or English, full or abbreviated) replaced by #MM#; NULL when no letters."""
    out = f"lower(strip_accents({expr}))"
    for num, names in MONTHS:
        out = f"regexp_replace({out}, '\\b(?:{names})\\b\\.?', '#{num}#', 'g')"
    return f"CASE WHEN regexp_matches({expr}, '[A-Za-zÀ-ÿ]') THEN {out} END"


def _year(y: str) -> str:
    return (f"(CASE WHEN length({y}) = 2 THEN CAST({y} AS INT) + CASE WHEN CAST({y} AS INT) < 70 "
            f"THEN 2000 ELSE 1900 END ELSE CAST({y} AS INT) END)")


def _mk(p: str, y: str, m: str, d: str) -> str:
    """TIMESTAMP from the struct ``p`` of extracted parts: year, month and day from the fields named ``y``,
    ``m``, ``d``; hh, mi, ss, and ap (A or P: 12-hour clock) when present."""
    def num(x):
        return f"COALESCE(TRY_CAST(NULLIF({p}.{x}, '') AS INT), 0)"
    ap = f"upper({p}.ap)"
    hour = (f"(CASE WHEN {ap} = 'P' AND {num('hh')} < 12 THEN {num('hh')} + 12 "
            f"WHEN {ap} = 'A' AND {num('hh')} = 12 THEN 0 ELSE {num('hh')} END)")
    return (f"try(make_timestamp({_year(f'{p}.{y}')}, CAST({p}.{m} AS INT), CAST({p}.{d} AS INT), {hour}, "
            f"{num('mi')}, CAST({num('ss')} AS DOUBLE)))")


def date_helpers(expr: str) -> dict[str, str]:
    """Helper columns for one date column (computed once per row)."""
    return {
        "num": f"CASE WHEN regexp_full_match({expr}, '{NUM_RE}') THEN "
               f"regexp_extract({expr}, '{NUM_RE}', {PARTS}) END",
        "named": month_names_sql(expr),
    }


def timestamp_sql(s: str, num: str, named: str, order: str | None, tz: str) -> str:
    """Wall-clock TIMESTAMP in the workspace time zone from text ``s`` and its helper columns."""
    if order == "mdy":
        dmy = _mk(num, "y", "a", "b")
    else:  # dmy, or a column with no ambiguous value (every numeric date has a day above 12... or none)
        dmy = _mk(num, "y", "b", "a")
    if order is None:  # no numeric dates decided: day-first unless the day cannot be first
        dmy = f"COALESCE({dmy}, {_mk(num, 'y', 'a', 'b')})"
    nd = f"regexp_extract({named}, '{NAMED_DMY_RE}', {PARTS})"
    nm = f"regexp_extract({named}, '{NAMED_MDY_RE}', ['b', 'a', 'y', 'hh', 'mi', 'ss', 'ap'])"
    ymd = f"regexp_extract({s}, '{YMD_RE}', ['y', 'b', 'a', 'hh', 'mi', 'ss', 'ap'])"
    # what DuckDB's TIMESTAMPTZ reads: "10:00 UTC" -> "10:00:00+00" (an offset, and seconds before it)
    utc = (f"regexp_replace(regexp_replace({s}, '\\s*(UTC|GMT)$', '+00'), "
           f"'([ T]\\d{{1,2}}:\\d{{2}})(\\s*)(Z|[+-])', '\\1:00\\2\\3')")
    return (
        f"CASE WHEN {s} IS NULL THEN NULL "
        f"WHEN regexp_full_match({s}, '{ISO_RE}') THEN CASE WHEN regexp_matches({s}, '{ZONED_RE}') "
        f"THEN TRY_CAST({utc} AS TIMESTAMPTZ) AT TIME ZONE {lit(tz)} ELSE TRY_CAST({s} AS TIMESTAMP) END "
        f"WHEN {num} IS NOT NULL THEN {dmy} "
        f"WHEN regexp_full_match({s}, '{YMD_RE}') THEN "
        f"{_mk(ymd, 'y', 'b', 'a')} "
        f"WHEN regexp_full_match({s}, '{COMPACT_RE}') THEN try(strptime({s}, '%Y%m%d')) "
        f"WHEN regexp_full_match({s}, '{SERIAL_RE}') THEN TIMESTAMP '1899-12-30' + "
        f"to_microseconds(CAST(round(CAST(replace({s}, ',', '.') AS DOUBLE) * 86400000000) AS BIGINT)) "
        f"WHEN {named} IS NOT NULL AND regexp_full_match({named}, '{NAMED_DMY_RE}') THEN "
        f"{_mk(nd, 'y', 'b', 'a')} "
        f"WHEN {named} IS NOT NULL AND regexp_full_match({named}, '{NAMED_MDY_RE}') THEN "
        f"{_mk(nm, 'y', 'b', 'a')} "
        f"END"
    )


DATE_PREFIX_RE = r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})"


def fast_date_format(shape: str, order: str | None) -> str | None:
    """The strptime format of a column's usual shape ('99/99/9999 99:99' -> '%d/%m/%Y %H:%M',
    '9/9/9999, 99:99 AM' -> '%m/%d/%Y, %I:%M %p' in a month/day column), if simple."""
    m = re.fullmatch(r"(9{1,2})([/.\-])(9{1,2})\2(9{4}|99)(?:(,? |T)9{1,2}([:h])99(:99)?(?:( ?)([AP]M))?)?", shape)
    if m:
        sep = m.group(2)
        year = "%Y" if len(m.group(4)) == 4 else "%y"
        day_first = order != "mdy"
        date = f"%d{sep}%m{sep}{year}" if day_first else f"%m{sep}%d{sep}{year}"
        if m.group(5):
            hour = "%I" if m.group(9) else "%H"
            ampm = f"{m.group(8)}%p" if m.group(9) else ""
            return f"{date}{m.group(5)}{hour}{m.group(6)}%M{':%S' if m.group(7) else ''}{ampm}"
        return date
    m = re.fullmatch(r"9999-99-99(?:( |T)99:99(:99)?)?", shape)
    if m:
        if m.group(1):
            return f"%Y-%m-%d{m.group(1)}%H:%M{':%S' if m.group(2) else ''}"
        return "%Y-%m-%d"
    return None


def date_value_sql(raw: str, order: str | None, tz: str, fmt: str | None) -> str:
    """Wall-clock TIMESTAMP: strptime with the column's usual format, the full analysis for the other values."""
    h = date_helpers(raw)
    slow = timestamp_sql(raw, h["num"], h["named"], order, tz)
    if fmt is None:
        return slow
    return f"COALESCE(try_strptime({raw}, {lit(fmt)}), {slow})"


def date_order_evidence_sql(num: str, line: str = "__line", s: str = "s") -> list[str]:
    """Aggregates deciding the day/month order of a column from its numeric dates.

    Returns [values, max of the first part, max of the second part, an example value, its line,
    first line with a first part > 12 and its value, first line with a second part > 12 and its value].
    """
    a, b = f"TRY_CAST({num}.a AS INT)", f"TRY_CAST({num}.b AS INT)"
    return [
        f"count({num})",
        f"max({a})", f"max({b})",
        f"min({s}) FILTER (WHERE {num} IS NOT NULL)",
        f"min({line}) FILTER (WHERE {num} IS NOT NULL)",
        f"arg_min({line}, {line}) FILTER (WHERE {a} > 12)", f"arg_min({s}, {line}) FILTER (WHERE {a} > 12)",
        f"arg_min({line}, {line}) FILTER (WHERE {b} > 12)", f"arg_min({s}, {line}) FILTER (WHERE {b} > 12)",
    ]


def mixed_order_error(line_a: int | None, value_a: str, line_b: int | None, value_b: str) -> tuple[str, str]:
    """(reason, hint) of a date column holding both day/month and month/day dates."""
    return (f"the column mixes day/month dates (line {line_a}: {value_a!r}) and month/day dates "
            f"(line {line_b}: {value_b!r})", "correct the dates so the column uses one order")


def ambiguous_order_error(line: int | None, example: str, where: str) -> tuple[str, str]:
    """(reason, hint) of a date column whose order nothing decides; ``where``: where a mapping file sets it."""
    return (f"dates such as {example!r} (line {line}) read as day/month or month/day: no value in the column "
            f"has a day above 12, so the order stays ambiguous",
            f"pass --date-order dmy (or mdy), or add date_order: dmy {where} in a mapping file")


def decide_order(max_a: int | None, max_b: int | None) -> str | None:
    """'dmy', 'mdy', 'mixed' or None (ambiguous: no part above 12)."""
    a, b = max_a or 0, max_b or 0
    if a > 12 and b > 12:
        return "mixed"
    if a > 12:
        return "dmy"
    if b > 12:
        return "mdy"
    return None
