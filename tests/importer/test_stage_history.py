"""Stage history columns of a HubSpot deals export ('Date entered "<stage> (<pipeline>)"') -> stage_changes."""

from __future__ import annotations

import datetime as dt
import re

import pytest

import pilotage
from pilotage.errors import ImportRejected
from pilotage.importer import mapping as M
from pilotage.importer.history import find_columns
from tests.importer.conftest import imp, one, rows, write

NOW = dt.datetime(2024, 3, 1, 10, 0)


def entered(stage: str) -> str:
    """HubSpot's header, as a CSV cell: Date entered "Qualified To Buy (Sales Pipeline)"."""
    return f'"Date entered ""{stage} (Sales Pipeline)"""'


EN_HEADER = ("Record ID,Deal Name,Deal Stage,Pipeline,Amount,Create Date,Close Date,Deal owner,"
             + ",".join(entered(s) for s in ("Appointment Scheduled", "Qualified To Buy", "Contract Sent",
                                              "Closed Won", "Closed Lost", "Discovery Call"))
             + ',"Date exited ""Appointment Scheduled (Sales Pipeline)""",'
               '"Cumulative time in ""Appointment Scheduled (Sales Pipeline)"""\n')


def en_export(tmp_path, name="deals.csv", bad_date=None):
    """Three deals; the Discovery Call column is a stage the hubspot mapping does not know.
    1: won, went through Appointment, Qualified, Contract Sent, Closed Won (and a Discovery Call);
    2: lost after Qualified To Buy (the funnel only knows this from the history);
    3: open at Presentation Scheduled, whose own column is not exported; Qualified To Buy left empty."""
    lines = [
        "1,Alpha,Closed Won,Sales Pipeline,1000,2024-02-01 09:00,2024-02-25,Alice Martin,"
        "2024-02-01 09:00,2024-02-05 10:00,2024-02-20 11:00,2024-02-25 16:45,,2024-02-02,2024-02-05 10:00,345600000",
        "2,Beta,Closed Lost,Sales Pipeline,2000,2024-02-02 09:00,2024-02-28,Alice Martin,"
        f"2024-02-02 09:00,{bad_date or '2024-02-09 14:00'},,,2024-02-28 08:00,,2024-02-09 14:00,604800000",
        "3,Gamma,Presentation Scheduled,Sales Pipeline,3000,2024-02-03 09:00,2024-04-30,Bruno Petit,"
        "2024-02-03 09:00,,,,,,,",
    ]
    return write(tmp_path / name, EN_HEADER + "".join(ln + "\n" for ln in lines))


EXPECTED = [
    ("1", "Appointment Scheduled", dt.datetime(2024, 2, 1, 9, 0)),
    ("1", "Qualified To Buy", dt.datetime(2024, 2, 5, 10, 0)),
    ("1", "Contract Sent", dt.datetime(2024, 2, 20, 11, 0)),
    ("1", "Closed Won", dt.datetime(2024, 2, 25, 16, 45)),
    ("2", "Appointment Scheduled", dt.datetime(2024, 2, 2, 9, 0)),
    ("2", "Qualified To Buy", dt.datetime(2024, 2, 9, 14, 0)),
    ("2", "Closed Lost", dt.datetime(2024, 2, 28, 8, 0)),
    ("3", "Appointment Scheduled", dt.datetime(2024, 2, 3, 9, 0)),
]


def stage_changes(ws):
    return rows(ws, "SELECT opportunity_id, stage, entered_at FROM stage_changes ORDER BY 1, 3")


def notes(report) -> list[str]:
    return [n for f in report.files for n in f["notes"]]


def test_english_history_columns_become_stage_changes_and_no_stage_is_observed(ws, tmp_path):
    report = imp(ws, en_export(tmp_path), now=NOW)
    # one row per filled cell, the stage mapped to the canonical one; empty cells (deal 3's Qualified To Buy,
    # the won deal's Closed Lost...) give none; Date exited / Cumulative time columns are not read
    assert stage_changes(ws) == EXPECTED
    sc = next(t for t in report.tables if t.table == "stage_changes")
    assert (sc.source, sc.inserted, sc.rejected) == ("deals.csv", 8, 0)
    # the history comes from the export: nothing recorded at the import date
    assert one(ws, f"SELECT count(*) FROM stage_changes WHERE entered_at = '{NOW.isoformat(sep=' ')}'") == 0
    assert not any(t.source == "stage changes observed" for t in report.tables)
    assert one(ws, "SELECT count(*) FROM opportunities") == 3


def test_a_history_column_whose_stage_is_not_in_the_mapping_is_a_note_and_ignored(mem, tmp_path):
    report = imp(mem, en_export(tmp_path))
    ignored = [n for n in notes(report) if "Discovery Call" in n]
    assert len(ignored) == 1 and "not in the hubspot mapping" in ignored[0] and "ignored" in ignored[0]
    assert report.errors_total == 0
    assert one(mem, "SELECT count(*) FROM stage_changes WHERE stage LIKE 'Discovery%'") == 0
    assert any("8 stage change(s) read from 5 column(s)" in n for n in notes(report))


def test_reimporting_the_same_export_adds_no_stage_change(ws, tmp_path):
    path = en_export(tmp_path)
    imp(ws, path, now=NOW)
    again = imp(ws, path, now=NOW + dt.timedelta(days=7))
    sc = next(t for t in again.tables if t.table == "stage_changes")
    assert (sc.rows, sc.inserted, sc.updated, sc.unchanged) == (8, 0, 0, 8)
    assert stage_changes(ws) == EXPECTED
    assert one(ws, "SELECT count(*) FROM (SELECT DISTINCT opportunity_id, stage, entered_at FROM stage_changes) d") == 8


def test_the_funnel_reads_the_history(ws, tmp_path):
    imp(ws, en_export(tmp_path), now=NOW)
    # positions: Appointment 1, Qualified 2, Presentation 3, Decision maker 4, Contract 5, Closed Won 6 (the last:
    # no trial). Reached = highest position in the history or the current stage.
    # deal 1 won (6): trials at 1-5, all advanced: 5 of 5
    # deal 2 lost (no position), history up to Qualified (2): trials at 1-2, advanced at 1: 1 of 2
    #   (without the history it would count no trial: a lost stage has no position)
    # deal 3 at Presentation (3), history Appointment (1): trials at 1-3, advanced at 1-2: 2 of 3
    df = ws.kpi("stage_conversion", start="2024-02-01", end="2024-03-01")
    assert (df["stage_conversion_numerator"][0], df["stage_conversion_denominator"][0]) == (8, 10)
    assert df["stage_conversion"][0] == pytest.approx(0.8)


def test_a_bad_date_in_a_history_column_names_the_line_and_the_column(mem, tmp_path):
    path = en_export(tmp_path, bad_date="next week")
    with pytest.raises(ImportRejected) as exc:
        imp(mem, path)
    assert exc.value.errors == [("deals.csv", 3, 'Date entered "Qualified To Buy (Sales Pipeline)"',
                                 "not a date ('next week')")]
    assert one(mem, "SELECT count(*) FROM stage_changes") == 0


def test_skip_invalid_keeps_the_valid_rows_and_their_history(ws, tmp_path):
    errors = tmp_path / "errors.csv"
    report = imp(ws, en_export(tmp_path, bad_date="31/02/2024"), skip_invalid=True, errors_path=errors)
    # line 3 (deal 2) is rejected like a row with any other bad date; its history with it
    opp = next(t for t in report.tables if t.table == "opportunities")
    assert (opp.inserted, opp.rejected) == (2, 1)
    assert stage_changes(ws) == [r for r in EXPECTED if r[0] != "2"]
    assert report.errors[0]["line"] == 3 and report.errors[0]["value"] == "31/02/2024"
    assert "Qualified To Buy" in report.errors[0]["column"]
    assert "31/02/2024" in errors.read_text(encoding="utf-8-sig")


def test_a_deal_rejected_for_another_value_leaves_its_history_out(mem, tmp_path):
    path = en_export(tmp_path)
    path.write_text(path.read_text().replace("2,Beta,Closed Lost,Sales Pipeline,2000,", "2,Beta,Closed Lost,Sales "
                                                                                         "Pipeline,douze,"))
    report = imp(mem, path, skip_invalid=True)
    # one error (the amount), not one more per stage change pointing at the rejected deal
    assert [(e["line"], e["column"], e["value"]) for e in report.errors] == [(3, "Amount", "douze")]
    assert stage_changes(mem) == [r for r in EXPECTED if r[0] != "2"]


def test_french_headers_guillemets_and_day_month_dates(ws, tmp_path):
    nb = "\u00a0"
    header = ("ID de fiche d'informations;Nom de la transaction;Phase de la transaction;Pipeline;Montant;"
              "Date de création;Date de fermeture;Propriétaire de la transaction;"
              "Date d'entrée dans « Rendez-vous programmé (Pipeline des ventes) »;"
              f"Date d\u2019entrée dans «{nb}Qualifié pour l'achat (Pipeline des ventes){nb}»;"
              "Date d'entrée dans « Fermé gagné (Pipeline des ventes) »;"
              "Date de sortie de « Rendez-vous programmé (Pipeline des ventes) »\n")
    path = write(tmp_path / "transactions.csv", header
                 + "1;Alpha;Fermé gagné;Pipeline des ventes;1 000,00 €;01/02/2024 09:00;25/02/2024;Alice Martin;"
                   "01/02/2024 09:00;05/02/2024 10:30;25/02/2024 16:00;05/02/2024 10:30\n"
                 + "2;Beta;Rendez-vous programmé;Pipeline des ventes;2 000,00 €;02/02/2024 09:00;30/04/2024;"
                   "Alice Martin;02/02/2024 09:00;;;\n")
    report = imp(ws, path, now=NOW)
    assert report.files[0]["language"] == "fr"
    # 05/02/2024 is 5 February (French headers: day/month), like the file's other dates
    assert stage_changes(ws) == [
        ("1", "Appointment Scheduled", dt.datetime(2024, 2, 1, 9, 0)),
        ("1", "Qualified To Buy", dt.datetime(2024, 2, 5, 10, 30)),
        ("1", "Closed Won", dt.datetime(2024, 2, 25, 16, 0)),
        ("2", "Appointment Scheduled", dt.datetime(2024, 2, 2, 9, 0)),
    ]


def test_an_ambiguous_history_column_takes_the_order_of_the_files_other_dates(mem, tmp_path):
    # Create Date shows 02/15/2024: month/day. The history column's 02/01/2024 alone could be either.
    header = ("Record ID,Deal Name,Deal Stage,Amount,Create Date,Close Date,Deal owner,"
              + entered("Appointment Scheduled") + "," + entered("Qualified To Buy") + "\n")
    path = write(tmp_path / "deals.csv", header
                 + "1,Alpha,Qualified To Buy,1000,02/15/2024,04/30/2024,Alice Martin,02/01/2024 09:00,45327.75\n")
    imp(mem, path)
    # 45327.75: an Excel serial number, 2024-02-05 18:00
    assert stage_changes(mem) == [("1", "Appointment Scheduled", dt.datetime(2024, 2, 1, 9, 0)),
                                  ("1", "Qualified To Buy", dt.datetime(2024, 2, 5, 18, 0))]


def test_a_history_column_that_stays_ambiguous_stops_the_import(mem, tmp_path):
    header = "Record ID,Deal Name,Deal Stage,Amount,Create Date,Deal owner," + entered("Appointment Scheduled") + "\n"
    path = write(tmp_path / "deals.csv", header
                 + "1,Alpha,Appointment Scheduled,1000,2024-02-01,Alice Martin,02/01/2024\n")
    with pytest.raises(ImportRejected) as exc:
        imp(mem, path)
    (source, _, column, reason), = exc.value.errors
    assert (source, column) == ("deals.csv", 'Date entered "Appointment Scheduled (Sales Pipeline)"')
    assert "'02/01/2024' (line 2)" in reason and "ambiguous" in reason
    imp(mem, path, date_order="mdy")
    assert stage_changes(mem) == [("1", "Appointment Scheduled", dt.datetime(2024, 2, 1))]


def test_a_deal_listed_twice_gives_its_history_once(mem, tmp_path):
    # an export listing a deal once per associated contact: the identical row is kept once, its history too
    header = ("Record ID,Deal Name,Deal Stage,Amount,Create Date,Deal owner,"
              + entered("Appointment Scheduled") + "," + entered("Qualified To Buy") + "\n")
    row = "1,Alpha,Qualified To Buy,1000,2024-02-01,Alice Martin,2024-02-01 09:00,2024-02-05 10:00\n"
    report = imp(mem, write(tmp_path / "deals.csv", header + row + row
                            + "2,Beta,Appointment Scheduled,500,2024-02-02,Alice Martin,2024-02-02 09:00,\n"))
    assert any("identical to an earlier row" in n for n in notes(report))
    assert stage_changes(mem) == [("1", "Appointment Scheduled", dt.datetime(2024, 2, 1, 9, 0)),
                                  ("1", "Qualified To Buy", dt.datetime(2024, 2, 5, 10, 0)),
                                  ("2", "Appointment Scheduled", dt.datetime(2024, 2, 2, 9, 0))]


def test_offsets_are_converted_to_the_workspace_time_zone(mem, tmp_path):
    header = "Record ID,Deal Name,Deal Stage,Amount,Create Date,Deal owner," + entered("Appointment Scheduled") + "\n"
    path = write(tmp_path / "deals.csv", header
                 + "1,Alpha,Appointment Scheduled,1000,2024-02-01,Alice Martin,2024-02-01T08:00:00Z\n")
    imp(mem, path)
    assert mem.settings.timezone == "Europe/Paris"
    assert stage_changes(mem) == [("1", "Appointment Scheduled", dt.datetime(2024, 2, 1, 9, 0))]


# --------------------------------------------------------------------------- the declaration
def test_the_hubspot_mapping_declares_its_history_columns():
    deals = next(e for e in M.builtin("hubspot").entities if e.name == "deals")
    spec = deals.tables[0].history
    assert spec is not None and any(t.text == 'Date entered "{stage}"' for t in spec.entered)
    shown = M.show("hubspot")
    assert "history:" in shown and 'Date entered "{stage}"' in shown
    # quotes in the template: any quote style, and one must be there
    headers = ['Date entered "Contract Sent (Sales Pipeline)"',
               "Date entered \u201cContract Sent (Sales Pipeline)\u201d",
               "Date entered 'Contract Sent (Sales Pipeline)'", "Date entered current stage",
               'Date exited "Contract Sent (Sales Pipeline)"', "Amount"]
    found, unknown = find_columns(headers, deals.tables[0])
    assert [(c.header, c.stage) for c in found] == [(h, "Contract Sent") for h in headers[:3]]
    assert unknown == []


def test_a_mapping_file_declares_history_columns_for_any_crm(tmp_path):
    mapping = write(tmp_path / "my-crm.yaml", """
format: my-crm
entities:
  deals:
    table: opportunities
    detect: [opportunity_id, stage]
    columns:
      opportunity_id: Id
      owner_rep_id: {from: Owner, ref: name}
      stage: Stage
      pipeline: Pipeline
      amount: Amount
      created_at: Created
    pipelines:
      new: {aliases: [New business], stages: [Demo, Offer, {Won: won}, {Lost: lost}]}
      renewal: {aliases: [Renewals], stages: [Review, Offer, {Renewed: won}, {Lost: lost}]}
    history:
      entered: ["{stage} reached on"]
      date_order: dmy
""")
    ts = M.load_mapping(mapping).entities[0].tables[0]
    found, unknown = find_columns(["Id", "Demo reached on", "Offer (Renewals) reached on", "Review reached on",
                                   "Pitch reached on", "Created"], ts)
    # no quote in the template: none needed; a pipeline label in parentheses picks that pipeline's stages
    assert [(c.header, c.stage) for c in found] == [("Demo reached on", "Demo"), ("Offer (Renewals) reached on",
                                                                                  "Offer"),
                                                    ("Review reached on", "Review")]
    assert unknown == [("Pitch reached on", "pitch")]
    ws = pilotage.connect(":memory:")
    try:
        csv = write(tmp_path / "deals.csv", "Id,Owner,Stage,Pipeline,Amount,Created,Demo reached on,"
                    "Offer (New business) reached on\n7,Ann,Offer,New business,10,2024-01-02,02/01/2024,03/01/2024\n")
        imp(ws, csv, mapping=mapping)
        assert stage_changes(ws) == [("7", "Demo", dt.datetime(2024, 1, 2)), ("7", "Offer", dt.datetime(2024, 1, 3))]
    finally:
        ws.close()


@pytest.mark.parametrize("history, message", [
    ({"entered": ["Date entered"]}, "one {stage} placeholder"),
    ({"entered": ["{stage}"]}, "words around {stage}"),
    ({"entered": ["Date entered {stage}"], "exited": ["Date exited {stage}"]}, "unknown option(s) exited"),
])
def test_bad_history_declarations_are_refused(history, message):
    doc = {"format": "x", "entities": {"deals": {"table": "opportunities", "columns": {"opportunity_id": "Id"},
                                                 "history": history}}}
    with pytest.raises(M.MappingError, match=re.escape(message)):
        M.parse_mapping(doc)


def test_history_columns_belong_to_opportunities():
    doc = {"format": "x", "entities": {"leads": {"table": "leads", "columns": {"lead_id": "Id"},
                                                 "history": {"entered": ["Date entered {stage}"]}}}}
    with pytest.raises(M.MappingError, match="table of opportunities"):
        M.parse_mapping(doc)


def test_deals_of_another_file_without_history_are_still_observed(ws, tmp_path):
    """One import, two exports: the history columns cover their own deals only; the deals of the other file
    (no history columns) get their stage recorded at the import date, as in any import without history."""
    folder = tmp_path / "exports"
    en_export(folder)
    write(folder / "more-deals.csv",
          "Record ID,Deal Name,Deal Stage,Pipeline,Amount,Create Date,Close Date,Deal owner\n"
          "4,Delta,Qualified To Buy,Sales Pipeline,500,2024-02-10 09:00,2024-05-31,Alice Martin\n")
    report = imp(ws, folder, now=NOW)
    assert one(ws, "SELECT count(*) FROM opportunities") == 4
    observed = rows(ws, f"SELECT opportunity_id, stage FROM stage_changes WHERE entered_at = "
                        f"'{NOW.isoformat(sep=' ')}'")
    assert observed == [("4", "Qualified To Buy")]
    assert stage_changes(ws) == sorted(EXPECTED + [("4", "Qualified To Buy", NOW)], key=lambda r: (r[0], r[2]))
    assert next(t for t in report.tables if t.source == "stage changes observed").inserted == 1
