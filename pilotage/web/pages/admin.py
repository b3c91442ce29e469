"""The admin page: users (add, disable), API tokens (new, revoke), the SMTP settings, the audit log.

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
    # SMTP settings (issue 12: milestone e-mails, pilotage.goals.notify)
    "smtp": {"fr": "Envoi des e-mails (SMTP)", "en": "E-mail sending (SMTP)"},
    "smtp_help": {"fr": "Les jalons des objectifs (50, 90 et 100 %) sont aussi envoyés par e-mail quand un serveur "
                        "SMTP est configuré. Le mot de passe, s'il en faut un, n'est jamais enregistré ici : il vient "
                        "de la variable d'environnement PILOTAGE_SMTP_PASSWORD du serveur.",
                  "en": "Goal milestones (50, 90 and 100 %) are also e-mailed when an SMTP server is set. The "
                        "password, if one is needed, is never stored here: it comes from the server's "
                        "PILOTAGE_SMTP_PASSWORD environment variable."},
    "smtp_none": {"fr": "Aucun serveur SMTP : notifications dans l'application seulement.",
                  "en": "No SMTP server: in-app notifications only."},
    "smtp_host": {"fr": "Serveur", "en": "Host"}, "smtp_port": {"fr": "Port", "en": "Port"},
    "smtp_sender": {"fr": "Expéditeur (nom@domaine)", "en": "Sender (name@domain)"},
    "smtp_username": {"fr": "Identifiant (facultatif)", "en": "Username (optional)"},
    "smtp_tls": {"fr": "STARTTLS", "en": "STARTTLS"}, "smtp_save": {"fr": "Enregistrer", "en": "Save"},
    "smtp_saved": {"fr": "Réglages SMTP enregistrés.", "en": "SMTP settings saved."},
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
    from pilotage.goals import notify

    store = request.app.state.auth.store
    csrf, cookie = forms.form_token(request)
    with request.app.state.pilotage.reader() as (ws, _):
        smtp = notify.smtp_settings(ws)
    resp = TEMPLATES.TemplateResponse(request, "admin.html", {
        "lang": lang, "w": {k: v[lang] for k, v in WORDS.items()}, "users": store.list_users(), "roles": ROLES,
        "audit": store.audit_log(limit=50), "csrf": csrf, "message": message, "token": token, "smtp": smtp,
        "smtp_saved": request.query_params.get("smtp") == "saved",
        "t": lambda key, **kw: i18n.t(key, lang, **kw), "max_focus": MAX_FOCUS, "notice": notice,
        "focus_sections": _focus_choices(request, lang, focus_ticked),
    }, status_code=status)
    forms.set_form_cookie(resp, request, cookie)
    resp.headers["Cache-Control"] = "no-store"  # users, the audit log and a form token: never kept by a browser
    return resp


def _check(request: Request, csrf_token: str) -> None:
    if not forms.form_ok(request, csrf_token):
        raise Forbidden("the form expired or came from another site (CSRF): reload the page")


def _user_action(request: Request, csrf_token: str, lang: str, act):
    """A form's action on one user (disable, revoke): back to the admin page, or its error (unknown user: 404)."""
    _check(request, csrf_token)
    try:
        act(request.app.state.auth.store)
    except PilotageError as exc:
        return _page(request, i18n.norm_lang(lang), str(exc), status=404)
    return RedirectResponse(f"/admin?lang={i18n.norm_lang(lang)}", status_code=303)


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
    return _user_action(request, csrf_token, lang, lambda store: store.disable(email, actor=_actor(request)))


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
    return _user_action(request, csrf_token, lang, lambda store: store.revoke_tokens(email, actor=_actor(request)))


@router.post("/smtp", response_class=HTMLResponse)
def smtp(request: Request, host: str = Form(""), port: str = Form("25"), sender: str = Form(""),
         username: str = Form(""), starttls: str = Form(""), csrf_token: str = Form(""), lang: str = Form("fr")):
    """The SMTP settings of the milestone e-mails (:func:`pilotage.goals.notify.set_smtp`); audited."""
    from pilotage.goals import notify
    from pilotage.web import data

    _check(request, csrf_token)
    lang = i18n.norm_lang(lang)
    state = request.app.state.pilotage
    try:
        with state.lock:
            saved = notify.set_smtp(state.ws, host=host.strip(), port=int(port.strip() or 25), sender=sender.strip(),
                                    username=username.strip() or None, starttls=bool(starttls))
            data.after_write(state)
    except ValueError:
        return _page(request, lang, f"SMTP port {port!r}: expected a whole number", status=422)
    except PilotageError as exc:
        return _page(request, lang, str(exc), status=422)
    request.app.state.auth.store.audit(_actor(request), "smtp.set", saved["host"],
                                       f"port={saved['port']} sender={saved['sender']} starttls={saved['starttls']}",
                                       client_address(request))
    return RedirectResponse(f"/admin?lang={lang}&smtp=saved", status_code=303)


__all__ = ["router", "client_address"]
