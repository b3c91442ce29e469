"""Versioned schema: every database records its version; opening one applies what is missing.

A newer Pilotage opens an older database without losing anything: each
migration only adds (tables, columns). To change the contract, append a
migration to ``MIGRATIONS``; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis

from pilotage.errors import DatabaseError
from pilotage.settings import Settings
from pilotage.store import schema as S
from pilotage.store.database import Database

META = "pilotage_meta"
SETTINGS = "workspace_settings"


def _ibis_schema(t: S.Table) -> ibis.Schema:
    return ibis.schema({c.name: S.IBIS_TYPES[c.type] for c in t.columns})


def create_table(db: Database, t: S.Table) -> None:
    db.ibis.create_table(t.name, schema=_ibis_schema(t), database=db.schema)
    if db.engine == "postgres" and t.key:
        cols = ", ".join(f'"{k}"' for k in t.key)
        db.execute(f'CREATE UNIQUE INDEX IF NOT EXISTS "{t.name}_key" ON {db.q(t.name)} ({cols})')


def _v1(db: Database) -> None:
    """The canonical tables of the data contract and the workspace settings."""
    for t in S.TABLES:
        create_table(db, t)
    db.execute(f"CREATE TABLE {db.q(SETTINGS)} (key VARCHAR PRIMARY KEY, value VARCHAR)")
    for k, v in Settings().to_rows():
        db.execute(f"INSERT INTO {db.q(SETTINGS)} VALUES ('{k}', '{v}')")


AUTH_TABLES = {
    # the team server's own objects (pilotage.auth): never part of an import
    "pilotage_users": "email VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, rep_id VARCHAR, "
                      "password_hash VARCHAR, disabled BOOLEAN NOT NULL DEFAULT FALSE, created_at TIMESTAMP",
    "pilotage_user_teams": "email VARCHAR NOT NULL, team_id VARCHAR NOT NULL, PRIMARY KEY (email, team_id)",
    "pilotage_api_tokens": "token_hash VARCHAR PRIMARY KEY, email VARCHAR NOT NULL, created_at TIMESTAMP, "
                           "can_write BOOLEAN NOT NULL DEFAULT FALSE",
    "pilotage_sessions": "id_hash VARCHAR PRIMARY KEY, email VARCHAR NOT NULL, csrf VARCHAR NOT NULL, "
                         "created_at TIMESTAMP NOT NULL, seen_at TIMESTAMP NOT NULL",
    "pilotage_login_failures": "kind VARCHAR NOT NULL, key VARCHAR NOT NULL, failed_at TIMESTAMP NOT NULL",
    "pilotage_audit": "logged_at TIMESTAMP NOT NULL, actor VARCHAR, action VARCHAR NOT NULL, target VARCHAR, "
                      "detail VARCHAR, address VARCHAR",
}


def _v2(db: Database) -> None:
    """Team server: users, their teams, API tokens, sessions, login throttling, audit log;
    teams.parent_team_id (a manager of a team manages its sub-teams)."""
    db.execute(f"ALTER TABLE {db.q('teams')} ADD COLUMN IF NOT EXISTS parent_team_id VARCHAR")
    for name, cols in AUTH_TABLES.items():
        db.execute(f"CREATE TABLE IF NOT EXISTS {db.q(name)} ({cols})")


_V3_TABLES = {
    # a goal on a catalogue KPI for a rep, a team or the company (owner_id NULL) over one fiscal period
    "goals": "goal_id VARCHAR PRIMARY KEY, kpi VARCHAR NOT NULL, owner_type VARCHAR NOT NULL, owner_id VARCHAR, "
             "period VARCHAR NOT NULL, period_start DATE NOT NULL, period_end DATE NOT NULL, target FLOAT8 NOT NULL, "
             "created_at TIMESTAMP NOT NULL, created_by VARCHAR",
    # milestones (50, 90, 100 %) already announced, so each is announced once
    "goal_milestones": "goal_id VARCHAR NOT NULL, milestone INTEGER NOT NULL, reached_at TIMESTAMP NOT NULL, "
                       "PRIMARY KEY (goal_id, milestone)",
    "notifications": "notification_id VARCHAR PRIMARY KEY, created_at TIMESTAMP NOT NULL, recipient_rep VARCHAR, "
                     "recipient_email VARCHAR, kind VARCHAR NOT NULL, subject VARCHAR NOT NULL, body VARCHAR NOT NULL, "
                     "goal_id VARCHAR, emailed BOOLEAN NOT NULL, read_at TIMESTAMP",
    "smtp_settings": "key VARCHAR PRIMARY KEY, value VARCHAR",
    "challenges": "challenge_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, kpi VARCHAR NOT NULL, "
                  "mode VARCHAR NOT NULL, rule VARCHAR NOT NULL, threshold FLOAT8, start_date DATE NOT NULL, "
                  "end_date DATE NOT NULL, rank_points VARCHAR NOT NULL, threshold_points INTEGER NOT NULL, "
                  "budget FLOAT8, status VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, created_by VARCHAR, "
                  "frozen_at TIMESTAMP",
    "challenge_participants": "challenge_id VARCHAR NOT NULL, participant_id VARCHAR NOT NULL, "
                              "PRIMARY KEY (challenge_id, participant_id)",
    "challenge_rewards": "challenge_id VARCHAR NOT NULL, position INTEGER NOT NULL, kind VARCHAR NOT NULL, "
                         "description VARCHAR, amount FLOAT8, PRIMARY KEY (challenge_id, position, kind)",
    # the leaderboard as it stood when the challenge ended: later imports change nothing
    "challenge_results": "challenge_id VARCHAR NOT NULL, participant_id VARCHAR NOT NULL, name VARCHAR, "
                         "score FLOAT8, rank INTEGER, points INTEGER NOT NULL, badge VARCHAR, "
                         "threshold_met BOOLEAN, PRIMARY KEY (challenge_id, participant_id)",
    "reward_ledger": "entry_id VARCHAR PRIMARY KEY, challenge_id VARCHAR NOT NULL, participant_id VARCHAR NOT NULL, "
                     "kind VARCHAR NOT NULL, description VARCHAR, amount FLOAT8, rank INTEGER, score FLOAT8, "
                     "awarded_at TIMESTAMP NOT NULL",
}


def _v3(db: Database) -> None:
    """Goals, notifications, SMTP settings, sales challenges, their frozen results and the reward ledger."""
    for name, cols in _V3_TABLES.items():
        db.execute(f"CREATE TABLE {db.q(name)} ({cols})")


MIGRATIONS: list[tuple[int, str, Callable[[Database], None]]] = [
    (1, "canonical tables and workspace settings", _v1),
    (2, "users, teams' parents, tokens, sessions, login throttling, audit log", _v2),
    (3, "goals, notifications, challenges, results and reward ledger", _v3),
]
LATEST = MIGRATIONS[-1][0]


def current_version(db: Database) -> int:
    if META not in db.ibis.list_tables(database=db.schema):
        return 0
    rows = db.fetchall(f"SELECT value FROM {db.q(META)} WHERE key = 'schema_version'")
    return int(rows[0][0]) if rows else 0


def upgrade(db: Database) -> int:
    """Bring the database to the latest version; return the version it was at."""
    was = current_version(db)
    if was > LATEST:
        raise DatabaseError(
            f"this database is at schema version {was}, made by a newer Pilotage "
            f"(this one knows up to {LATEST}): upgrade Pilotage to open it"
        )
    if was == LATEST:
        return was
    with db.transaction():
        if was == 0:
            db.execute(f"CREATE TABLE {db.q(META)} (key VARCHAR PRIMARY KEY, value VARCHAR)")
            db.execute(f"INSERT INTO {db.q(META)} VALUES ('schema_version', '0')")
        for version, _, step in MIGRATIONS:
            if version > was:
                step(db)
        db.execute(f"UPDATE {db.q(META)} SET value = '{LATEST}' WHERE key = 'schema_version'")
    return was
