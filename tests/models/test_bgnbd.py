"""BG/NBD against Fader, Hardie & Lee (2005): r 0.243, α 4.414, a 0.793, b 2.426, LL -9582.4."""

import numpy as np
import pytest

from pilotage.models import bgnbd


@pytest.fixture(scope="module")
def fitted(cdnow_summary):
    d = cdnow_summary
    return bgnbd.fit(d["x"], d["t_x"], d["T"])


def test_published_estimates_within_one_percent(fitted):
    assert fitted.customers == 2357
    for got, published in ((fitted.r, 0.243), (fitted.alpha, 4.414), (fitted.a, 0.793), (fitted.b, 2.426),
                           (fitted.log_likelihood, -9582.4)):
        assert got == pytest.approx(published, rel=0.01)
    assert fitted.log_likelihood == pytest.approx(-9582.4, abs=0.5)


def test_p_alive_and_expected_purchases(fitted):
    # no repeat purchase: nothing says the customer left, P(alive) = 1
    assert bgnbd.p_alive(fitted, 0, 0, 38.86) == pytest.approx(1.0)
    # same frequency, the one who bought recently is more likely alive than the one silent for 30 weeks
    recent, silent = bgnbd.p_alive(fitted, [4, 4], [38.0, 8.0], [38.86, 38.86])
    assert recent > 0.8 > 0.5 > silent
    # expected purchases grow with the horizon and with the frequency
    e = bgnbd.expected_purchases(fitted, np.array([13, 26, 52]), 2, 30.43, 38.86)
    assert np.all(np.diff(e) > 0)
    assert bgnbd.expected_purchases(fitted, 39, 6, 35, 38.86) > bgnbd.expected_purchases(fitted, 39, 1, 35, 38.86)
    # the paper's worked example (Excel note, fig. 5): a customer with x=2, t_x=30.43, T=38.86 is
    # expected to make 1.226 purchases in the next 39 weeks
    assert bgnbd.expected_purchases(fitted, 39, 2, 30.43, 38.86) == pytest.approx(1.226, rel=0.01)


def test_empty_input_is_refused():
    with pytest.raises(ValueError, match="no customers"):
        bgnbd.fit([], [], [])
