"""Milestones (50, 90, 100 % of a goal) as in-app notifications, and by e-mail when SMTP is set.

Each milestone of a goal is announced once (table ``goal_milestones``); when one check finds
several newly crossed (an import took a rep from 40 % to 95 %), they are all recorded and only
the highest is announced. The rep owning a goal is told; for a team goal, its manager.
SMTP settings live in the database (table ``smtp_settings``); the password, if the server
needs one, comes from the environment (``PILOTAGE_SMTP_PASSWORD``), never from the database.
"""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage

from pilotage.errors import PilotageError
from pilotage.goals import store as S

SMTP_KEYS = ("host", "port", "sender", "username", "starttls")


def set_smtp(ws, *, host: str, port: int = 25, sender: str, username: str | None = None,
             starttls: bool = False) -> dict:
    if not host or "@" not in (sender or ""):
        raise PilotageError("SMTP settings: a host and a sender address (name@domain) are needed")
    values = {"host": host, "port": str(int(port)), "sender": sender, "username": username or "",
              "starttls": "true" if starttls else "false"}
    db = ws.db
    with db.transaction():
        S.run(db, f"DELETE FROM {db.q('smtp_settings')}")
        for k, v in values.items():
            S.insert(db, "smtp_settings", {"key": k, "value": v})
    return smtp_settings(ws)


def smtp_settings(ws) -> dict | None:
    got = dict(ws.db.fetchall(f"SELECT key, value FROM {ws.db.q('smtp_settings')}"))
    if not got.get("host"):
        return None
    return {"host": got["host"], "port": int(got.get("port") or 25), "sender": got["sender"],
            "username": got.get("username") or None, "starttls": got.get("starttls") == "true"}


def send_mail(smtp: dict, to: str, subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = smtp["sender"], to, subject
    msg.set_content(body)
    with smtplib.SMTP(smtp["host"], smtp["port"], timeout=10) as s:
        if smtp["starttls"]:
            s.starttls()
        if smtp["username"]:
            s.login(smtp["username"], os.environ.get("PILOTAGE_SMTP_PASSWORD", ""))
        s.send_message(msg)


def _recipients(ws) -> tuple[dict, dict]:
    reps = {r: e for r, e in ws.db.fetchall(f"SELECT rep_id, email FROM {ws.db.q('reps')}")}
    managers = {t: m for t, m in ws.db.fetchall(f"SELECT team_id, manager_rep_id FROM {ws.db.q('teams')}")}
    return reps, managers


def check(ws, rows: list[dict]) -> list[dict]:
    """Record the milestones the goals in ``rows`` (progress objects) have newly reached; notify."""
    db = ws.db
    done = {(g, m) for g, m in db.fetchall(f"SELECT goal_id, milestone FROM {db.q('goal_milestones')}")}
    reps, managers = _recipients(ws)
    smtp = smtp_settings(ws)
    made = []
    for r in rows:
        if r["attainment"] is None or r["source"] == "rollup" or r["status"] == "not_started":
            continue
        from pilotage.goals.service import MILESTONES

        new = [m for m in MILESTONES if r["attainment"] * 100 >= m and (r["goal_id"], m) not in done]
        if not new:
            continue
        rep = r["owner_id"] if r["owner_type"] == "rep" else managers.get(r["owner_id"]) \
            if r["owner_type"] == "team" else None
        email = reps.get(rep) if rep else None
        who = r["owner_name"] or r["owner_id"] or "company"
        top = max(new)
        subject = f"{r['kpi']} {r['period']}: {top} % of the goal reached ({who})"
        body = (f"{who}: {r['kpi']} is at {r['value']:,.2f} for a target of {r['target']:,.2f} over {r['period']} "
                f"({r['attainment']:.0%}). Pace: {r['pace_value']:,.2f} by {r['period_end']}; {r['days_left']} days "
                f"left.")
        nid = S.new_id("n")
        with db.transaction():
            for m in new:
                S.insert(db, "goal_milestones", {"goal_id": r["goal_id"], "milestone": m, "reached_at": S.now()})
            S.insert(db, "notifications", {"notification_id": nid, "created_at": S.now(), "recipient_rep": rep,
                                           "recipient_email": email, "kind": f"milestone_{top}", "subject": subject,
                                           "body": body, "goal_id": r["goal_id"], "emailed": False})
        if smtp and email:
            try:
                send_mail(smtp, email, subject, body)
                S.run(db, f"UPDATE {db.q('notifications')} SET emailed = TRUE WHERE notification_id = ?", [nid])
            except (OSError, smtplib.SMTPException):
                pass  # the in-app notification stands; `emailed` stays false
        made.append({"notification_id": nid, "goal_id": r["goal_id"], "milestone": top, "recipient_rep": rep,
                     "recipient_email": email, "subject": subject})
    return made


def notifications(ws, user=None, unread_only: bool = False) -> list[dict]:
    """A rep's own notifications; a manager's, their own; admins and single-user mode: all."""
    db = ws.db
    where, params = [], []
    if user is not None and user.role != "admin":
        where.append("recipient_rep = ?")
        params.append(user.rep_id or "")
    if unread_only:
        where.append("read_at IS NULL")
    w = f" WHERE {' AND '.join(where)}" if where else ""
    out = S.rows(db, f"SELECT * FROM {db.q('notifications')}{w} ORDER BY created_at DESC, notification_id", params)
    for n in out:
        n["created_at"] = n["created_at"].isoformat() if n["created_at"] else None
        n["read_at"] = n["read_at"].isoformat() if n["read_at"] else None
    return out
