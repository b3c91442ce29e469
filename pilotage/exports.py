"""Helpers for the files Pilotage writes (CSV, Excel): cells that a spreadsheet cannot mistake for formulas.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
run as a formula by Excel or LibreOffice when the file is opened ("CSV
injection"): ``=HYPERLINK(...)`` in a deal name exported by Pilotage must stay
text. :func:`safe_cell` prefixes such a cell with an apostrophe, which the
spreadsheet shows as the text itself. Numbers (int, float, Decimal) are left
alone, so a negative amount stays a number.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value to write in an exported cell: text that could run as a formula gets a leading '."""
    if value is None or isinstance(value, (bool, int, float, Decimal, dt.date, dt.datetime, dt.time)):
        return value
    text = str(value)
    if text.startswith(DANGEROUS_FIRST):
        return "'" + text
    return text


def safe_row(values) -> list:
    """:func:`safe_cell` over a row."""
    return [safe_cell(v) for v in values]
