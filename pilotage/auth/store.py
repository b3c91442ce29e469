"""Users, API tokens, sessions, login throttling and the audit log, in the workspace database.

Everything lives in the database (not in a process), so several workers or
servers on one PostgreSQL share sessions and throttling state. Secrets are
never stored: passwords as argon2id hashes, API tokens and session ids as
SHA-256 digests (they are random 256-bit values, so a fast hash suffices).
Times are naive UTC; ``clock`` is injectable so expiry is tested without sleeping.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import threading
from collections.abc import Callable

from pilotage.auth.model import ROLES, User
from pilotage.errors import PilotageError

IDLE = dt.timedelta(minutes=30)       # a session unused this long ends
ABSOLUTE = dt.timedelta(hours=12)     # and any session ends this long after login
THROTTLE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILS_ACCOUNT = 5                 # failed logins per account per window
MAX_FAILS_ADDRESS = 20                # failed logins per client address per window
TOUCH_EVERY = dt.timedelta(seconds=60)  # seen_at is written at most once a minute per session


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AuthStore:
    def __init__(self, db, clock: Callable[[], dt.datetime] = utcnow):
        self.db = db
        self.clock = clock
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- plumbing
    def _run(self, sql: str, params=(), fetch: bool = False):
        if self.db.engine == "postgres":
            with self._lock:
                cur = self.db.raw.cursor()
                cur.execute(sql.replace("?", "%s"), params)
                return cur.fetchall() if fetch else None
        cur = self.db.raw.cursor()  # a DuckDB cursor is its own connection: safe across threads
        try:
            cur.execute(sql, params)
            return cur.fetchall() if fetch else None
        finally:
            cur.close()

    def t(self, name: str) -> str:
        return self.db.q("pilotage_" + name)

    # ---------------------------------------------------------------- users
    def has_users(self) -> bool:
        return bool(self._run(f"SELECT 1 FROM {self.t('users')} LIMIT 1", fetch=True))

    def has_admin(self) -> bool:
        return bool(self._run(f"SELECT 1 FROM {self.t('users')} WHERE role = 'admin' AND NOT disabled LIMIT 1",
                              fetch=True))

    def add_user(self, email: str, role: str, *, rep_id=None, team_ids=(), password: str | None = None,
                 actor: str | None = None) -> User:
        from pilotage.auth import passwords

        email = email.strip().lower()
        if "@" not in email or len(email) > 254:
            raise PilotageError(f"{email!r}: expected an e-mail address")
        if role not in ROLES:
            raise PilotageError(f"role {role!r}: expected one of {', '.join(ROLES)}")
        if role == "rep" and not rep_id:
            raise PilotageError("a rep user needs --rep REP_ID (the rep whose records they see)")
        if role == "manager" and not team_ids:
            raise PilotageError("a manager needs at least one --team TEAM_ID (the teams they manage)")
        if self._run(f"SELECT 1 FROM {self.t('users')} WHERE email = ?", (email,), fetch=True):
            raise PilotageError(f"user {email} exists already")
        h = passwords.hash_password(password) if password else None
        self._run(f"INSERT INTO {self.t('users')} (email, role, rep_id, password_hash, disabled, created_at) "
                  "VALUES (?, ?, ?, ?, FALSE, ?)", (email, role, rep_id, h, self.clock()))
        for team in dict.fromkeys(team_ids):
            self._run(f"INSERT INTO {self.t('user_teams')} VALUES (?, ?)", (email, team))
        self.audit(actor, "user.add", email, f"role={role} rep={rep_id or ''} teams={','.join(team_ids)}")
        return User(email, role, rep_id, tuple(dict.fromkeys(team_ids)))

    def set_password(self, email: str, password: str, actor: str | None = None) -> None:
        from pilotage.auth import passwords

        self._require(email)
        self._run(f"UPDATE {self.t('users')} SET password_hash = ? WHERE email = ?",
                  (passwords.hash_password(password), email.lower()))
        self.audit(actor, "user.password", email.lower())

    def _require(self, email: str) -> None:
        if not self._run(f"SELECT 1 FROM {self.t('users')} WHERE email = ?", (email.lower(),), fetch=True):
            raise PilotageError(f"no user {email.lower()}: see `pilotage users list`")

    def get(self, email: str, *, enabled_only: bool = True) -> User | None:
        rows = self._run(f"SELECT email, role, rep_id, disabled FROM {self.t('users')} WHERE email = ?",
                         (email.lower(),), fetch=True)
        if not rows or (enabled_only and rows[0][3]):
            return None
        teams = self._run(f"SELECT team_id FROM {self.t('user_teams')} WHERE email = ? ORDER BY team_id",
                          (email.lower(),), fetch=True)
        e, role, rep, _ = rows[0]
        return User(e, role, rep, tuple(t for (t,) in teams))

    def list_users(self) -> list[dict]:
        rows = self._run(f"SELECT email, role, rep_id, disabled, created_at FROM {self.t('users')} ORDER BY email",
                         fetch=True)
        teams = self._run(f"SELECT email, team_id FROM {self.t('user_teams')} ORDER BY team_id", fetch=True)
        tokens = self._run(f"SELECT email, COUNT(*) FROM {self.t('api_tokens')} GROUP BY email", fetch=True)
        by, ntok = {}, dict(tokens)
        for e, t in teams:
            by.setdefault(e, []).append(t)
        return [{"email": e, "role": r, "rep_id": rep, "teams": by.get(e, []), "disabled": bool(d),
                 "tokens": int(ntok.get(e, 0)), "created_at": c} for e, r, rep, d, c in rows]

    def disable(self, email: str, actor: str | None = None) -> None:
        """A disabled user can no longer log in; their sessions and tokens end now."""
        self._require(email)
        email = email.lower()
        self._run(f"UPDATE {self.t('users')} SET disabled = TRUE WHERE email = ?", (email,))
        self._run(f"DELETE FROM {self.t('sessions')} WHERE email = ?", (email,))
        self.audit(actor, "user.disable", email)

    # ---------------------------------------------------------------- passwords and throttling
    def check_password(self, email: str, password: str, address: str = "") -> User | None:
        """The user when the password is right; None otherwise (the failure is recorded).

        Raises :class:`Throttled` when the account or the address failed too often lately.
        """
        from pilotage.auth import passwords

        email = (email or "").strip().lower()
        self.throttled(email, address)
        rows = self._run(f"SELECT password_hash, disabled FROM {self.t('users')} WHERE email = ?", (email,),
                         fetch=True)
        ok = passwords.verify(rows[0][0] if rows else None, password or "")
        if not ok or rows[0][1]:
            now = self.clock()
            self._run(f"INSERT INTO {self.t('login_failures')} VALUES ('account', ?, ?), ('address', ?, ?)",
                      (email, now, address, now))
            self.audit(None, "login.failed", email, "disabled" if ok else "", address)
            return None
        self._run(f"DELETE FROM {self.t('login_failures')} WHERE kind = 'account' AND key = ?", (email,))
        self.audit(email, "login", email, "", address)
        return self.get(email)

    def throttled(self, email: str, address: str) -> None:
        since = self.clock() - THROTTLE_WINDOW
        for kind, key, limit in (("account", email, MAX_FAILS_ACCOUNT), ("address", address, MAX_FAILS_ADDRESS)):
            n = self._run(f"SELECT COUNT(*) FROM {self.t('login_failures')} WHERE kind = ? AND key = ? "
                          "AND failed_at > ?", (kind, key, since), fetch=True)[0][0]
            if n >= limit:
                self.audit(None, "login.throttled", email, kind, address)
                raise Throttled(f"too many failed logins for this {kind}: try again in "
                                f"{int(THROTTLE_WINDOW.total_seconds() // 60)} minutes")

    # ---------------------------------------------------------------- API tokens
    def new_token(self, email: str, *, write: bool = False, actor: str | None = None) -> str:
        """A new API token, returned once: only its digest is stored. Read-only unless ``write``
        (an admin's token that may import, for `pilotage import --server`)."""
        user = self.get(email)
        if user is None:
            raise PilotageError(f"no enabled user {email.lower()}: see `pilotage users list`")
        if write and user.role != "admin":
            raise PilotageError("only an admin's token may write (import)")
        token = "plt_" + secrets.token_urlsafe(32)
        self._run(f"INSERT INTO {self.t('api_tokens')} VALUES (?, ?, ?, ?)",
                  (digest(token), user.email, self.clock(), write))
        self.audit(actor, "token.new", user.email, "write" if write else "read-only")
        return token

    def revoke_tokens(self, email: str, actor: str | None = None) -> int:
        self._require(email)
        n = self._run(f"SELECT COUNT(*) FROM {self.t('api_tokens')} WHERE email = ?", (email.lower(),),
                      fetch=True)[0][0]
        self._run(f"DELETE FROM {self.t('api_tokens')} WHERE email = ?", (email.lower(),))
        self.audit(actor, "token.revoke", email.lower(), f"{n} token(s)")
        return int(n)

    def user_for_token(self, token: str) -> tuple[User, bool] | None:
        """(user, may write) for a valid token of an enabled user, else None."""
        rows = self._run(f"SELECT email, can_write FROM {self.t('api_tokens')} WHERE token_hash = ?",
                         (digest(token),), fetch=True)
        if not rows:
            return None
        user = self.get(rows[0][0])
        return (user, bool(rows[0][1])) if user else None

    # ---------------------------------------------------------------- sessions
    def new_session(self, email: str) -> tuple[str, str]:
        """(session id, CSRF token) of a new session; the id is stored as its digest."""
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self.clock()
        self._run(f"INSERT INTO {self.t('sessions')} VALUES (?, ?, ?, ?, ?)", (digest(sid), email, csrf, now, now))
        return sid, csrf

    def session(self, sid: str) -> tuple[User, str] | None:
        """(user, CSRF token) of a live session; an idle (30 min) or old (12 h) one is ended."""
        rows = self._run(f"SELECT email, csrf, created_at, seen_at FROM {self.t('sessions')} WHERE id_hash = ?",
                         (digest(sid),), fetch=True)
        if not rows:
            return None
        email, csrf, created, seen = rows[0]
        now = self.clock()
        if now - seen > IDLE or now - created > ABSOLUTE:
            self.end_session(sid)
            return None
        user = self.get(email)
        if user is None:
            return None
        if now - seen > TOUCH_EVERY:
            self._run(f"UPDATE {self.t('sessions')} SET seen_at = ? WHERE id_hash = ?", (now, digest(sid)))
        return user, csrf

    def end_session(self, sid: str) -> None:
        self._run(f"DELETE FROM {self.t('sessions')} WHERE id_hash = ?", (digest(sid),))

    # ---------------------------------------------------------------- audit
    def audit(self, actor, action: str, target=None, detail: str = "", address: str = "") -> None:
        self._run(f"INSERT INTO {self.t('audit')} VALUES (?, ?, ?, ?, ?, ?)",
                  (self.clock(), actor, action, target, detail or None, address or None))

    def audit_log(self, since: dt.datetime | None = None, limit: int = 1000) -> list[dict]:
        where, params = ("WHERE logged_at >= ?", (since,)) if since else ("", ())
        rows = self._run(f"SELECT logged_at, actor, action, target, detail, address FROM {self.t('audit')} "
                         f"{where} ORDER BY logged_at DESC LIMIT {int(limit)}", params, fetch=True)
        return [dict(zip(("at", "actor", "action", "target", "detail", "address"), r, strict=True))
                for r in rows]


class Throttled(PilotageError):
    """Too many failed logins lately for an account or an address."""
