"""`pilotage doctor`: check a workspace and say what to do.

Checks, each printed as ok / warning / problem with the action to take:

- the database opens (a DuckDB file held by another process: who, and what to do instead);
- the schema version (older: open it once for writing; newer: upgrade Pilotage);
- integrity: every table read whole (DuckDB verifies each block's checksum as it reads it);
- size: the file, its free blocks (space left by killed or rolled-back imports; ``--compact``
  rewrites the file without them), a write-ahead log left by a stopped process;
- free disk space beside the file (an import needs room for a copy of what it writes).

``--compact`` (DuckDB): copies the database into a new file (``COPY FROM DATABASE``) and
swaps it in, keeping the old one as ``<file>.before-compact`` until the copy is checked.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(add_completion=False)

FREE_SHARE = 0.3  # free blocks above this share of the file: compacting is worth it
MIN_DISK = 2.0  # free disk space below this many times the file: warn


def _line(kind: str, text: str) -> None:
    mark = {"ok": "ok     ", "warn": "warning", "bad": "PROBLEM"}[kind]
    print(f"{mark}  {text}")


@app.callback(invoke_without_command=True)
def doctor(db: Annotated[str | None, typer.Option("--db", help="DuckDB file or postgresql:// URL")] = None,
           compact: Annotated[bool, typer.Option(help="DuckDB: rewrite the file without its free blocks")] = False):
    """Check a workspace (opens, schema version, integrity, size, free space) and say what to do."""
    from pilotage.errors import DatabaseError, DatabaseLocked, PilotageError
    from pilotage.store import migrations
    from pilotage.store import schema as S
    from pilotage.store.database import open_database, resolve_url

    url = resolve_url(db)
    is_pg = url.startswith(("postgresql://", "postgres://"))
    path = None if is_pg else Path(url.removeprefix("duckdb://"))
    if path is not None and str(path) != ":memory:" and not path.exists():
        raise PilotageError(f"no database at {path}: run `pilotage import DIR` or `pilotage demo` first")
    if compact:
        if is_pg:
            raise PilotageError("--compact is for a DuckDB file (PostgreSQL: VACUUM FULL, by its administrator)")
        _compact(path)
    problems = 0
    try:
        database = open_database(url, read_only=not is_pg)
    except DatabaseLocked as exc:
        _line("bad", f"{exc}\n         To read while it runs, ask that process: the running server answers "
                     "/api/v1/health and every KPI (pilotage serve), or wait for its import to end.")
        raise PilotageError("the workspace could not be checked: see above") from None
    except DatabaseError as exc:
        _line("bad", str(exc))
        raise PilotageError("the workspace could not be checked: see above") from None
    try:
        _line("ok", f"opens: {url if is_pg else path} ({database.engine})")
        version = migrations.current_version(database)
        if version == 0:
            raise PilotageError(f"{url}: no Pilotage workspace here (no schema version): run `pilotage import DIR` "
                                "or `pilotage demo` to make one")
        if version == migrations.LATEST:
            _line("ok", f"schema version {version} (the latest this Pilotage knows)")
        elif version < migrations.LATEST:
            _line("warn", f"schema version {version}, this Pilotage knows {migrations.LATEST}: open it once for "
                          "writing (e.g. `pilotage settings`) to upgrade it")
        else:
            problems += 1
            _line("bad", f"schema version {version}, newer than this Pilotage ({migrations.LATEST}): upgrade Pilotage")
        counts, broken = {}, []
        for t in S.TABLES:
            try:
                whole = "bit_xor(hash(x))" if database.engine == "duckdb" else "md5(string_agg(x::text, ''))"
                counts[t.name] = int(database.fetchall(  # every value read: every block checked
                    f"SELECT COUNT(*), {whole} FROM {database.q(t.name)} x")[0][0])
            except Exception as exc:  # noqa: BLE001 - a table that cannot be read is the finding
                broken.append(f"{t.name} ({str(exc).splitlines()[0][:200]})")
        if broken:
            problems += 1
            _line("bad", f"tables that cannot be read: {'; '.join(broken)}. Re-import your exports into a new "
                         "workspace (`pilotage import DIR --db new.duckdb`)")
        else:
            _line("ok", f"integrity: {len(counts)} tables read whole, {sum(counts.values()):,} rows")
        if path is not None and str(path) != ":memory:":
            problems += _duckdb_size(database, path)
    finally:
        database.close()
    if problems:
        raise PilotageError(f"{problems} problem(s) found: see above")


def _duckdb_size(database, path: Path) -> int:
    size = path.stat().st_size
    row = database.fetchall("SELECT block_size, total_blocks, free_blocks FROM pragma_database_size()")[0]
    block, total, free = (int(x or 0) for x in row)
    # blocks written by a transaction that never committed (a killed import) are in no list: the file is
    # larger than its blocks (measured: 1.5 MiB -> 81.8 MiB after one import of 3M rows killed, 6 blocks used)
    slack = max(0, size - total * block) + free * block
    share = slack / size if size else 0.0
    text = (f"size: {size / 2**20:,.1f} MiB, of which {slack / 2**20:,.1f} MiB unused ({share:.0%}; "
            f"{free:,} free blocks)")
    if share > FREE_SHARE and slack > (8 << 20):
        _line("warn", text + ": space left by stopped or rolled-back imports; reclaim it with "
                             "`pilotage doctor --compact` (the server stopped)")
    else:
        _line("ok", text)
    wal = Path(str(path) + ".wal")
    if wal.exists() and wal.stat().st_size:
        _line("warn", f"a write-ahead log ({wal.name}, {wal.stat().st_size:,} bytes) was left by a process that "
                      "stopped: the next opening for writing replays it (nothing to do)")
    disk = shutil.disk_usage(path.resolve().parent).free
    if disk < MIN_DISK * size:
        _line("warn", f"free disk space {disk / 2**20:,.0f} MiB, less than {MIN_DISK:g}x the file: an import may "
                      "fail for room; free some space")
        return 0
    _line("ok", f"free disk space: {disk / 2**30:,.1f} GiB")
    return 0


def _compact(path: Path) -> None:
    """Copy the database into a new file and swap it in (DuckDB files do not shrink in place)."""
    import duckdb

    from pilotage.errors import PilotageError

    new = path.with_name(path.name + ".compact")
    old = path.with_name(path.name + ".before-compact")
    for p in (new, Path(str(new) + ".wal")):
        p.unlink(missing_ok=True)
    before = path.stat().st_size
    try:
        con = duckdb.connect(str(path))
    except duckdb.IOException as exc:
        raise PilotageError(f"{path} is in use by another process ({str(exc).splitlines()[0][:200]}): stop the "
                            "server, then run `pilotage doctor --compact` again") from None
    try:
        con.execute("CHECKPOINT")
        con.execute(f"ATTACH '{str(new).replace(chr(39), chr(39) * 2)}' AS compacted")
        src = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f'COPY FROM DATABASE "{src}" TO compacted')
        con.execute("DETACH compacted")
    finally:
        con.close()
    os.replace(path, old)
    os.replace(new, path)
    after = path.stat().st_size
    print(f"compacted: {before / 2**20:,.1f} MiB -> {after / 2**20:,.1f} MiB (the old file kept as {old.name}: "
          "delete it once you have checked the workspace)")
