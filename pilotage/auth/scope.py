"""Row-level scope, deny by default: which reps' or teams' records a user may see.

A rep sees the records of their own ``rep_id``; a manager those of their teams
and every team below them (``teams.parent_team_id``, followed to any depth, a
cycle stops); an admin (and single-user mode, ``user=None``) everything; any
other role, or a rep without a ``rep_id``, nothing. The scope is expressed as a
filter on the ``rep`` or ``team`` dimension that is intersected with the
filters asked for, so a request can narrow its scope but never widen it.
"""

from __future__ import annotations

from pilotage.auth.model import User

NOTHING = "\u2205 out of scope"  # a filter value no record holds: the scope is empty


def subteams(ws, team_ids) -> tuple[str, ...]:
    """The teams given and every team below them (parent_team_id), sorted."""
    seen = {str(t) for t in team_ids}
    if ws is None or not seen:
        return tuple(sorted(seen))
    rows = ws.db.fetchall(f"SELECT team_id, parent_team_id FROM {ws.db.q('teams')} "
                          "WHERE parent_team_id IS NOT NULL")
    children: dict[str, list[str]] = {}
    for t, p in rows:
        children.setdefault(str(p), []).append(str(t))
    todo = list(seen)
    while todo:
        for c in children.get(todo.pop(), []):
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return tuple(sorted(seen))


def scope_of(user: User | None, ws=None) -> tuple[str, tuple[str, ...]] | None:
    """``None`` (everything) or ``(dimension, allowed values)``; an empty tuple allows nothing."""
    if user is None or user.role == "admin":
        return None
    if user.role == "rep":
        return ("rep", (str(user.rep_id),) if user.rep_id else ())
    if user.role == "manager":
        return ("team", subteams(ws, user.team_ids))
    return ("rep", ())


def scope_key(user: User | None, ws=None) -> str:
    """A cache-key part: two users share cached results only when their scopes are equal."""
    s = scope_of(user, ws)
    return "all" if s is None else f"{s[0]}:{','.join(s[1])}"


def apply(filters: dict | None, user: User | None, ws=None) -> dict:
    out = {k: ([v] if isinstance(v, str) else list(v)) for k, v in (filters or {}).items()}
    s = scope_of(user, ws)
    if s is None:
        return out
    dim, allowed = s
    asked = out.get(dim)
    vals = [v for v in allowed if asked is None or v in asked]
    out[dim] = vals or [NOTHING]
    return out
