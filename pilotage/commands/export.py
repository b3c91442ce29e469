"""`pilotage export --parquet DIR`: the canonical tables as Parquet, for a data lake.

The folder it writes is what ``--db parquet:DIR`` (DuckDB) and
``--db 'spark://local[2]?parquet=DIR'`` (Spark) read; see docs/spark.md.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer


def export(parquet: Annotated[Path | None, typer.Option(
               "--parquet", help="folder to write one <table>.parquet per canonical table to")] = None,
           db: Annotated[str | None, typer.Option("--db", help="the workspace to export (DuckDB file, "
                                                  "postgresql:// URL, parquet:DIR or spark://...)")] = None) -> None:
    """Write the canonical tables (and the workspace settings) as Parquet files, types kept."""
    import pilotage
    from pilotage.errors import PilotageError

    if parquet is None:
        raise PilotageError("say where to write: pilotage export --parquet DIR")
    started = time.perf_counter()
    with pilotage.connect(db, read_only=True) as ws:
        counts = ws.export_parquet(parquet)
    rows = sum(n for name, n in counts.items() if name not in ("workspace_settings", "pilotage_meta"))
    typer.echo(f"{len(counts)} tables, {rows:,} rows written to {parquet} in {time.perf_counter() - started:.1f} s "
               f"(read them with --db parquet:{parquet})")
