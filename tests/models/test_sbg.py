"""sBG against Fader & Hardie (2007), fitted on years 1-7: regular α 0.704, β 1.182; high end α 0.668, β 3.806."""

from pathlib import Path

import pandas as pd
import pytest

from pilotage.models import sbg

CURVES = Path(__file__).parent.parent / "data" / "retention-fader-hardie-2007" / "survival_curves.csv"


@pytest.mark.parametrize("column,alpha,beta", [("regular_pct_surviving", 0.704, 1.182),
                                               ("high_end_pct_surviving", 0.668, 3.806)])
def test_published_estimates_within_one_percent(column, alpha, beta):
    curve = pd.read_csv(CURVES)
    m = sbg.fit(curve[column].values[1:8] / 100)
    assert m.alpha == pytest.approx(alpha, rel=0.01)
    assert m.beta == pytest.approx(beta, rel=0.01)
    # the projection of years 8-12 stays within 3 points of what was observed (paper, fig. 3)
    projected = sbg.survival(m.alpha, m.beta, 12)[8:] * 100
    assert abs(projected - curve[column].values[8:]).max() < 3


def test_hand_worked_recursion():
    # α=1, β=1: P(T=1) = 1/2, P(T=2) = (1+0)/(1+1+1) · 1/2 = 1/6, S(2) = 1 - 1/2 - 1/6 = 1/3
    assert sbg.survival(1.0, 1.0, 2) == pytest.approx([1.0, 0.5, 1 / 3])


def test_bad_curve_is_refused():
    with pytest.raises(ValueError, match="decreasing"):
        sbg.fit([0.8, 0.9, 0.5])
