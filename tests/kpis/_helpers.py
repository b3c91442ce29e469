"""Small builders and selectors for the KPI tests.

The builders only fill the required columns with neutral defaults, so that a
test shows the columns that matter to it. Expected values are never computed
here: every test works them out by hand next to its assertion.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def only(df: pd.DataFrame, **match: Any) -> pd.Series:
    """The single row of ``df`` whose columns equal ``match`` (``period`` given as an ISO date)."""
    mask = pd.Series(True, index=df.index)
    for col, val in match.items():
        assert col in df.columns, f"no column {col!r} in {list(df.columns)}"
        if col == "period":
            val = pd.Timestamp(val)
        mask &= df[col] == val
    rows = df[mask]
    assert len(rows) == 1, f"expected one row matching {match}, got {len(rows)}:\n{df}"
    return rows.iloc[0]


def one(df: pd.DataFrame) -> pd.Series:
    """The single row of a result without grain nor cut."""
    assert len(df) == 1, f"expected a single row, got {len(df)}:\n{df}"
    return df.iloc[0]


def periods(df: pd.DataFrame) -> list[pd.Timestamp]:
    return [pd.Timestamp(p) for p in df["period"]]


def ts(*days: str) -> list[pd.Timestamp]:
    return [pd.Timestamp(d) for d in days]


def rep(rep_id: str, team_id: str | None = None, **kw: Any) -> dict:
    return {"rep_id": rep_id, "name": f"Rep {rep_id}", "team_id": team_id, **kw}


def reps(*ids: str, team_id: str | None = None) -> list[dict]:
    return [rep(i, team_id) for i in ids]


def team(team_id: str) -> dict:
    return {"team_id": team_id, "name": f"Team {team_id}"}


def account(account_id: str, **kw: Any) -> dict:
    return {"account_id": account_id, "name": f"Account {account_id}", **kw}


def lead(lead_id: str, created_at: str, source: str = "website", **kw: Any) -> dict:
    return {"lead_id": lead_id, "created_at": created_at, "source": source, **kw}


_STAGE_OF_STATUS = {"won": "closed_won", "lost": "closed_lost", "open": "discovery"}


def opp(
    opportunity_id: str,
    status: str = "open",
    *,
    created_at: str = "2023-01-02 09:00:00",
    closed_at: str | None = None,
    amount: float = 100,
    owner: str = "r1",
    stage: str | None = None,
    kind: str = "new_business",
    **kw: Any,
) -> dict:
    return {
        "opportunity_id": opportunity_id,
        "owner_rep_id": owner,
        "kind": kind,
        "pipeline": "default",
        "created_at": created_at,
        "stage": stage or _STAGE_OF_STATUS[status],
        "status": status,
        "amount": amount,
        "closed_at": closed_at,
        **kw,
    }


def won(opportunity_id: str, closed_at: str, amount: float = 100, **kw: Any) -> dict:
    return opp(opportunity_id, "won", closed_at=closed_at, amount=amount, **kw)


def lost(opportunity_id: str, closed_at: str, amount: float = 100, **kw: Any) -> dict:
    return opp(opportunity_id, "lost", closed_at=closed_at, amount=amount, **kw)


def act(activity_id: str, type: str, occurred_at: str, rep_id: str = "r1", **kw: Any) -> dict:
    return {"activity_id": activity_id, "rep_id": rep_id, "type": type, "occurred_at": occurred_at, **kw}


def contract(contract_id: str, account_id: str, start_date: str, end_date: str | None = None) -> dict:
    return {"contract_id": contract_id, "account_id": account_id, "start_date": start_date, "end_date": end_date}


def order(order_id: str, account_id: str, ordered_at: str, amount: float, **kw: Any) -> dict:
    return {"order_id": order_id, "account_id": account_id, "ordered_at": ordered_at, "amount": amount, **kw}


def campaign(campaign_id: str, started_on: str, cost: float, channel: str = "linkedin", **kw: Any) -> dict:
    return {"campaign_id": campaign_id, "name": f"Campaign {campaign_id}", "channel": channel,
            "started_on": started_on, "cost": cost, **kw}
