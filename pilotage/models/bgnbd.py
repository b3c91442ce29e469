"""BG/NBD: how many purchases a customer will make, and whether they are still "alive".

Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative to the
Pareto/NBD model", Marketing Science 24(2), 275-284 (and the note "Implementing the BG/NBD
model for customer base analysis in Excel", 2005).

Per customer, ``x`` repeat purchases (frequency), ``t_x`` the time of the last one since the
first (recency) and ``T`` the age since the first purchase. While alive a customer buys as a
Poisson process of rate λ ~ Gamma(r, α); after each purchase they drop out with probability
p ~ Beta(a, b). The likelihood of one customer (paper, eq. 6):

    L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + δ(x>0) · B(a+1, b+x-1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

fitted by maximum likelihood on log-parameters (all four are positive).

Conditional expectation of purchases in (T, T+t] (eq. 10) and P(alive) (eq. 11 of the
Excel note) are below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int


def log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Each customer's log-likelihood (eq. 6, in logs: ln(L) = A1 + A2 + ln(e^A3 + δ e^A4))."""
    from scipy.special import gammaln

    r, alpha, a, b = params
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
                      -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def fit(x, t_x, T) -> BgNbd:
    """Maximum-likelihood estimates (Nelder-Mead then L-BFGS on ln r, ln α, ln a, ln b)."""
    from scipy.optimize import minimize

    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    if len(x) == 0:
        raise ValueError("no customers to fit")
    scale = 10.0 / max(float(T.max()), 1e-9)  # time rescaled so α starts near 1 (the fit is scale-free)
    xs, ts, Ts = x, t_x * scale, T * scale

    def nll(lp):
        v = -log_likelihood(np.exp(lp), xs, ts, Ts).sum()
        return v if np.isfinite(v) else 1e300

    start = np.log([1.0, 1.0, 1.0, 1.0])
    res = minimize(nll, start, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-8})
    res = minimize(nll, res.x, method="L-BFGS-B")
    r, alpha, a, b = np.exp(res.x)
    alpha = alpha / scale
    ll = float(log_likelihood((r, alpha, a, b), x, t_x, T).sum())
    return BgNbd(float(r), float(alpha), float(a), float(b), ll, len(x))


def p_alive(m: BgNbd, x, t_x, T) -> np.ndarray:
    """P(still alive | x, t_x, T) = 1 / (1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x))."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = np.where(x > 0, m.a / np.maximum(m.b + x - 1, 1e-300)
                        * ((m.alpha + T) / (m.alpha + t_x)) ** (m.r + x), 0.0)
    return 1.0 / (1.0 + odds)


def expected_purchases(m: BgNbd, t, x, t_x, T) -> np.ndarray:
    """E[purchases in (T, T+t] | x, t_x, T] (eq. 10):

        (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))]
        / (1 + δ(x>0) a/(b+x-1) ((α+T)/(α+t_x))^(r+x))
    """
    from scipy.special import hyp2f1

    x, t_x, T = (np.asarray(v, dtype=float) for v in (x, t_x, T))
    t = np.asarray(t, dtype=float)
    r, alpha, a, b = m.r, m.alpha, m.a, m.b
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    body = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
    return head * body * p_alive(m, x, t_x, T)
