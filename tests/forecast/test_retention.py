"""Cohort retention curves by start month (by hand) and the sBG projection of the pooled curve."""

from __future__ import annotations


import pilotage
from pilotage.forecast import retention


def test_cohort_curves_from_contracts():
    with pilotage.connect(":memory:") as ws:
        ws.load({"accounts": [{"account_id": a, "name": a} for a in "abcde"],
                 "contracts": [
                     {"contract_id": "ka", "account_id": "a", "start_date": "2024-01-01", "end_date": "2024-03-15"},
                     {"contract_id": "kb", "account_id": "b", "start_date": "2024-01-01"},
                     {"contract_id": "kc", "account_id": "c", "start_date": "2024-01-01", "end_date": "2024-01-20"},
                     {"contract_id": "kd", "account_id": "d", "start_date": "2024-01-01"},
                     {"contract_id": "ke", "account_id": "e", "start_date": "2024-06-01"},  # observed up to June
                 ]})
        res = retention.cohorts(ws)
    jan, jun = res["cohorts"]
    # Jan 2024 cohort (4): Feb 1 a, b, d (c ended Jan 20) = 3/4; Mar 1 the same; Apr 1 b, d = 1/2; May, Jun 1/2
    assert jan == {"cohort": "2024-01", "customers": 4, "retention": [1.0, 0.75, 0.75, 0.5, 0.5, 0.5]}
    assert jun == {"cohort": "2024-06", "customers": 1, "retention": [1.0]}


def test_sbg_projection_on_a_shop(shop_db):
    res = retention.cohorts(pilotage.connect(shop_db, read_only=True))
    # CDNOW: every customer started in Q1 1997; most never came back after the first month
    assert [c["cohort"] for c in res["cohorts"]] == ["1997-01", "1997-02", "1997-03"]
    assert res["pooled"][0] == 1.0 and res["pooled"][1] < 0.5
    s = res["sbg"]
    assert s["alpha"] > 0 and s["beta"] > 0
    # the projection starts at 1, decreases, and follows the observed curve within 3 points over its months
    p = s["projection"]
    assert p[0] == 1.0 and all(b <= a for a, b in zip(p, p[1:], strict=False))
    assert max(abs(a - b) for a, b in zip(p[1:len(res["pooled"])], res["pooled"][1:], strict=True)) < 0.03
