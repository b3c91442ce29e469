"""Every entity of the CRM mappings, not only the deals: leads, activities, users, organizations, written the way
each CRM exports them (headers as the CRM writes them; French headers where the mapping declares them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.importer.conftest import EXPORTS, imp, one, rows, write

d = dt.datetime


def files_of(report) -> dict[str, tuple[str, str]]:
    return {f["source"]: (f["format"], f["entity"]) for f in report.files}


def table(report, name: str):
    return next(t for t in report.tables if t.table == name)


# --------------------------------------------------------------------------- HubSpot
def test_hubspot_contacts_are_leads(mem, tmp_path):
    f = write(tmp_path / "hubspot-crm-exports-all-contacts-2024-03-01.csv",
              "Record ID,First Name,Last Name,Email,Contact owner,Lifecycle Stage,Original Source,Create Date,"
              "Became a Sales Qualified Lead Date,Became a Customer Date,Associated Company\n"
              "201,Léa,Garnier,lea@garnier.fr,Alice Martin,Customer,Organic Search,2024-01-03 09:15,"
              "2024-01-10 11:00,2024-02-01 16:30,Dupont SA\n"
              "202,Marc,Blanc,marc@blanc.fr,Bruno Petit,Lead,Paid Social,2024-01-05 14:00,,,\n"
              "203,Sofia,Ricci,sofia@ricci.it,,Subscriber,Offline Sources,2024-01-07 08:45,,,\n"
              "204,Tom,Hart,tom@hart.io,Alice Martin,Lead,,2024-01-09 17:20,,,\n")
    report = imp(mem, f)
    assert files_of(report) == {f.name: ("hubspot", "contacts")}
    assert rows(mem, "SELECT lead_id, created_at, source, owner_rep_id, account_id, qualified_at, converted_at "
                     "FROM leads ORDER BY 1") == [
        ("201", d(2024, 1, 3, 9, 15), "website", "Alice Martin", "Dupont SA", d(2024, 1, 10, 11),
         d(2024, 2, 1, 16, 30)),
        ("202", d(2024, 1, 5, 14), "paid_web", "Bruno Petit", None, None, None),
        ("203", d(2024, 1, 7, 8, 45), "other", None, None, None, None),       # no owner: none
        ("204", d(2024, 1, 9, 17, 20), "unknown", "Alice Martin", None, None, None),  # no source: the default
    ]


def test_hubspot_calls_meetings_emails_are_activities_of_the_users(mem, tmp_path):
    folder = tmp_path / "hubspot"
    write(folder / "users.csv",
          "User ID,First Name,Last Name,Email,Teams,Role\n"
          "9001,Alice,Martin,alice@acme.fr,Sales FR,Sales Rep\n"
          "9002,Bruno,Petit,bruno@acme.fr,Sales FR,Sales Manager\n")
    write(folder / "calls.csv",
          "Record ID,Call Title,Activity date,Activity assigned to,Call outcome,Call direction\n"
          "30001,Discovery call,2024-02-01 10:00,Alice Martin,Connected,Outbound\n"
          "30002,Follow-up,2024-02-02 15:30,,No answer,Outbound\n")
    write(folder / "meetings.csv",
          "Record ID,Meeting name,Meeting start time,Activity assigned to,Meeting outcome\n"
          "40001,Demo Dupont,2024-02-05 14:00,Bruno Petit,Completed\n")
    write(folder / "emails.csv",
          "Record ID,Email subject,Activity date,Activity assigned to,Email direction\n"
          "50001,Your proposal,2024-02-06 09:12,alice@acme.fr,Sent by owner\n")
    report = imp(mem, folder)
    assert files_of(report) == {"users.csv": ("hubspot", "users"), "calls.csv": ("hubspot", "calls"),
                                "meetings.csv": ("hubspot", "meetings"), "emails.csv": ("hubspot", "emails")}
    assert rows(mem, "SELECT rep_id, name, email, team_id FROM reps ORDER BY 1") == [
        ("alice@acme.fr", "Alice Martin", "alice@acme.fr", "Sales FR"),
        ("bruno@acme.fr", "Bruno Petit", "bruno@acme.fr", "Sales FR"),
        ("unassigned", "Unassigned", None, None),   # the call without an owner
    ]
    # owners by name or e-mail are the users' reps: none created from a name
    assert report.created["reps"] == ["Unassigned (from calls.csv)"]
    assert rows(mem, "SELECT activity_id, type, rep_id, occurred_at FROM activities ORDER BY 1") == [
        ("30001", "call", "alice@acme.fr", d(2024, 2, 1, 10)),
        ("30002", "call", "unassigned", d(2024, 2, 2, 15, 30)),
        ("40001", "meeting", "bruno@acme.fr", d(2024, 2, 5, 14)),
        ("50001", "email", "alice@acme.fr", d(2024, 2, 6, 9, 12)),
    ]


# --------------------------------------------------------------------------- Salesforce
def test_salesforce_data_loader_users_then_leads_and_tasks(mem, tmp_path):
    folder = tmp_path / "salesforce"
    write(folder / "User.csv",
          '"Id","Username","FirstName","LastName","Name","Email","IsActive","UserRoleId"\n'
          '"0055g00000Us001","carol@acme.com.prod","Carol","White","Carol White","carol@acme.com","true",""\n'
          '"0055g00000Us002","dan@acme.com.prod","Dan","Brown","Dan Brown","dan@acme.com","true",""\n')
    write(folder / "Lead.csv",
          '"Id","FirstName","LastName","Company","Status","LeadSource","CreatedDate","ConvertedDate","OwnerId",'
          '"IsConverted"\n'
          '"00Q5g00000Ld001","Ann","Lee","Acme","Closed - Converted","Web","2024-01-15T09:30:00.000Z",'
          '"2024-02-01","0055g00000Us001","true"\n'
          '"00Q5g00000Ld002","Bob","Ray","Globex","Working - Contacted","Partner Referral",'
          '"2024-01-20T14:00:00.000Z","","0055g00000Us002","false"\n'
          '"00Q5g00000Ld003","Cy","Fox","Initech","Open - Not Contacted","","2024-01-22T08:00:00.000Z","",'
          '"0055g00000Us001","false"\n')
    write(folder / "Task.csv",
          '"Id","Subject","ActivityDate","OwnerId","TaskSubtype","Status","WhoId"\n'
          '"00T5g00000Tk001","Call","2024-01-16","0055g00000Us001","Call","Completed","00Q5g00000Ld001"\n'
          '"00T5g00000Tk002","Email: Pricing","2024-01-21","0055g00000Us002","Email","Completed",""\n'
          '"00T5g00000Tk003","Send contract","2024-01-25","0055g00000Us001","Task","Not Started",""\n')
    report = imp(mem, folder)
    assert files_of(report) == {"User.csv": ("salesforce", "users"), "Lead.csv": ("salesforce", "leads"),
                                "Task.csv": ("salesforce", "tasks")}
    assert rows(mem, "SELECT rep_id, name, email FROM reps ORDER BY 1") == [
        ("0055g00000Us001", "Carol White", "carol@acme.com"), ("0055g00000Us002", "Dan Brown", "dan@acme.com")]
    assert "reps" not in report.created
    # UTC creation times land in Paris time; Salesforce's ConvertedDate is converted_at (docs/import.md)
    assert rows(mem, "SELECT lead_id, created_at, source, owner_rep_id, converted_at FROM leads ORDER BY 1") == [
        ("00Q5g00000Ld001", d(2024, 1, 15, 10, 30), "website", "0055g00000Us001", d(2024, 2, 1)),
        ("00Q5g00000Ld002", d(2024, 1, 20, 15), "partner", "0055g00000Us002", None),
        ("00Q5g00000Ld003", d(2024, 1, 22, 9), "unknown", "0055g00000Us001", None),
    ]
    assert rows(mem, "SELECT activity_id, type, rep_id, occurred_at FROM activities ORDER BY 1") == [
        ("00T5g00000Tk001", "call", "0055g00000Us001", d(2024, 1, 16)),
        ("00T5g00000Tk002", "email", "0055g00000Us002", d(2024, 1, 21)),
        ("00T5g00000Tk003", "other", "0055g00000Us001", d(2024, 1, 25)),
    ]


def test_salesforce_leads_report(mem, tmp_path):
    f = write(tmp_path / "report1709280000000.csv",
              '"Lead Owner","First Name","Last Name","Company / Account","Lead Source","Lead Status","Create Date",'
              '"Lead ID"\n'
              '"Carol White","Ann","Lee","Acme","Trade Show","Open - Not Contacted","1/15/2024","00Q5g00000Ld001"\n'
              '"Dan Brown","Bob","Ray","Globex","Word of mouth","Working - Contacted","1/20/2024","00Q5g00000Ld002"\n'
              '""\n"Confidential Information - Do Not Distribute"\n"Copyright (c) 2000-2024 salesforce.com, inc."\n')
    report = imp(mem, f)
    assert files_of(report) == {f.name: ("salesforce", "leads")}
    assert rows(mem, "SELECT lead_id, created_at, source, owner_rep_id FROM leads ORDER BY 1") == [
        ("00Q5g00000Ld001", d(2024, 1, 15), "event", "Carol White"),
        ("00Q5g00000Ld002", d(2024, 1, 20), "word_of_mouth", "Dan Brown")]


def test_salesforce_leads_report_without_the_lead_id_column(mem, tmp_path):
    """The default leads report has no Lead ID: a lead is known by its name, company and creation date, so a
    later export of the same leads updates them instead of adding them again."""
    text = ('"Lead Owner","First Name","Last Name","Company / Account","Lead Source","Lead Status","Create Date"\n'
            '"Carol White","Ann","Lee","Acme","Trade Show","Open - Not Contacted","1/15/2024"\n'
            '"Dan Brown","Bob","Ray","Globex","Word of mouth","Working - Contacted","1/20/2024"\n')
    f = write(tmp_path / "leads.csv", text)
    report = imp(mem, f)
    assert files_of(report) == {f.name: ("salesforce", "leads")}
    assert rows(mem, "SELECT lead_id, created_at, source FROM leads ORDER BY 1") == [
        ("Ann Lee Acme 1/15/2024", d(2024, 1, 15), "event"),
        ("Bob Ray Globex 1/20/2024", d(2024, 1, 20), "word_of_mouth")]
    again = imp(mem, write(tmp_path / "leads.csv", text.replace("Trade Show", "Web")))
    t = next(t for t in again.tables if t.table == "leads")
    assert (t.inserted, t.updated, t.unchanged) == (0, 1, 1)


TASK_REPORT = ('"Subject","Assigned","Date","Company / Account","Task Subtype","Status"\n'
               '"Call","Carol White","1/15/2024","Acme","Call","Completed"\n'
               '"Call","Carol White","1/16/2024","Globex","Call","Completed"\n'
               '"Email: Pricing","Dan Brown","1/16/2024","Globex","Email","Completed"\n'
               '"Demo","Dan Brown","1/18/2024","Initech","","Completed"\n')


def test_salesforce_activity_report_with_its_activity_id(mem, tmp_path):
    f = write(tmp_path / "activities.csv",
              '"Subject","Assigned","Date","Company / Account","Task Subtype","Status","Activity ID"\n'
              '"Call","Carol White","1/15/2024","Acme","Call","Completed","00T1"\n'
              '"Call","Carol White","1/16/2024","Globex","Call","Completed","00T2"\n'
              '"Email: Pricing","Dan Brown","1/16/2024","Globex","Email","Completed","00T3"\n'
              '"Demo","Dan Brown","1/18/2024","Initech","","Completed","00T4"\n')
    report = imp(mem, f)
    assert files_of(report) == {"activities.csv": ("salesforce", "tasks")}
    assert rows(mem, "SELECT activity_id, type, rep_id, account_id, occurred_at FROM activities ORDER BY 1") == [
        ("00T1", "call", "Carol White", "Acme", d(2024, 1, 15)),
        ("00T2", "call", "Carol White", "Globex", d(2024, 1, 16)),
        ("00T3", "email", "Dan Brown", "Globex", d(2024, 1, 16)),
        ("00T4", "other", "Dan Brown", "Initech", d(2024, 1, 18)),   # no subtype: the default
    ]


def test_salesforce_activity_report_without_an_activity_id(mem, tmp_path):
    """A report without the Activity ID column: the activity is known by its rep, date and subject."""
    f = write(tmp_path / "activities.csv", TASK_REPORT)
    report = imp(mem, f)
    assert files_of(report) == {"activities.csv": ("salesforce", "tasks")}
    assert rows(mem, "SELECT activity_id, type, rep_id, occurred_at FROM activities ORDER BY 1") == [
        ("Carol White 1/15/2024 Call", "call", "Carol White", d(2024, 1, 15)),
        ("Carol White 1/16/2024 Call", "call", "Carol White", d(2024, 1, 16)),
        ("Dan Brown 1/16/2024 Email: Pricing", "email", "Dan Brown", d(2024, 1, 16)),
        ("Dan Brown 1/18/2024 Demo", "other", "Dan Brown", d(2024, 1, 18)),
    ]
    # the same report exported again: the same ids, nothing new
    again = imp(mem, f)
    assert (table(again, "activities").inserted, table(again, "activities").unchanged) == (0, 4)
    assert one(mem, "SELECT count(*) FROM activities") == 4


def test_salesforce_french_activity_report_without_an_activity_id(mem, tmp_path):
    """The joined id's French headers count as French: the report's dates are read day/month."""
    f = write(tmp_path / "activites.csv",
              '"Objet";"Attribué à";"Date";"Société / Compte";"Sous-type de tâche"\n'
              '"Appel";"Claire Dubois";"05/01/2024";"Dupont SA";"Appel"\n'
              '"Démo";"Marc Lefèvre";"06/01/2024";"Leroy SARL";"Tâche"\n')
    report = imp(mem, f)
    assert {f["source"]: (f["format"], f["entity"], f["language"]) for f in report.files} == {
        "activites.csv": ("salesforce", "tasks", "fr")}
    assert rows(mem, "SELECT activity_id, type, rep_id, occurred_at FROM activities ORDER BY 1") == [
        ("Claire Dubois 05/01/2024 Appel", "call", "Claire Dubois", d(2024, 1, 5)),
        ("Marc Lefèvre 06/01/2024 Démo", "other", "Marc Lefèvre", d(2024, 1, 6)),
    ]


def test_salesforce_french_opportunities_report(mem, tmp_path):
    f = write(tmp_path / "opportunites.csv",
              '"Propriétaire de l\'opportunité";"Nom du compte";"Nom de l\'opportunité";"Étape";"Montant";'
              '"Probabilité (%)";"Date de clôture";"Date de création";"Origine de la piste";"Type"\n'
              '"Claire Dubois";"Dupont SA";"Dupont - 50 licences";"Fermée/Gagnée";"12 500,00 €";"100";"31/01/2024";'
              '"04/12/2023";"Site Web";"Nouveau client"\n'
              '"Claire Dubois";"Leroy SARL";"Leroy renouvellement";"Négociation/Révision";"8 500,00 €";"90";'
              '"15/03/2024";"10/01/2024";"Recommandation partenaire";"Renouvellement"\n'
              '"Marc Lefèvre";"Moreau SAS";"Moreau pilote";"Fermée/Perdue";"3 250,50 €";"0";"20/02/2024";'
              '"05/01/2024";"Salon";"Nouveau client"\n', encoding="cp1252")
    report = imp(mem, f)
    assert {f["source"]: (f["format"], f["entity"], f["language"]) for f in report.files} == {
        "opportunites.csv": ("salesforce", "opportunities", "fr")}
    assert rows(mem, "SELECT opportunity_id, owner_rep_id, account_id, stage, status, amount, currency, source, "
                     "kind, created_at, closed_at, expected_close_date FROM opportunities ORDER BY 1") == [
        ("Dupont - 50 licences", "Claire Dubois", "Dupont SA", "Closed Won", "won", Decimal("12500.00"), "EUR",
         "website", "new_business", d(2023, 12, 4), d(2024, 1, 31), None),
        ("Leroy renouvellement", "Claire Dubois", "Leroy SARL", "Negotiation/Review", "open", Decimal("8500.00"),
         "EUR", "partner", "renewal", d(2024, 1, 10), None, dt.date(2024, 3, 15)),
        ("Moreau pilote", "Marc Lefèvre", "Moreau SAS", "Closed Lost", "lost", Decimal("3250.50"), "EUR", "event",
         "new_business", d(2024, 1, 5), d(2024, 2, 20), None),
    ]


# --------------------------------------------------------------------------- Pipedrive
def test_pipedrive_organizations_then_deals_link_by_name(mem, tmp_path):
    folder = tmp_path / "pipedrive"
    write(folder / "organizations-7-2024-03-01.csv",
          "Organization - ID,Organization - Name,Organization - Owner,Organization - Address,"
          "Organization - Address - Country,Organization - Organization created\n"
          '71,Umbrella,Eve Adams,"1 Main St, Springfield, USA",United States,2023-11-02 10:00:00\n'
          '72,Hooli,Frank Green,"Palo Alto, CA, USA",United States,2023-12-15 16:20:00\n')
    write(folder / "deals.csv", (EXPORTS / "pipedrive-deals.csv").read_text())
    report = imp(mem, folder)
    assert files_of(report) == {"organizations-7-2024-03-01.csv": ("pipedrive", "organizations"),
                                "deals.csv": ("pipedrive", "deals")}
    assert rows(mem, "SELECT account_id, name, region, created_at FROM accounts ORDER BY 1") == [
        ("71", "Umbrella", "United States", dt.date(2023, 11, 2)),
        ("72", "Hooli", "United States", dt.date(2023, 12, 15))]
    assert rows(mem, "SELECT opportunity_id, account_id FROM opportunities ORDER BY 1") == [
        ("11", "71"), ("12", "72"), ("13", "71")]
    assert "accounts" not in report.created


def test_pipedrive_leads(mem, tmp_path):
    f = write(tmp_path / "leads-2024-03-01.csv",
              "Lead - ID,Lead - Title,Lead - Owner,Lead - Source,Lead - Lead created,Lead - Organization,"
              "Lead - Labels\n"
              "5c9a7d2e-0e10-11eb-879b-05d71fb426ec,Umbrella lead,Eve Adams,Web forms,2024-02-01 09:00:00,"
              "Umbrella,Hot\n"
              "6d1b8e3f-0e10-11eb-879b-05d71fb426ec,Hooli lead,Frank Green,Prospector,2024-02-02 11:30:00,Hooli,\n"
              "7e2c9f40-0e10-11eb-879b-05d71fb426ec,Walk-in,Eve Adams,Manually created,2024-02-03 16:45:00,,Cold\n")
    report = imp(mem, f)
    assert files_of(report) == {f.name: ("pipedrive", "leads")}
    assert rows(mem, "SELECT lead_id, created_at, source, owner_rep_id, account_id FROM leads ORDER BY created_at") == [
        ("5c9a7d2e-0e10-11eb-879b-05d71fb426ec", d(2024, 2, 1, 9), "website", "Eve Adams", "Umbrella"),
        ("6d1b8e3f-0e10-11eb-879b-05d71fb426ec", d(2024, 2, 2, 11, 30), "cold_email", "Frank Green", "Hooli"),
        ("7e2c9f40-0e10-11eb-879b-05d71fb426ec", d(2024, 2, 3, 16, 45), "other", "Eve Adams", None),
    ]


def test_pipedrive_activities(mem, tmp_path):
    f = write(tmp_path / "activities-2024-03-01.csv",
              "Activity - ID,Activity - Subject,Activity - Type,Activity - Assigned to user,Activity - Done,"
              "Activity - Due date,Activity - Done time,Activity - Organization\n"
              "301,Intro call,Call,Eve Adams,Done,2024-02-01,2024-02-01 10:15:00,Umbrella\n"
              "302,Demo,Meeting,Frank Green,Done,2024-02-05,2024-02-05 14:40:00,Hooli\n"
              "303,Proposal,Email,Eve Adams,Done,2024-02-06,2024-02-06 09:05:00,Umbrella\n"
              "304,Lunch with CTO,Lunch,Eve Adams,To do,2024-03-12,,Umbrella\n"
              "305,Send contract,Deadline,,To do,2024-03-15,,\n")
    report = imp(mem, f)
    assert files_of(report) == {f.name: ("pipedrive", "activities")}
    assert rows(mem, "SELECT activity_id, type, rep_id, occurred_at, account_id FROM activities ORDER BY 1") == [
        ("301", "call", "Eve Adams", d(2024, 2, 1, 10, 15), "Umbrella"),
        ("302", "meeting", "Frank Green", d(2024, 2, 5, 14, 40), "Hooli"),
        ("303", "email", "Eve Adams", d(2024, 2, 6, 9, 5), "Umbrella"),
        ("304", "meeting", "Eve Adams", d(2024, 3, 12), "Umbrella"),   # not done: its due date
        ("305", "other", "unassigned", d(2024, 3, 15), None),
    ]


def test_pipedrive_users_then_deals_link_to_the_same_reps(mem, tmp_path):
    users = write(tmp_path / "users.csv",
                  "User - ID,User - Name,User - Email\n"
                  "1001,Eve Adams,eve@umbrella.io\n"
                  "1002,Frank Green,frank@umbrella.io\n")
    report = imp(mem, users)
    assert files_of(report) == {"users.csv": ("pipedrive", "users")}
    assert rows(mem, "SELECT rep_id, name, email FROM reps ORDER BY 1") == [
        ("1001", "Eve Adams", "eve@umbrella.io"), ("1002", "Frank Green", "frank@umbrella.io")]
    # a later import of the deals: owners by name (the export's usual) or by e-mail find those reps
    deals = write(tmp_path / "deals.csv", (EXPORTS / "pipedrive-deals.csv").read_text().replace(
        "13,Hosting,900,EUR,Frank Green,", "13,Hosting,900,EUR,frank@umbrella.io,"))
    report = imp(mem, deals)
    assert files_of(report) == {"deals.csv": ("pipedrive", "deals")}
    assert rows(mem, "SELECT opportunity_id, owner_rep_id FROM opportunities ORDER BY 1") == [
        ("11", "1001"), ("12", "1001"), ("13", "1002")]
    assert "reps" not in report.created
    assert one(mem, "SELECT count(*) FROM reps") == 2


def test_pipedrive_users_of_the_api_in_the_same_import_as_the_deals(mem, tmp_path):
    """The API's /users fields (id, name, email): no "User - " prefix; found by the active_flag column."""
    folder = tmp_path / "pipedrive"
    write(folder / "pipedrive-users.csv",
          "id,name,email,active_flag,is_admin\n"
          "1001,Eve Adams,eve@umbrella.io,true,1\n"
          "1002,Frank Green,frank@umbrella.io,true,0\n")
    write(folder / "deals.csv", (EXPORTS / "pipedrive-deals.csv").read_text())
    report = imp(mem, folder)
    assert files_of(report) == {"pipedrive-users.csv": ("pipedrive", "users"), "deals.csv": ("pipedrive", "deals")}
    assert rows(mem, "SELECT opportunity_id, owner_rep_id FROM opportunities ORDER BY 1") == [
        ("11", "1001"), ("12", "1001"), ("13", "1002")]
    assert "reps" not in report.created
    assert one(mem, "SELECT count(*) FROM reps") == 2


def test_pipedrive_french_deals(mem, tmp_path):
    f = write(tmp_path / "affaires.csv",
              "Affaire - ID;Affaire - Titre;Affaire - Valeur;Affaire - Devise;Affaire - Propriétaire;"
              "Affaire - Organisation;Affaire - Pipeline;Affaire - Étape;Affaire - Statut;Affaire - Affaire créée;"
              "Affaire - Date de gain;Affaire - Date de perte;Affaire - Date de clôture prévue;"
              "Affaire - Raison de la perte\n"
              "21;Refonte site;4 500,50;EUR;Julie Morel;Dupont SA;Pipeline;Proposition faite;Gagnée;"
              "01/02/2024 10:00;20/02/2024 15:00;;28/02/2024;\n"
              "22;Pack SEO;1 200;EUR;Julie Morel;Leroy SARL;Pipeline;Contact établi;Perdue;03/02/2024 09:00;;"
              "10/02/2024 11:00;15/03/2024;Trop cher\n"
              "23;Hébergement;900;EUR;Paul Girard;Dupont SA;Pipeline;Prospect entrant;Ouverte;05/02/2024 14:30;;;"
              "01/04/2024;\n")
    report = imp(mem, f)
    assert {f["source"]: (f["format"], f["entity"], f["language"]) for f in report.files} == {
        "affaires.csv": ("pipedrive", "deals", "fr")}
    assert rows(mem, "SELECT opportunity_id, owner_rep_id, account_id, stage, status, amount, created_at, "
                     "closed_at, expected_close_date, lost_reason FROM opportunities ORDER BY 1") == [
        ("21", "Julie Morel", "Dupont SA", "Proposal Made", "won", Decimal("4500.50"), d(2024, 2, 1, 10),
         d(2024, 2, 20, 15), dt.date(2024, 2, 28), None),
        ("22", "Julie Morel", "Leroy SARL", "Contact Made", "lost", Decimal("1200.00"), d(2024, 2, 3, 9),
         d(2024, 2, 10, 11), dt.date(2024, 3, 15), "Trop cher"),
        ("23", "Paul Girard", "Dupont SA", "Lead In", "open", Decimal("900.00"), d(2024, 2, 5, 14, 30), None,
         dt.date(2024, 4, 1), None),
    ]
