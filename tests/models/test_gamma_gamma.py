"""Gamma-Gamma against Fader & Hardie (2013): p 6.25, q 3.74, γ 15.44 on the 946 repeat buyers."""

import pytest

from pilotage.models import gamma_gamma


def test_published_estimates_within_one_percent(cdnow_summary):
    m = gamma_gamma.fit(cdnow_summary["x"], cdnow_summary["zbar"])
    assert m.customers == 946
    assert m.p == pytest.approx(6.25, rel=0.01)
    assert m.q == pytest.approx(3.74, rel=0.01)
    assert m.gamma == pytest.approx(15.44, rel=0.01)
    # a customer without repeat purchase gets the population mean p γ / (q - 1)
    assert gamma_gamma.expected_avg_spend(m, 0, 0) == pytest.approx(m.p * m.gamma / (m.q - 1))
    # with many purchases the estimate moves toward the customer's own mean
    few, many = gamma_gamma.expected_avg_spend(m, [1, 20], [100.0, 100.0])
    assert m.p * m.gamma / (m.q - 1) < few < many < 100


def test_hand_worked_expectation():
    m = gamma_gamma.GammaGamma(p=2.0, q=3.0, gamma=10.0, log_likelihood=0.0, customers=0)
    # p (γ + x m_x) / (p x + q - 1) = 2 (10 + 4·25) / (8 + 2) = 22
    assert gamma_gamma.expected_avg_spend(m, 4, 25.0) == pytest.approx(22.0)


def test_too_few_repeat_buyers():
    with pytest.raises(ValueError, match="two repeat buyers"):
        gamma_gamma.fit([0, 1, 0], [0, 10.0, 0])
