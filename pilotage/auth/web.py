"""The team server's gate: who is asking (session cookie or API token), CSRF, and the current user.

One HTTP middleware, installed by :func:`install` (two lines in ``web/app.py``):

- no user in the workspace: single-user mode, as before (``user=None``);
- otherwise every route but the login page, static files, the API's health and
  its OpenAPI document needs a session (cookie ``pilotage_session``, a signed
  random id stored as a digest in the database) or ``Authorization: Bearer TOKEN``:
  without one, 401 JSON under ``/api/``, a redirect to the login page elsewhere;
- every state-changing request (not GET/HEAD/OPTIONS), in single-user mode too,
  must come from this site (its ``Origin``, or else its ``Referer``, names this
  host) and carry ``X-Pilotage-CSRF`` (the session's token with a session, any
  value in single-user mode: a plain cross-site form cannot set a header) unless
  it is authenticated by a token (no ambient credential) or is one of the
  forms that checks its own ``csrf_token`` field (login, logout, admin, goals, challenges);
- API tokens are read-only unless made with ``--write`` (an admin's, for imports).

The user is kept in a context variable for the request, which the web data layer
(``pilotage.web.data``) reads, so every page and API answer is scoped and cached
per scope without each route passing the user along.
"""

from __future__ import annotations

import contextvars
import hmac
import time
from urllib.parse import quote, urlparse

from starlette.requests import Request

from pilotage.auth.model import User
from pilotage.web.cache import stale_served

SESSION_COOKIE = "pilotage_session"
CSRF_HEADER = "X-Pilotage-CSRF"
SAFE = ("GET", "HEAD", "OPTIONS")
PUBLIC = ("/login", "/static/", "/assets/", "/api/v1/health", "/api/v1/openapi.json", "/docs")
# forms that check their own csrf_token field (pilotage.auth.forms)
SELF_CHECKED = ("/login", "/logout", "/admin", "/objectifs", "/challenges")

current_user: contextvars.ContextVar[User | None] = contextvars.ContextVar("pilotage_user", default=None)


class Gate:
    """What the middleware needs: the store, the signer, whether the workspace has users."""

    def __init__(self, store, secret: str):
        from itsdangerous import Signer

        self.store = store
        self.signer = Signer(secret, salt="pilotage.session")
        self._team: tuple[float, bool] = (0.0, False)

    def team_mode(self) -> bool:
        """True once a user exists (checked at most every 2 s: a user added by the CLI is seen soon)."""
        at, value = self._team
        if time.monotonic() - at > 2:
            value = self.store.has_users()
            self._team = (time.monotonic(), value)
        return value

    def sign(self, sid: str) -> str:
        return self.signer.sign(sid).decode()

    def unsign(self, cookie: str | None) -> str | None:
        from itsdangerous import BadSignature

        if not cookie:
            return None
        try:
            return self.signer.unsign(cookie).decode()
        except BadSignature:
            return None


def _public(path: str) -> bool:
    return any(path == p.rstrip("/") or path.startswith(p) if p.endswith("/") else path == p for p in PUBLIC)


def _self_checked(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in SELF_CHECKED)


def same_origin(request) -> bool:
    """The request's Origin (else Referer) names this server's host; neither sent: allowed
    (non-browser clients; browsers always send Origin on a cross-site POST)."""
    host = request.headers.get("host", "")
    for h in ("origin", "referer"):
        v = request.headers.get(h)
        if v:
            if v == "null":
                return False
            return urlparse(v).netloc == host
    return True


def client_address(request) -> str:
    return request.client.host if request.client else ""


def install(app, ws, url: str, clock=None) -> Gate:
    from fastapi.responses import JSONResponse, RedirectResponse
    from starlette.concurrency import run_in_threadpool

    from pilotage.auth.secret import secret_key
    from pilotage.auth.store import AuthStore, utcnow

    store = AuthStore(ws.db, clock or utcnow)
    app.add_exception_handler(Forbidden, _forbidden)
    gate = Gate(store, secret_key(url))
    app.state.auth = gate

    def deny(request, status: int, message: str):
        if request.url.path.startswith("/api/") or status != 401:
            return JSONResponse({"error": "Unauthorized" if status == 401 else "Forbidden", "message": message},
                                status_code=status,
                                headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)
        nxt = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?next=" + quote(nxt, safe=""), status_code=303)

    def identify(request):
        """(user, csrf token, how): from a bearer token, a session cookie, or nobody."""
        authz = request.headers.get("authorization", "")
        if authz[:7].lower() == "bearer ":
            found = store.user_for_token(authz[7:].strip())
            if found is None:
                return None, None, "bad-token"
            return found[0], None, "token-write" if found[1] else "token"
        if not gate.team_mode():
            return None, None, "single"
        sid = gate.unsign(request.cookies.get(SESSION_COOKIE))
        found = store.session(sid) if sid else None
        if found is None:
            return None, None, "anonymous"
        return found[0], found[1], "session"

    @app.middleware("http")
    async def pilotage_gate(request, call_next):
        path, unsafe = request.url.path, request.method not in SAFE
        if unsafe and not same_origin(request):
            return deny(request, 403, "cross-site request refused (its Origin is not this server)")
        user, csrf, how = await run_in_threadpool(identify, request)
        request.state.csrf = csrf
        request.state.auth_via = how
        if how == "bad-token":
            return deny(request, 401, "invalid or revoked API token")
        if how == "anonymous" and not _public(path):
            return deny(request, 401, "log in, or send Authorization: Bearer TOKEN (pilotage users token EMAIL)")
        if unsafe and how == "token":
            return deny(request, 403, "this API token is read-only (an admin's token made with --write may import)")
        if unsafe and not how.startswith("token") and not _self_checked(path):
            sent = request.headers.get(CSRF_HEADER)
            if not sent or (csrf is not None and not hmac.compare_digest(sent, csrf)):
                return deny(request, 403, f"missing or wrong {CSRF_HEADER} header (CSRF protection)")
        request.state.user = user
        token = current_user.set(user)
        flags = {}
        flags_token = stale_served.set(flags)
        try:
            response = await call_next(request)
        finally:
            current_user.reset(token)
            stale_served.reset(flags_token)
        if flags.get("stale"):  # an answer of the data before the last import, while the new one is computed
            response.headers["X-Pilotage-Stale"] = "1"
            response.headers["Cache-Control"] = "no-store"
        return response

    return gate


def user_of(request) -> User | None:
    return getattr(request.state, "user", None)


class Forbidden(Exception):
    pass


async def _forbidden(request, exc):
    from fastapi.responses import JSONResponse

    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": "Forbidden", "message": str(exc)}, status_code=403)
    from pilotage.web.pages import error_page

    return error_page(request, 403, str(exc))


def require_admin(request: Request) -> User | None:
    """For import, settings, user management: single-user mode or an admin, else 403."""
    user = user_of(request)
    if user is not None and user.role != "admin":
        raise Forbidden("admin only: import, settings and users are managed by an admin")
    return user
