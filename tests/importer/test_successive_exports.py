"""Successive exports of one CRM: updates land, and each observed stage change is recorded for the funnel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


from tests.importer.conftest import imp, one, rows, write

HEADER = "Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner\n"
MARCH_1, MARCH_8 = dt.datetime(2024, 3, 1, 9, 0), dt.datetime(2024, 3, 8, 9, 0)


def export(tmp_path, name, lines):
    return write(tmp_path / name, HEADER + "".join(ln + "\n" for ln in lines))


def first(tmp_path):
    return export(tmp_path, "deals-2024-03-01.csv", [
        "1,Alpha,Appointment Scheduled,1000,2024-02-01,2024-04-30,Alice Martin",
        "2,Beta,Qualified To Buy,2000,2024-02-02,2024-04-30,Alice Martin",
        "3,Gamma,Presentation Scheduled,3000,2024-02-03,2024-04-30,Bruno Petit",
    ])


def second(tmp_path):
    return export(tmp_path, "deals-2024-03-08.csv", [
        "1,Alpha,Contract Sent,1000,2024-02-01,2024-04-30,Alice Martin",    # moved on
        "2,Beta,Closed Lost,2000,2024-02-02,2024-03-06,Alice Martin",        # lost
        "3,Gamma,Closed Won,3500,2024-02-03,2024-03-07,Bruno Petit",         # won, bigger
    ])


def test_a_reimport_updates_what_changed_and_records_the_stages_seen(ws, tmp_path):
    r1 = imp(ws, first(tmp_path), now=MARCH_1)
    assert next(t for t in r1.tables if t.table == "stage_changes").inserted == 3
    r2 = imp(ws, second(tmp_path), now=MARCH_8)
    opp = next(t for t in r2.tables if t.table == "opportunities")
    assert (opp.inserted, opp.updated, opp.unchanged) == (0, 3, 0)
    assert rows(ws, "SELECT opportunity_id, stage, entered_at FROM stage_changes ORDER BY 1, 3") == [
        ("1", "Appointment Scheduled", MARCH_1), ("1", "Contract Sent", MARCH_8),
        ("2", "Qualified To Buy", MARCH_1), ("2", "Closed Lost", MARCH_8),
        ("3", "Presentation Scheduled", MARCH_1), ("3", "Closed Won", MARCH_8),
    ]
    assert one(ws, "SELECT amount FROM opportunities WHERE opportunity_id = '3'") == Decimal("3500.00")
    # the same export again: nothing changes, no stage change is recorded
    r3 = imp(ws, second(tmp_path), now=dt.datetime(2024, 3, 9))
    opp = next(t for t in r3.tables if t.table == "opportunities")
    assert (opp.inserted, opp.updated, opp.unchanged) == (0, 0, 3)
    assert one(ws, "SELECT count(*) FROM stage_changes") == 6


def test_the_funnel_fills_in_over_time(ws, tmp_path):
    imp(ws, first(tmp_path), now=MARCH_1)
    imp(ws, second(tmp_path), now=MARCH_8)
    # positions: Appointment 1, Qualified 2, Presentation 3, Decision maker 4, Contract 5, Closed Won 6.
    # deal 1 reached 5: trials at stages 1-5, advanced at 1-4 (4 of 5)
    # deal 2 is lost now, but was seen at stage 2: trials at 1-2, advanced at 1 (1 of 2);
    #   without the stage seen on March 1st it would count no trial at all
    # deal 3 won (stage 6): trials at 1-5, all advanced (5 of 5)
    df = ws.kpi("stage_conversion", start="2024-02-01", end="2024-03-01")
    assert (df["stage_conversion_numerator"][0], df["stage_conversion_denominator"][0]) == (10, 12)


def test_a_deal_missing_from_a_later_export_is_kept(ws, tmp_path):
    imp(ws, first(tmp_path), now=MARCH_1)
    imp(ws, export(tmp_path, "partial.csv", ["1,Alpha,Contract Sent,1000,2024-02-01,2024-04-30,Alice Martin"]),
        now=MARCH_8)
    assert one(ws, "SELECT count(*) FROM opportunities") == 3
