"""Gamma-Gamma: how much a customer spends per purchase.

Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
analysis", J. Marketing Research 42(4), and Fader & Hardie (2013), "The Gamma-Gamma model of
monetary value" (note).

A customer's purchase values are Gamma(p, ν) with ν ~ Gamma(q, γ) across customers. Their
mean spend m_x over x repeat purchases has the likelihood (note, eq. 3)

    L = Γ(px+q) / (Γ(px) Γ(q)) · γ^q · m_x^(px-1) · x^(px) / (γ + x m_x)^(px+q)

fitted on repeat buyers only (x > 0, m_x > 0), by maximum likelihood on ln p, ln q, ln γ.
The expected mean spend given (x, m_x) (eq. 5):

    E[M | x, m_x] = (q-1)/(px+q-1) · γp/(q-1) + px/(px+q-1) · m_x = p (γ + x m_x) / (px + q - 1)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int


def log_likelihood(params, x, m_x) -> np.ndarray:
    from scipy.special import gammaln

    p, q, g = params
    x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(g)
            + (p * x - 1) * np.log(m_x) + p * x * np.log(x) - (p * x + q) * np.log(g + x * m_x))


def fit(x, m_x) -> GammaGamma:
    """Maximum likelihood on the repeat buyers (customers with x = 0 or no spend are left out)."""
    from scipy.optimize import minimize

    x, m_x = np.asarray(x, dtype=float), np.asarray(m_x, dtype=float)
    keep = (x > 0) & (m_x > 0)
    x, m_x = x[keep], m_x[keep]
    if len(x) < 2:
        raise ValueError("the spend model needs at least two repeat buyers")
    scale = 1.0 / float(np.mean(m_x))  # spend rescaled to a mean of 1 (γ scales with it)
    ms = m_x * scale

    def nll(lp):
        v = -log_likelihood(np.exp(lp), x, ms).sum()
        return v if np.isfinite(v) else 1e300

    res = minimize(nll, np.log([1.0, 1.0, 1.0]), method="Nelder-Mead",
                   options={"maxiter": 4000, "xatol": 1e-9, "fatol": 1e-9})
    res = minimize(nll, res.x, method="L-BFGS-B")
    p, q, g = np.exp(res.x)
    g = g / scale
    return GammaGamma(float(p), float(q), float(g), float(log_likelihood((p, q, g), x, m_x).sum()), len(x))


def expected_avg_spend(m: GammaGamma, x, m_x) -> np.ndarray:
    """E[M | x, m_x] = p (γ + x m_x) / (p x + q - 1); a customer without repeat purchase gets the
    population mean p γ / (q - 1)."""
    x, m_x = np.asarray(x, dtype=float), np.nan_to_num(np.asarray(m_x, dtype=float))
    return m.p * (m.gamma + x * m_x) / (m.p * x + m.q - 1)
