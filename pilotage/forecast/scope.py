"""The user's scope applied to forecasts: which reps' deals and revenue a user may see.

Deals carry their owner rep, and a rep's team is ``reps.team_id`` (as the KPI engine reads
it, :mod:`pilotage.catalogue.facts`): a rep sees their own deals, a manager those of the reps
of their teams and sub-teams, an admin and single-user mode (``user=None``) every deal, any
other role none (:func:`pilotage.auth.scope.scope_of`, deny by default).

Customer value and retention read orders, accounts and contracts, which carry no rep nor
team (see the catalogue's dimensions of ``clv`` or ``active_customers``): they cannot be
cut, so only an admin (or single-user mode) sees them; anyone else gets
:class:`pilotage.errors.NotInScope` with the reason (the API answers 422, a page shows the
figures as not available).

The win-probability model, its backtest and the stage norms (the 90th percentile of stays
that says "stuck") are the company's, learned from every closed deal, as the stage
probabilities of the catalogue's weighted pipeline are: they describe the model, not
anyone's records. The deals listed and every amount summed are the user's.
"""

from __future__ import annotations

from pilotage.errors import NotInScope


def reps_in_scope(ws, user) -> frozenset[str] | None:
    """``None`` (every rep) or the rep ids whose deals ``user`` may see (possibly none)."""
    from pilotage.auth.scope import scope_of

    s = scope_of(user, ws)
    if s is None:
        return None
    dim, allowed = s
    if dim == "rep":
        return frozenset(allowed)
    if not allowed:
        return frozenset()
    teams = set(allowed)
    rows = ws.db.fetchall(f"SELECT rep_id, team_id FROM {ws.db.q('reps')}")
    return frozenset(str(r) for r, t in rows if t is not None and str(t) in teams)


def require_everything(user, ws, what: str) -> None:
    """Deny figures that cannot be cut to a rep or a team to anyone whose scope is not everything."""
    from pilotage.auth.scope import scope_of

    if scope_of(user, ws) is not None:
        raise NotInScope(f"{what} is not available in your scope: customers carry no rep or team "
                         "(only an admin sees it)")
