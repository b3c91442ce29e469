"""The user every face passes to the service layer.

``user=None`` means single-user mode (the local ``pilotage serve`` with no user
defined, the CLI, the Python API): everything is visible and allowed. Otherwise
a :class:`User`: an ``admin`` sees and may do everything, a ``manager`` sees the
records of the teams in ``team_ids`` and of their sub-teams (``teams.parent_team_id``,
resolved by :mod:`pilotage.auth.scope`), a ``rep`` sees the records whose rep is
``rep_id``. Any other role, or a rep without ``rep_id``, sees nothing (deny by
default).
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "manager", "rep")


@dataclass(frozen=True)
class User:
    email: str
    role: str  # "admin" | "manager" | "rep"
    rep_id: str | None = None
    team_ids: tuple[str, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def is_admin(user: User | None) -> bool:
    """May import, change settings and manage users: single-user mode or an admin."""
    return user is None or user.role == "admin"
