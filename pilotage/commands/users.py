"""`pilotage users ...` and `pilotage audit`: the team server's users, tokens and audit log.

Light imports only at module top (the CLI's start-up time): the workspace and
the store are opened inside the commands.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="Users of the team server: roles admin, manager, rep; API tokens.")

DbOpt = Annotated[str | None, typer.Option("--db", help="DuckDB file or postgresql:// URL "
                                              "(default: $PILOTAGE_DATABASE_URL or ./pilotage.duckdb)")]


def _store(db: str | None):
    import pilotage
    from pilotage.auth.store import AuthStore

    ws = pilotage.connect(db, create=True)  # users are the first thing a team workspace may get
    return ws, AuthStore(ws.db)


def _actor() -> str:
    """Who ran the command, for the audit log: the operating-system user."""
    try:
        return "cli:" + getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (containers)
        return "cli"


@app.command("add")
def add(email: str,
        role: Annotated[str, typer.Option("--role", help="admin, manager or rep")],
        rep: Annotated[str | None, typer.Option("--rep", help="the rep_id a rep user sees")] = None,
        team: Annotated[list[str] | None, typer.Option("--team", help="a team a manager manages (repeatable)")] = None,
        password_stdin: Annotated[bool, typer.Option("--password-stdin",
                                                     help="read the password from the first line of stdin")] = False,
        db: DbOpt = None):
    """Add a user. Without --password-stdin, the password is asked on a terminal (none: token-only user)."""
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True, default="",
                                show_default=False) or None
    ws, store = _store(db)
    try:
        user = store.add_user(email, role, rep_id=rep, team_ids=tuple(team or ()), password=password, actor=_actor())
    finally:
        ws.close()
    scope = {"admin": "everything", "rep": f"rep {user.rep_id}'s records",
             "manager": f"teams {', '.join(user.team_ids)} and their sub-teams"}[user.role]
    print(f"added {user.email} ({user.role}: sees {scope})" + ("" if password else "; no password: "
                                                              "API tokens only (pilotage users token)"))


@app.command("list")
def list_(db: DbOpt = None):
    """Every user: e-mail, role, rep, teams, tokens, disabled."""
    from rich.console import Console
    from rich.table import Table

    ws, store = _store(db)
    try:
        rows = store.list_users()
    finally:
        ws.close()
    if not rows:
        print("no user: `pilotage serve` runs single-user on 127.0.0.1 (add an admin: pilotage users add EMAIL "
              "--role admin)")
        return
    t = Table("email", "role", "rep_id", "teams", "tokens", "status")
    for r in rows:
        t.add_row(r["email"], r["role"], r["rep_id"] or "", ", ".join(r["teams"]), str(r["tokens"]),
                  "disabled" if r["disabled"] else "active")
    Console(width=160).print(t)


@app.command("disable")
def disable(email: str, db: DbOpt = None):
    """Disable a user: no more login; their sessions and API tokens stop working now."""
    ws, store = _store(db)
    try:
        store.disable(email, actor=_actor())
        store.revoke_tokens(email, actor=_actor())
    finally:
        ws.close()
    print(f"disabled {email.lower()} (sessions ended, tokens revoked)")


@app.command("token")
def token(email: str,
          write: Annotated[bool, typer.Option("--write", help="an admin's token that may also import "
                                                              "(pilotage import --server)")] = False,
          db: DbOpt = None):
    """Print a new API token (read-only unless --write). Shown once: only its hash is stored."""
    ws, store = _store(db)
    try:
        tok = store.new_token(email, write=write, actor=_actor())
    finally:
        ws.close()
    print(tok)
    print(f"(shown once; send it as 'Authorization: Bearer …'; revoke with pilotage users revoke-token {email})",
          file=sys.stderr)


@app.command("revoke-token")
def revoke_token(email: str, db: DbOpt = None):
    """Revoke every API token of a user."""
    ws, store = _store(db)
    try:
        n = store.revoke_tokens(email, actor=_actor())
    finally:
        ws.close()
    print(f"revoked {n} token(s) of {email.lower()}")


def audit(since: Annotated[str | None, typer.Option("--since", help="YYYY-MM-DD or an ISO time (UTC)")] = None,
          limit: int = 200, db: DbOpt = None):
    """The audit log, newest first: logins and failures, imports, user and settings changes."""
    from pilotage.errors import PilotageError

    when = None
    if since:
        try:
            when = dt.datetime.fromisoformat(since)
        except ValueError:
            raise PilotageError(f"--since {since!r}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM") from None
    ws, store = _store(db)
    try:
        rows = store.audit_log(when, limit=limit)
    finally:
        ws.close()
    for r in rows:
        print("\t".join(str(v) if v is not None else "" for v in
                        (r["at"], r["actor"], r["action"], r["target"], r["detail"], r["address"])))
    if not rows:
        print("no audit entry" + (f" since {since}" if since else ""), file=sys.stderr)


def demo_users(ws) -> list[tuple[str, str, str, str]]:
    """One demo user per role on the demo data: (e-mail, role, what they see, password).

    The manager manages the team with the most reps, the rep is one of that team's reps.
    Passwords are random, printed once; run again, the same users get new ones.
    """
    import secrets

    from pilotage.auth.store import AuthStore

    store = AuthStore(ws.db)
    rows = ws.db.fetchall(f"SELECT team_id, rep_id FROM {ws.db.q('reps')} WHERE team_id IS NOT NULL "
                          "ORDER BY team_id, rep_id")
    by_team: dict[str, list[str]] = {}
    for t, r in rows:
        by_team.setdefault(t, []).append(r)
    team = max(by_team, key=lambda t: (len(by_team[t]), t))
    rep = by_team[team][0]
    out = []
    for email, role, link, sees in (
            ("admin@demo.pilotage", "admin", {}, "everything"),
            ("manager@demo.pilotage", "manager", {"team_ids": (team,)}, f"team {team}"),
            ("rep@demo.pilotage", "rep", {"rep_id": rep}, f"rep {rep}")):
        password = secrets.token_urlsafe(12)
        if store.get(email) is None:
            store.add_user(email, role, password=password, actor="demo", **link)
        else:
            store.set_password(email, password, actor="demo")
        out.append((email, role, sees, password))
    return out


def audit_settings(ws, changes: dict) -> None:
    """A settings change from the CLI, in the audit log."""
    from pilotage.auth.store import AuthStore

    AuthStore(ws.db).audit(_actor(), "settings", None, " ".join(f"{k}={v}" for k, v in changes.items()))


__all__ = ["app", "audit", "audit_settings", "demo_users"]
