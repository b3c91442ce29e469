"""The admin page: users (add, disable), API tokens (new, revoke), the audit log.

The same operations as `pilotage users ...`, for an admin (or in single-user
mode, to create the first admin). Every form carries a CSRF token; every change
is audited.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pilotage.auth import forms
from pilotage.auth.model import ROLES
from pilotage.auth.web import Forbidden, client_address, require_admin, user_of
from pilotage.catalogue.kpis import BY_ID, KPIS, SECTION_LABELS, SECTIONS
from pilotage.errors import PilotageError
from pilotage.settings import MAX_FOCUS
from pilotage.web import i18n
from pilotage.web.pages.common import TEMPLATES

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(require_admin)])

WORDS = {
    "title": {"fr": "Administration", "en": "Administration"},
    "users": {"fr": "Utilisateurs", "en": "Users"},
    "email": {"fr": "E-mail", "en": "E-mail"}, "role": {"fr": "Rôle", "en": "Role"},
    "rep": {"fr": "Commercial (rep_id)", "en": "Rep (rep_id)"},
    "teams": {"fr": "Équipes (team_id, séparées par des virgules)", "en": "Teams (team_id, comma-separated)"},
    "password": {"fr": "Mot de passe (10 caractères au moins)", "en": "Password (at least 10 characters)"},
    "add": {"fr": "Ajouter", "en": "Add"}, "disable": {"fr": "Désactiver", "en": "Disable"},
    "token": {"fr": "Nouveau jeton d'API", "en": "New API token"},
    "revoke": {"fr": "Révoquer les jetons", "en": "Revoke tokens"},
    "disabled": {"fr": "désactivé", "en": "disabled"}, "tokens": {"fr": "Jetons", "en": "Tokens"},
    "shown_once": {"fr": "Jeton (affiché une seule fois) :", "en": "Token (shown once):"},
    "audit": {"fr": "Journal d'audit", "en": "Audit log"}, "back": {"fr": "Tableau de bord", "en": "Dashboard"},
}


def _actor(request: Request) -> str | None:
    u = user_of(request)
    return u.email if u else None


def _focus_choices(request: Request, lang: str, ticked=None) -> list[dict]:
    """The catalogue by section, each KPI ticked when it is in the focus (or in ``ticked``, a form sent back)."""
    ticked = set(request.app.state.pilotage.ws.settings.focus if ticked is None else ticked)
    sections = []
    for sec in SECTIONS:
        kpis = [{"id": k.id, "label": k.label[lang], "checked": k.id in ticked} for k in KPIS if k.section == sec]
        sections.append({"label": SECTION_LABELS[sec][lang], "kpis": kpis})
    return sections


def _page(request: Request, lang: str, message: str | None = None, token: str | None = None, status: int = 200,
          focus_ticked=None, notice: str | None = None):
    store = request.app.state.auth.store
    csrf, cookie = forms.form_token(request)
    resp = TEMPLATES.TemplateResponse(request, "admin.html", {
        "lang": lang, "w": {k: v[lang] for k, v in WORDS.items()}, "users": store.list_users(), "roles": ROLES,
        "audit": store.audit_log(limit=50), "csrf": csrf, "message": message, "token": token,
        "t": lambda key, **kw: i18n.t(key, lang, **kw), "max_focus": MAX_FOCUS, "notice": notice,
        "focus_sections": _focus_choices(request, lang, focus_ticked),
    }, status_code=status)
    forms.set_form_cookie(resp, request, cookie)
    return resp


def _check(request: Request, csrf_token: str) -> None:
    if not forms.form_ok(request, csrf_token):
        raise Forbidden("the form expired or came from another site (CSRF): reload the page")


@router.get("", response_class=HTMLResponse)
def admin_page(request: Request, lang: str | None = None, saved: str | None = None):
    lang = i18n.norm_lang(lang)
    return _page(request, lang, notice=i18n.t("admin.focus_saved", lang) if saved == "focus" else None)


@router.post("/settings/focus", response_class=HTMLResponse)
def set_focus(request: Request, focus: list[str] = Form([]), csrf_token: str = Form(""), lang: str = Form("fr")):
    """The overview's focus KPIs (1 to MAX_FOCUS): the ones kept stay in place, new ones follow in the
    catalogue's order. The same setting as `pilotage settings --set focus=...`, audited likewise."""
    from pilotage.web import data

    _check(request, csrf_token)
    lang = i18n.norm_lang(lang)
    state = request.app.state.pilotage
    asked = {f for f in focus if f in BY_ID}
    current = [i for i in state.ws.settings.focus if i in asked]
    chosen = current + [k.id for k in KPIS if k.id in asked and k.id not in current]
    if len(chosen) > MAX_FOCUS:
        return _page(request, lang, i18n.t("admin.focus_too_many", lang, n=len(chosen), max=MAX_FOCUS,
                                           extra=len(chosen) - MAX_FOCUS), status=422, focus_ticked=chosen)
    if not chosen:
        return _page(request, lang, i18n.t("admin.focus_none", lang), status=422, focus_ticked=chosen)
    with state.writing() as ws:
        ws.set_settings(focus=",".join(chosen))
        data.after_write(state)
    request.app.state.auth.store.audit(_actor(request), "settings", None, "focus=" + ",".join(chosen),
                                       address=client_address(request))
    return RedirectResponse(f"/admin?lang={lang}&saved=focus", status_code=303)


@router.post("/users", response_class=HTMLResponse)
def add_user(request: Request, email: str = Form(...), role: str = Form(...), rep_id: str = Form(""),
             teams: str = Form(""), password: str = Form(""), csrf_token: str = Form(""), lang: str = Form("fr")):
    _check(request, csrf_token)
    lang = i18n.norm_lang(lang)
    try:
        request.app.state.auth.store.add_user(
            email, role, rep_id=rep_id.strip() or None, password=password or None, actor=_actor(request),
            team_ids=tuple(t.strip() for t in teams.split(",") if t.strip()))
    except PilotageError as exc:
        return _page(request, lang, str(exc), status=422)
    return RedirectResponse(f"/admin?lang={lang}", status_code=303)


@router.post("/users/{email}/disable", response_class=HTMLResponse)
def disable(request: Request, email: str, csrf_token: str = Form(""), lang: str = Form("fr")):
    _check(request, csrf_token)
    try:
        request.app.state.auth.store.disable(email, actor=_actor(request))
    except PilotageError as exc:
        return _page(request, i18n.norm_lang(lang), str(exc), status=404)
    return RedirectResponse(f"/admin?lang={i18n.norm_lang(lang)}", status_code=303)


@router.post("/users/{email}/token", response_class=HTMLResponse)
def token(request: Request, email: str, csrf_token: str = Form(""), lang: str = Form("fr")):
    _check(request, csrf_token)
    lang = i18n.norm_lang(lang)
    try:
        tok = request.app.state.auth.store.new_token(email, actor=_actor(request))
    except PilotageError as exc:
        return _page(request, lang, str(exc), status=404)
    return _page(request, lang, token=tok)  # shown once, never stored in clear


@router.post("/users/{email}/revoke", response_class=HTMLResponse)
def revoke(request: Request, email: str, csrf_token: str = Form(""), lang: str = Form("fr")):
    _check(request, csrf_token)
    try:
        request.app.state.auth.store.revoke_tokens(email, actor=_actor(request))
    except PilotageError as exc:
        return _page(request, i18n.norm_lang(lang), str(exc), status=404)
    return RedirectResponse(f"/admin?lang={i18n.norm_lang(lang)}", status_code=303)


__all__ = ["router", "client_address"]
