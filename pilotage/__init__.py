"""Pilotage: steer sales performance. CRM data in, sales KPIs out.

>>> import pilotage
>>> ws = pilotage.connect("pilotage.duckdb")      # or "postgresql://user@host/db"
>>> ws.kpi(["revenue", "win_rate"], grain="month", by=["team"])  # doctest: +SKIP

``connect`` and ``Workspace`` are imported on first use (PEP 562): ``import pilotage``
and ``pilotage --help`` must not pay for pandas, Ibis and DuckDB (about 1 s).
"""

from pilotage.errors import DatabaseError, DatabaseLocked, ImportRejected, InvalidCut, PilotageError, UnknownKpi

__version__ = "0.1.0"
__all__ = ["connect", "Workspace", "PilotageError", "UnknownKpi", "InvalidCut", "ImportRejected",
           "DatabaseError", "DatabaseLocked"]


def __getattr__(name: str):
    if name in ("connect", "Workspace"):
        from pilotage import workspace
        return getattr(workspace, name)
    raise AttributeError(f"module 'pilotage' has no attribute {name!r}")
