"""Exports of HubSpot, Salesforce, Pipedrive and Odoo: detected from their headers, mapped by data files."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from decimal import Decimal

import pytest

import pilotage
from pilotage.importer import mapping as M
from tests.importer.conftest import DATA, EXPORTS, imp, one, rows, write


def files_of(report) -> dict[str, tuple[str, str, str]]:
    return {f["source"]: (f["format"], f["entity"], f["language"]) for f in report.files}


def test_hubspot_french_deals(mem):
    report = imp(mem, EXPORTS / "hubspot-deals-fr.csv")
    assert files_of(report) == {"hubspot-deals-fr.csv": ("hubspot", "deals", "fr")}
    got = rows(mem, "SELECT opportunity_id, owner_rep_id, account_id, stage, status, amount, currency, kind, "
                    "created_at, closed_at, expected_close_date FROM opportunities ORDER BY 1")
    d = dt.datetime
    assert got == [
        ("1001", "Alice Martin", "Dupont SA", "Closed Won", "won", Decimal("12500.00"), "EUR", "new_business",
         d(2024, 1, 5, 9, 30), d(2024, 1, 31), None),
        ("1002", "Bruno Petit", "Durand et Fils", "Closed Lost", "lost", Decimal("3200.50"), "EUR", "upsell",
         d(2024, 1, 8, 14, 0), d(2024, 2, 13), None),
        ("1003", "Alice Martin", "Leroy SARL", "Contract Sent", "open", Decimal("7800.00"), "EUR", "new_business",
         d(2024, 1, 15, 10, 15), None, dt.date(2024, 3, 28)),
        ("1004", "unassigned", "Moreau SAS", "Appointment Scheduled", "open", Decimal("0.00"), None,
         "new_business", d(2024, 1, 20, 16, 45), None, dt.date(2024, 4, 30)),
    ]
    # reps and accounts known only by name are created, and the report says so
    assert sorted(report.created["reps"]) == ["Alice Martin (from hubspot-deals-fr.csv)",
                                              "Bruno Petit (from hubspot-deals-fr.csv)",
                                              "Unassigned (from hubspot-deals-fr.csv)"]
    assert len(report.created["accounts"]) == 4
    notes = report.files[0]["notes"]
    assert "Montant: 1 empty cell(s) set to '0' (the mapping's default)" in notes
    assert "Propriétaire de la transaction: rows without a value go to 'unassigned'" in notes
    # the stages of the mapping, in funnel order (won last, lost without a position)
    assert rows(mem, "SELECT stage, position FROM stages ORDER BY position") == [
        ("Appointment Scheduled", 1), ("Qualified To Buy", 2), ("Presentation Scheduled", 3),
        ("Decision Maker Bought-In", 4), ("Contract Sent", 5), ("Closed Won", 6)]
    assert mem.kpi("revenue", start="2024-01-01", end="2024-02-01")["revenue"][0] == 12500


def test_hubspot_companies_then_deals_link_by_company_name(mem, tmp_path):
    folder = tmp_path / "hubspot"
    folder.mkdir()
    shutil.copy(EXPORTS / "hubspot-companies-en.csv", folder)
    shutil.copy(EXPORTS / "hubspot-deals-fr.csv", folder)
    report = imp(mem, folder)
    # the deals point at the companies' record ids; only the company missing from the export is created
    assert rows(mem, "SELECT opportunity_id, account_id FROM opportunities ORDER BY 1") == [
        ("1001", "501"), ("1002", "502"), ("1003", "503"), ("1004", "Moreau SAS")]
    assert report.created["accounts"] == ["Moreau SAS (from hubspot-deals-fr.csv)"]


def test_salesforce_report_with_its_footer_and_us_formats(mem):
    report = imp(mem, EXPORTS / "salesforce-opportunities-report.csv")
    notes = report.files[0]["notes"]
    assert "3 footer line(s) after the data ignored" in notes
    assert "no column for opportunity_id: 'Opportunity Name' used instead" in notes
    got = rows(mem, "SELECT opportunity_id, owner_rep_id, status, amount, source, kind, created_at, closed_at "
                    "FROM opportunities ORDER BY 1")
    d = dt.datetime
    assert got == [
        ("Acme - 200 licences", "Carol White", "won", Decimal("24000.00"), "website", "new_business",
         d(2023, 12, 4), d(2024, 1, 31)),
        ("Globex renewal", "Carol White", "open", Decimal("8500.00"), "partner", "renewal", d(2024, 1, 10), None),
        ("Initech pilot", "Dan Brown", "lost", Decimal("3250.50"), "event", "new_business", d(2024, 1, 5),
         d(2024, 2, 20)),
    ]


def test_salesforce_data_loader_is_won_and_is_closed_decide(mem):
    imp(mem, EXPORTS / "salesforce-dataloader-opportunity.csv")
    got = rows(mem, "SELECT opportunity_id, stage, status, created_at, owner_rep_id FROM opportunities ORDER BY 1")
    d = dt.datetime
    assert got == [
        # UTC creation times land in Paris time
        ("0065g00000AbCd1", "Closed Won", "won", d(2024, 1, 15, 9, 30), "0055g00000Us001"),
        # a custom stage: IsClosed true, IsWon false -> lost
        ("0065g00000AbCd2", "Custom Stage Lost", "lost", d(2024, 2, 2, 0, 30), "0055g00000Us002"),
        ("0065g00000AbCd3", "Qualification", "open", d(2024, 4, 1, 0, 30), "0055g00000Us001"),
    ]


def test_salesforce_cli_tree_import_json(mem):
    report = imp(mem, DATA / "salesforce-samples" / "lwc-recipes")
    how = files_of(report)
    assert how["Accounts.json"] == ("salesforce", "accounts", "en")
    assert how["Opportunities.json"] == ("salesforce", "opportunities", "en")
    notes = {f["source"]: f["notes"] for f in report.files}
    assert any("not imported: Salesforce contacts" in n for n in notes["Contacts.json"])
    assert "not in the data plan, not imported: Accounts-Contacts.csv" in report.notes
    assert one(mem, "SELECT count(*) FROM accounts") == 10
    assert one(mem, "SELECT count(*) FROM opportunities") == 20
    # @AccountRef1 references resolve to the accounts' referenceId
    assert one(mem, "SELECT count(*) FROM opportunities o JOIN accounts a USING (account_id)") == 20
    assert rows(mem, "SELECT status, count(*) FROM opportunities GROUP BY 1 ORDER BY 1") == [
        ("lost", 1), ("open", 17), ("won", 2)]


def test_salesforce_dirty_sample_stage_not_in_the_mapping(mem):
    folder = DATA / "salesforce-samples" / "apex-recipes"
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(mem, folder)
    msg = str(exc.value)
    assert "Opportunities.json:7: StageName: stage not in the salesforce mapping: cannot tell whether the deal " \
           "is open, won or lost ('Assigned dynamically')" in msg
    hint = exc.value.errors_detail[0]["hint"]
    assert "pilotage import --show-mapping salesforce" in hint and "Closed Won" in hint
    assert one(mem, "SELECT count(*) FROM opportunities") == 0
    report = imp(mem, folder, skip_invalid=True)
    opp = next(t for t in report.tables if t.table == "opportunities")
    assert (opp.rows, opp.inserted, opp.rejected) == (50, 42, 8)
    # "Closed/Won" is the standard Closed Won stage written differently
    assert one(mem, "SELECT count(*) FROM opportunities WHERE status = 'won'") == 3
    assert one(mem, "SELECT count(*) FROM campaigns") == 15
    notes = {f["source"]: f["notes"] for f in report.files}
    assert "not imported: no mapping for Junction__c records" in notes["Junction.json"]


def test_pipedrive_status_column_decides_won_and_lost(mem):
    imp(mem, EXPORTS / "pipedrive-deals.csv")
    got = rows(mem, "SELECT opportunity_id, stage, status, closed_at, lost_reason FROM opportunities ORDER BY 1")
    assert got == [
        ("11", "Proposal Made", "won", dt.datetime(2024, 2, 20, 15, 0), None),
        ("12", "Contact Made", "lost", dt.datetime(2024, 2, 10, 11, 0), "Price too high"),
        ("13", "Custom review stage", "open", None, None),   # a stage of their own: kept, no funnel position
    ]


def test_odoo_crm_lead_gives_leads_and_opportunities(mem):
    report = imp(mem, EXPORTS / "odoo-crm-lead-fr.csv")
    assert files_of(report) == {"odoo-crm-lead-fr.csv": ("odoo", "crm_lead", "fr")}
    assert one(mem, "SELECT count(*) FROM leads") == 4                 # every record is a lead
    got = rows(mem, "SELECT opportunity_id, lead_id, stage, status, amount, lost_reason, owner_rep_id "
                    "FROM opportunities ORDER BY 1")
    assert got == [   # the "Piste" record is not an opportunity
        ("__export__.crm_lead_1", "__export__.crm_lead_1", "Won", "won", Decimal("15000.00"), None, "Hélène Roux"),
        ("__export__.crm_lead_2", "__export__.crm_lead_2", "Proposition", "open", Decimal("2500.00"), None,
         "Hélène Roux"),
        ("__export__.crm_lead_3", "__export__.crm_lead_3", "Qualified", "lost", Decimal("4000.00"), "Trop cher",
         "Luc Fabre"),   # archived (Actif = Faux): lost
    ]
    assert rows(mem, "SELECT lead_id, source FROM leads ORDER BY 1") == [
        ("__export__.crm_lead_1", "website"), ("__export__.crm_lead_2", "linkedin"),
        ("__export__.crm_lead_3", "unknown"), ("__export__.crm_lead_4", "email_marketing")]


def test_format_can_be_forced_and_a_wrong_one_says_so(mem):
    with pytest.raises(pilotage.ImportRejected) as exc:
        imp(mem, EXPORTS / "hubspot-deals-fr.csv", format="salesforce")
    assert "format not recognised from the headers (ID de fiche d'informations, Nom de la transaction" in str(exc.value)
    assert "none of the salesforce mappings fits" in str(exc.value)
    report = imp(mem, EXPORTS / "hubspot-deals-fr.csv", format="hubspot")
    assert report.files[0]["format"] == "hubspot"
    with pytest.raises(pilotage.PilotageError, match="unknown format 'zoho': expected one of hubspot, odoo, "
                                                     "pipedrive, salesforce"):
        imp(mem, EXPORTS / "hubspot-deals-fr.csv", format="zoho")


def test_an_unknown_layout_asks_for_a_mapping(mem, tmp_path):
    f = write(tmp_path / "ventes.csv", "Client;Vendeur;CA\nDupont;Alice;1000\n")
    with pytest.raises(pilotage.ImportRejected, match=r"ventes.csv: format not recognised from the headers "
                                                      r"\(Client, Vendeur, CA\).*--mapping FILE.yaml"):
        imp(mem, f)


def test_every_mapping_is_a_data_file_shown_by_the_cli():
    assert M.builtin_names() == ["hubspot", "odoo", "pipedrive", "salesforce"]
    p = subprocess.run([sys.executable, "-m", "pilotage.cli", "import", "--show-mapping", "hubspot"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    assert "format: hubspot" in p.stdout and "Fermé gagné" in p.stdout and "Propriétaire de la transaction" in p.stdout
    # and it is the file itself, loadable as a user mapping
    assert M.parse_mapping(__import__("yaml").safe_load(p.stdout)).format == "hubspot"
