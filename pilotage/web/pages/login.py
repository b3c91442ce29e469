"""The login page (fr/en) and logout: a session in an HttpOnly, SameSite=Lax cookie.

Secure when the request came over https (behind a proxy, run uvicorn with
--proxy-headers or set PILOTAGE_SECURE_COOKIES=1). Failed logins are throttled
per account and per address (pilotage.auth.store); every attempt is audited.
"""

from __future__ import annotations

import os
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pilotage.auth import forms
from pilotage.auth.store import Throttled
from pilotage.auth.web import SESSION_COOKIE, client_address, user_of
from pilotage.web import i18n
from pilotage.web.pages.common import TEMPLATES

router = APIRouter(include_in_schema=False)

WORDS = {
    "title": {"fr": "Connexion", "en": "Log in"},
    "email": {"fr": "Adresse e-mail", "en": "E-mail address"},
    "password": {"fr": "Mot de passe", "en": "Password"},
    "submit": {"fr": "Se connecter", "en": "Log in"},
    "failed": {"fr": "Adresse ou mot de passe incorrect.", "en": "Wrong e-mail address or password."},
    "throttled": {"fr": "Trop d'essais manqués : réessayez dans 15 minutes.",
                  "en": "Too many failed attempts: try again in 15 minutes."},
    "csrf": {"fr": "Le formulaire a expiré : rechargez la page.", "en": "The form expired: reload the page."},
    "logout": {"fr": "Se déconnecter", "en": "Log out"},
    "other": {"fr": "English", "en": "Français"},
}


def secure(request: Request) -> bool:
    return request.url.scheme == "https" or os.environ.get("PILOTAGE_SECURE_COOKIES") == "1"


def _next(value: str | None) -> str:
    """Only a path of this site (no //host, no scheme): no open redirect."""
    v = value or "/"
    return v if v.startswith("/") and not v.startswith("//") and "\\" not in v else "/"


def _page(request: Request, lang: str, nxt: str, message: str | None = None, status: int = 200, email: str = ""):
    token, cookie = forms.form_token(request)
    other = "en" if lang == "fr" else "fr"
    resp = TEMPLATES.TemplateResponse(request, "login.html", {
        "lang": lang, "w": {k: v[lang] for k, v in WORDS.items()}, "next": nxt, "csrf": token,
        "message": message, "email": email, "other_url": f"/login?lang={other}&next={nxt}", "other": other,
    }, status_code=status)
    forms.set_form_cookie(resp, request, cookie)
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/", lang: str | None = None):
    lang = i18n.norm_lang(lang or ("en" if "lang=en" in (next or "") else None))
    if user_of(request) is not None:
        return RedirectResponse(_next(next), status_code=303)
    return _page(request, lang, _next(next))


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, email: str = Form(""), password: str = Form(""), csrf_token: str = Form(""),
          next: str = Form("/"), lang: str = Form("fr")):
    lang = i18n.norm_lang(lang)
    nxt = _next(next)
    if not forms.form_ok(request, csrf_token):
        return _page(request, lang, nxt, WORDS["csrf"][lang], 403, email)
    gate = request.app.state.auth
    try:
        user = gate.store.check_password(email, password, client_address(request))
    except Throttled:
        return _page(request, lang, nxt, WORDS["throttled"][lang], 429, email)
    if user is None:
        return _page(request, lang, nxt, WORDS["failed"][lang], 401, email)
    sid, _ = gate.store.new_session(user.email)
    resp = RedirectResponse(nxt, status_code=303)
    resp.set_cookie(SESSION_COOKIE, gate.sign(sid), httponly=True, samesite="lax", secure=secure(request), path="/")
    resp.delete_cookie(forms.FORM_COOKIE, path="/")
    return resp


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")):
    gate = request.app.state.auth
    if not forms.form_ok(request, csrf_token):
        return RedirectResponse("/", status_code=303)
    sid = gate.unsign(request.cookies.get(SESSION_COOKIE))
    if sid:
        gate.store.end_session(sid)
        user = user_of(request)
        gate.store.audit(user.email if user else None, "logout", user.email if user else None, "",
                         client_address(request))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp
