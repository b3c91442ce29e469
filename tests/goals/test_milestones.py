"""Milestones 50/90/100 %: in-app notifications, once each, and e-mail through a real SMTP server on loopback."""

from __future__ import annotations

import socket

from pilotage.goals import notify
from pilotage.goals import service as G
from tests.goals.test_goals import AS_OF, load


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_milestones_notified_once_and_emailed(duck):
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    class Keep(Sink):
        def __init__(self):
            self.mails = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            self.mails.append((envelope.rcpt_tos, envelope.content.decode()))
            return "250 OK"

    handler = Keep()
    port = _free_port()
    ctl = Controller(handler, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        load(duck)
        notify.set_smtp(duck, host="127.0.0.1", port=port, sender="pilotage@example.test")
        # r1: 6000 of 6500 by 10 March = 92.3 % -> 50 and 90 reached, only 90 announced, by e-mail to r1
        G.set_goal(duck, "revenue", "2025-03", 6500, rep="r1")
        # r2 (no e-mail address): 1 deal of 2 = 50 % -> in-app only; its quota 1500 / 3000 = 50 % too
        G.set_goal(duck, "deals_won", "2025-03", 2, rep="r2")
        made = G.check_milestones(duck, as_of=AS_OF)
        assert sorted((m["goal_id"].startswith("quota"), m["recipient_rep"], m["milestone"]) for m in made) == \
            [(False, "r1", 90), (False, "r2", 50), (True, "r2", 50)]
        assert len(handler.mails) == 1
        to, text = handler.mails[0]
        assert to == ["r1@example.test"] and "revenue 2025-03: 90 % of the goal reached" in text
        assert G.check_milestones(duck, as_of=AS_OF) == []  # announced once
        # a later deal takes r1 over 100 %: 6000 + 1000 = 7000 >= 6500
        duck.load({"opportunities": [{"opportunity_id": "o9", "status": "won", "owner_rep_id": "r1",
                                      "created_at": "2025-03-01 09:00:00", "closed_at": "2025-03-09 12:00:00",
                                      "amount": 1000, "stage": "won"}]})
        again = G.check_milestones(duck, as_of=AS_OF)
        assert [(m["recipient_rep"], m["milestone"]) for m in again] == [("r1", 100)]
        inbox = notify.notifications(duck)
        assert sorted(n["kind"] for n in inbox if n["recipient_rep"] == "r1") == ["milestone_100", "milestone_90"]
        assert all(n["emailed"] for n in inbox if n["recipient_rep"] == "r1")
        assert not any(n["emailed"] for n in inbox if n["recipient_rep"] == "r2")
    finally:
        ctl.stop()
