"""Pilotage: steer sales performance. CRM data in, sales KPIs out.

>>> import pilotage
>>> ws = pilotage.connect("pilotage.duckdb")      # or "postgresql://user@host/db"
>>> ws.kpi(["revenue", "win_rate"], grain="month", by=["team"])  # doctest: +SKIP
"""

from pilotage.errors import DatabaseError, DatabaseLocked, ImportRejected, InvalidCut, PilotageError, UnknownKpi
from pilotage.workspace import Workspace, connect

__version__ = "0.1.0"
__all__ = ["connect", "Workspace", "PilotageError", "UnknownKpi", "InvalidCut", "ImportRejected",
           "DatabaseError", "DatabaseLocked"]
