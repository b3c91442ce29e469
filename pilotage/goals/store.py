"""Reading and writing the workspace's own objects (goals, notifications, challenges) on both engines.

The tables are created by migration 3 (:mod:`pilotage.store.migrations`). Plain SQL with
parameters: ``?`` placeholders, turned into ``%s`` on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pilotage.store.database import Database


def sql(db: Database, text: str) -> str:
    return text.replace("?", "%s") if db.engine == "postgres" else text


def rows(db: Database, text: str, params=()) -> list[dict]:
    cur = db.execute(sql(db, text), list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def run(db: Database, text: str, params=()) -> None:
    db.execute(sql(db, text), list(params))


def insert(db: Database, table: str, row: dict) -> None:
    cols = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?" for _ in row)
    run(db, f"INSERT INTO {db.q(table)} ({cols}) VALUES ({marks})", list(row.values()))


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)
