"""Shifted-beta-geometric (sBG): projecting a cohort's retention curve.

Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1),
76-90. Each customer renews each period with a constant probability 1-θ, θ ~ Beta(α, β)
across customers. With the recursions of the paper (eq. 7 and 8):

    P(T=1) = α/(α+β),   P(T=t) = (β+t-2)/(α+β+t-1) · P(T=t-1)
    S(t)   = 1 - Σ_{i≤t} P(T=i)

fitted by maximum likelihood on a survival curve observed for t = 1..n:
LL = Σ_t (S(t-1) - S(t)) ln P(T=t) + S(n) ln S(n)  (proportions; counts give the same MLE).
The retention rate r_t = (β+t-1)/(α+β+t-1) rises with t (the survivors are the loyal ones),
and the expected lifetime in periods is Σ_t S(t) (Fader & Hardie's DEL without discount).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Sbg:
    alpha: float
    beta: float
    log_likelihood: float


def churn_probabilities(alpha: float, beta: float, n: int) -> np.ndarray:
    """P(T=t) for t = 1..n (eq. 7)."""
    p = np.empty(n)
    p[0] = alpha / (alpha + beta)
    for t in range(2, n + 1):
        p[t - 1] = p[t - 2] * (beta + t - 2) / (alpha + beta + t - 1)
    return p


def survival(alpha: float, beta: float, n: int) -> np.ndarray:
    """S(t) for t = 0..n (S(0) = 1)."""
    return np.concatenate([[1.0], 1.0 - np.cumsum(churn_probabilities(alpha, beta, n))])


def fit(surviving) -> Sbg:
    """Fit on S(1..n), the share still active after each period (S(0) = 1 is implied; give
    fractions, not percentages)."""
    from scipy.optimize import minimize

    s = np.concatenate([[1.0], np.asarray(surviving, dtype=float)])
    if len(s) < 3 or np.any(np.diff(s) > 1e-12) or s[-1] <= 0 or s.max() > 1:
        raise ValueError("a survival curve is a decreasing list of shares in (0, 1], at least two periods")
    lost, n = -np.diff(s), len(s) - 1

    def ll(lp):
        a, b = np.exp(lp)
        p = churn_probabilities(a, b, n)
        return float(np.sum(lost * np.log(p)) + s[-1] * np.log(max(1 - p.sum(), 1e-300)))

    res = minimize(lambda lp: -ll(lp), np.log([1.0, 1.0]), method="Nelder-Mead",
                   options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
    a, b = np.exp(res.x)
    return Sbg(float(a), float(b), ll(res.x))


def expected_lifetime(m: Sbg, horizon: int = 1000) -> float:
    """Expected number of periods a new customer stays: Σ_{t≥0} S(t), truncated at `horizon`
    periods (the series converges slowly when α ≤ 1)."""
    return float(survival(m.alpha, m.beta, horizon).sum())
