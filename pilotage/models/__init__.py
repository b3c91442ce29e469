"""Statistical models, one published model per file (formulas and paper in each docstring).

scipy is imported inside the functions: `pilotage --help` must not pay for it.
"""
