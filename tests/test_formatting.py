"""Numbers as a French (or English) sales manager reads them; the docstring examples run too."""

from __future__ import annotations

import doctest

import pytest

import pilotage.formatting
import pilotage.workspace
from pilotage.formatting import fmt, fmt_change


@pytest.mark.parametrize("module", [pilotage.formatting, pilotage.workspace])
def test_docstring_examples(module):
    failures, _ = doctest.testmod(module)
    assert failures == 0


@pytest.mark.parametrize("value, unit, locale, text", [
    (1234.56, "money", "fr_FR", "1\u202f234,56\xa0€"),
    (1234.56, "money", "en_US", "€1,234.56"),
    (0.25, "rate", "fr_FR", "25,0\xa0%"),
    (0.25, "rate", "en_US", "25.0%"),
    (42.34, "days", "fr_FR", "42,3 j"),
    (1.5, "years", "fr_FR", "1,5 an"),
    (3.0, "years", "fr_FR", "3,0 ans"),
    (32.0, "score", "fr_FR", "+32,0"),
    (None, "rate", "fr_FR", "non disponible"),
    (float("nan"), "money", "en_US", "not available"),
])
def test_formats(value, unit, locale, text):
    assert fmt(value, unit, locale) == text


def test_changes():
    assert fmt_change(0.021, "points", "fr_FR") == "+2,1 pts"
    assert fmt_change(-0.125, "relative", "en_US") == "-12.5%"
    assert fmt_change(None, "relative", "fr_FR") == "—"
