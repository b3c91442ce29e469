"""CSRF tokens of the server-rendered forms (login, logout, admin).

With a session: the session's own token. Without (the login page, single-user
mode): a double-submit cookie, ``pilotage_csrf``, whose value the form repeats;
a cross-site page can neither read that cookie nor set it on this host. Both
come on top of the Origin/Referer check of the gate.
"""

from __future__ import annotations

import hmac
import secrets

FORM_COOKIE = "pilotage_csrf"


def form_token(request) -> tuple[str, str | None]:
    """(token to put in the form, cookie value to set or None)."""
    csrf = getattr(request.state, "csrf", None)
    if csrf:
        return csrf, None
    existing = request.cookies.get(FORM_COOKIE)
    if existing and len(existing) >= 32:
        return existing, None
    new = secrets.token_urlsafe(32)
    return new, new


def set_form_cookie(response, request, value: str | None) -> None:
    if value:
        response.set_cookie(FORM_COOKIE, value, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")


def form_ok(request, sent: str | None) -> bool:
    expected = getattr(request.state, "csrf", None) or request.cookies.get(FORM_COOKIE)
    return bool(sent and expected and hmac.compare_digest(sent, expected))
