"""Odoo crm.lead exports: a lead is qualified on its Conversion Date (lead -> opportunity) and converted (a paying
customer, the data contract's converted_at) when its opportunity is won, on the Closed Date."""

from __future__ import annotations

import datetime as dt

import pytest

import pilotage
from pilotage.importer.files import import_path

D = dt.datetime

# the same eight crm.lead records, as Odoo exports them with English and with French field labels
EN = """\
ID,Opportunity,Type,Customer,Stage,Expected Revenue,Probability,Salesperson,Created on,Conversion Date,Closed Date,\
Active,Lost Reason,Source
__export__.crm_lead_1,Office chairs,Opportunity,Bernard SA,Won,15000.00,100,Helen Ross,2024-01-03 10:00:00,\
2024-01-10 09:00:00,2024-01-29 17:00:00,True,,Search engine
__export__.crm_lead_2,Desks,Opportunity,Petit Ltd,Proposition,2500.00,70,Helen Ross,2024-01-05 11:00:00,\
2024-01-12 14:00:00,,True,,LinkedIn
__export__.crm_lead_3,Meeting tables,Opportunity,Bernard SA,Qualified,4000.00,0,Luke Fabre,2024-01-08 09:30:00,\
2024-01-09 10:00:00,2024-02-20 12:00:00,False,Too expensive,
__export__.crm_lead_4,Quote request,Lead,New Customer,New,0,10,Luke Fabre,2024-01-25 15:00:00,,,True,,Newsletter
__export__.crm_lead_5,Spam,Lead,,New,0,0,Luke Fabre,2024-01-15 08:00:00,,2024-01-16 08:00:00,False,,
__export__.crm_lead_6,Lamps,Opportunity,Moreau SAS,Won,800.00,100,Helen Ross,2024-01-20 10:00:00,,\
2024-01-31 16:00:00,True,,Phone
__export__.crm_lead_7,Shelves,Opportunity,Petit Ltd,Won,1200.00,0,Luke Fabre,2024-01-22 10:00:00,\
2024-01-23 10:00:00,2024-02-01 09:00:00,False,Too late,
__export__.crm_lead_8,Sofas,Opportunity,Leroy SARL,Won,3000.00,100,Helen Ross,2024-02-02 10:00:00,\
2024-02-05 10:00:00,2024-02-15 11:00:00,True,,LinkedIn
"""

FR = """\
ID;Opportunité;Type;Client;Étape;Revenu espéré;Probabilité;Vendeur;Créé le;Date de conversion;Date de clôture;\
Actif;Motif de la perte;Source
__export__.crm_lead_1;Chaises bureau;Opportunité;Bernard SA;Gagné;15 000,00;100;Hélène Roux;03/01/2024 10:00:00;\
10/01/2024 09:00:00;29/01/2024 17:00:00;Vrai;;Moteur de recherche
__export__.crm_lead_2;Bureaux;Opportunité;Petit SARL;Proposition;2 500,00;70;Hélène Roux;05/01/2024 11:00:00;\
12/01/2024 14:00:00;;Vrai;;LinkedIn
__export__.crm_lead_3;Tables réunion;Opportunité;Bernard SA;Qualifié;4 000,00;0;Luc Fabre;08/01/2024 09:30:00;\
09/01/2024 10:00:00;20/02/2024 12:00:00;Faux;Trop cher;
__export__.crm_lead_4;Demande de devis;Piste;Nouveau Client;Nouveau;0,00;10;Luc Fabre;25/01/2024 15:00:00;;;Vrai;;\
Newsletter
__export__.crm_lead_5;Spam;Piste;;Nouveau;0,00;0;Luc Fabre;15/01/2024 08:00:00;;16/01/2024 08:00:00;Faux;;
__export__.crm_lead_6;Lampes;Opportunité;Moreau SAS;Gagné;800,00;100;Hélène Roux;20/01/2024 10:00:00;;\
31/01/2024 16:00:00;Vrai;;Téléphone
__export__.crm_lead_7;Étagères;Opportunité;Petit SARL;Gagné;1 200,00;0;Luc Fabre;22/01/2024 10:00:00;\
23/01/2024 10:00:00;01/02/2024 09:00:00;Faux;Trop tard;
__export__.crm_lead_8;Canapés;Opportunité;Leroy SARL;Gagné;3 000,00;100;Hélène Roux;02/02/2024 10:00:00;\
05/02/2024 10:00:00;15/02/2024 11:00:00;Vrai;;LinkedIn
"""

# lead_id -> (qualified_at, converted_at), worked out from the records above:
EXPECTED = {
    "__export__.crm_lead_1": (D(2024, 1, 10, 9), D(2024, 1, 29, 17)),  # converted to an opportunity, then won
    "__export__.crm_lead_2": (D(2024, 1, 12, 14), None),               # an open opportunity: qualified only
    "__export__.crm_lead_3": (D(2024, 1, 9, 10), None),                # lost: its Closed Date is no conversion
    "__export__.crm_lead_4": (None, None),                             # still a lead
    "__export__.crm_lead_5": (None, None),                             # a lead archived (Odoo sets a Closed Date)
    "__export__.crm_lead_6": (None, D(2024, 1, 31, 16)),               # created as an opportunity (no Conversion
                                                                       # Date), won: a customer
    "__export__.crm_lead_7": (D(2024, 1, 23, 10), None),               # at the Won stage but archived: lost
    "__export__.crm_lead_8": (D(2024, 2, 5, 10), D(2024, 2, 15, 11)),  # created in February
}


@pytest.fixture
def ws(tmp_path):
    w = pilotage.connect(str(tmp_path / "x.duckdb"), create=True)
    yield w
    w.close()


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_text(text, encoding=encoding)
    return path


def _leads(ws) -> dict:
    return {lid: (q, c) for lid, q, c in ws.db.fetchall("SELECT lead_id, qualified_at, converted_at FROM leads")}


@pytest.mark.parametrize("text, name, encoding, language, reason", [
    (EN, "crm.lead.csv", "utf-8", "en", "Too expensive"),
    (FR, "crm.lead (fr).csv", "cp1252", "fr", "Trop cher"),   # Odoo's French labels, saved in Windows-1252
])
def test_odoo_leads_get_qualified_and_converted_dates(ws, tmp_path, text, name, encoding, language, reason):
    report = import_path(ws, _write(tmp_path / name, text, encoding))
    assert [(f["format"], f["entity"], f["language"]) for f in report.files] == [("odoo", "crm_lead", language)]
    assert _leads(ws) == EXPECTED
    # Odoo's French label of the lost reason is "Motif de la perte"
    assert ws.db.fetchall("SELECT lost_reason FROM opportunities WHERE lead_id = '__export__.crm_lead_3'") == [
        (reason,)]
    # converted_at is exactly the Closed Date of the won opportunities (lead 7, archived at the Won stage, is lost)
    won = ws.db.fetchall("SELECT lead_id, closed_at FROM opportunities WHERE status = 'won' ORDER BY 1")
    assert won == sorted((lid, c) for lid, (_, c) in EXPECTED.items() if c is not None)
    assert ws.db.fetchall("SELECT lead_id, status FROM opportunities WHERE lead_id = '__export__.crm_lead_7'") == [
        ("__export__.crm_lead_7", "lost")]

    jan = ws.kpi(["lead_conversion_rate", "qualification_rate"], start="2024-01-01", end="2024-02-01").iloc[0]
    # leads created in January: 1 to 7 = 7; customers among them: 1 and 6 => 2 / 7
    assert jan["lead_conversion_rate_numerator"] == 2
    assert jan["lead_conversion_rate_denominator"] == 7
    assert jan["lead_conversion_rate"] == pytest.approx(2 / 7)
    # qualified (converted into an opportunity) among them: 1, 2, 3 and 7 => 4 / 7
    assert jan["qualification_rate"] == pytest.approx(4 / 7)
    feb = ws.kpi(["lead_conversion_rate"], start="2024-02-01", end="2024-03-01").iloc[0]
    assert feb["lead_conversion_rate"] == pytest.approx(1.0)   # lead 8, created and won in February: 1 / 1


def test_without_a_conversion_date_column_leads_are_still_converted_by_their_won_deal(ws, tmp_path):
    # an export that left out Conversion Date: no qualification date, the won deals still make customers
    lines = EN.splitlines()
    cut = lines[0].split(",").index("Conversion Date")
    text = "\n".join(",".join(c for k, c in enumerate(line.split(",")) if k != cut) for line in lines) + "\n"
    import_path(ws, _write(tmp_path / "crm_lead.csv", text))
    assert _leads(ws) == {lid: (None, c) for lid, (_, c) in EXPECTED.items()}
    jan = ws.kpi(["lead_conversion_rate"], start="2024-01-01", end="2024-02-01").iloc[0]
    assert jan["lead_conversion_rate"] == pytest.approx(2 / 7)


def test_a_closed_date_that_is_no_date_is_a_clear_error(ws, tmp_path):
    text = EN.replace("2024-01-31 16:00:00", "end of January")   # lead 6, won
    path = _write(tmp_path / "crm_lead.csv", text)
    with pytest.raises(pilotage.ImportRejected) as exc:
        import_path(ws, path, errors_path=tmp_path / "errors.csv")
    assert "crm_lead.csv:7: Closed Date: not a date ('end of January')" in str(exc.value)
    # one error as a lead (converted_at), one as an opportunity (closed_at); no follow-on "required when won"
    assert [(d["line"], d["column"], d["value"], d["reason"]) for d in exc.value.errors_detail] == \
        [(7, "Closed Date", "end of January", "not a date")] * 2
    assert all(d["hint"].startswith("expected a date such as 31/01/2024") for d in exc.value.errors_detail)
    assert ws.db.fetchall("SELECT count(*) FROM leads") == [(0,)]   # nothing written
    # --skip-invalid: that record is left out (as a lead and as an opportunity), the others land
    report = import_path(ws, path, skip_invalid=True)
    assert sum(t.rejected for t in report.tables) == 2
    assert "__export__.crm_lead_6" not in _leads(ws)
    assert _leads(ws)["__export__.crm_lead_1"] == EXPECTED["__export__.crm_lead_1"]


def test_an_export_without_a_source_column_imports_with_unknown_sources_and_says_so(ws, tmp_path):
    """Odoo exports often leave Source out: the leads land with the source 'unknown' (the mapping's default),
    and the summary says so; an absent amount column would still be an error (tests/importer/test_review_fixes)."""
    text = "\n".join(line.rsplit(",", 1)[0] for line in EN.splitlines()) + "\n"
    assert "Source" not in text.splitlines()[0]
    report = import_path(ws, _write(tmp_path / "crm_lead.csv", text))
    assert ws.db.fetchall("SELECT source, count(*) FROM leads GROUP BY 1") == [("unknown", 8)]
    notes = [n for f in report.files for n in f["notes"]]
    assert "no column for source (such as 'Source'): every row gets 'unknown'" in notes
    assert _leads(ws) == EXPECTED
