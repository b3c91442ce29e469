"""Forecasts and predictive customer value: the service functions behind `pilotage clv`,
`pilotage forecast`, `pilotage deals`, /api/v1/clv, /api/v1/forecast and the *Prévisions* page.

Each module reads the canonical tables through the workspace and returns plain data; the
statistics live in :mod:`pilotage.models` (one published model per file).
"""
