"""A typo in a mapping file (colums:, stage:) is refused with the file, the path, the key and the known keys,
instead of being silently ignored (a mapping that then fits no file, or confusing errors)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pilotage.importer import mapping as M
from tests.importer.conftest import write

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "mapping-example.yaml"

DEALS = """\
format: my-crm
entities:
  deals:
    table: opportunities
    columns:
      opportunity_id: Deal ID
      owner_rep_id: {from: Owner, ref: name}
      stage: Stage
      amount: Amount
      created_at: Created
    stages: [Discovery, Won: won, Lost: lost]
"""
ENTITY_KEYS = "columns, detect, files, history, label, pipelines, require_any, sobject, stages, status, table, where"


def load(tmp_path, text: str) -> M.Mapping:
    return M.load_mapping(write(tmp_path / "my-crm.yaml", text))


def refused(tmp_path, text: str) -> str:
    with pytest.raises(M.MappingError) as exc:
        load(tmp_path, text)
    return str(exc.value)


def test_the_valid_file_loads(tmp_path):
    m = load(tmp_path, DEALS)
    assert [s.name for s in m.entities[0].tables[0].pipelines[0].stages] == ["Discovery", "Won", "Lost"]


@pytest.mark.parametrize("old, new, message", [
    # the entity's keys
    ("    columns:", "    colums:",
     f"entities.deals: unknown key(s) colums (did you mean columns?); known: {ENTITY_KEYS}"),
    ("    stages:", "    stage:", f"entities.deals: unknown key(s) stage (did you mean stages?); known: {ENTITY_KEYS}"),
    # the top level
    ("format: my-crm\n", "format: my-crm\ndefault:\n  fr: {date_order: dmy}\n",
     ": unknown key(s) default (did you mean defaults?); known: defaults, description, entities, format, ignore, "
     "label, sources, status_keywords"),
    # a stage's options
    ("[Discovery, Won: won, Lost: lost]", "[Discovery, Won: {statut: won}, Lost: lost]",
     "entities.deals.stages[1]: stage 'Won': unknown key(s) statut (did you mean status?); "
     "known: aliases, en, fr, probability, status"),
    ("[Discovery, Won: won, Lost: lost]", "[Discovery, {name: Won, status: won, alias: [Gagné]}, Lost: lost]",
     "entities.deals.stages[1]: stage 'Won': unknown key(s) alias (did you mean aliases?); "
     "known: aliases, en, fr, name, probability, status"),
    # a pipeline
    ("    stages: [Discovery, Won: won, Lost: lost]",
     "    pipelines:\n      default: {alias: [Sales], stages: [Discovery, Won: won, Lost: lost]}",
     "entities.deals.pipelines.default: unknown key(s) alias (did you mean aliases?); known: aliases, stages"),
    # a status rule
    ("    stages:", "    status:\n      - {from: [Status], value: {Won: won}}\n    stages:",
     "entities.deals.status[0]: unknown key(s) value (did you mean values?); known: filled, from, values"),
    # a column's options (as before)
    ("{from: Owner, ref: name}", "{form: Owner, ref: name}",
     "entities.deals.columns.owner_rep_id: unknown option(s) form (did you mean from?); known: create, date_order, "
     "decimal, default, default_from, en, fr, from, if_empty, join, other, percent, ref, values, when"),
    # the defaults per language, and the status keywords
    ("format: my-crm\n", "format: my-crm\ndefaults:\n  fr: {date_oder: dmy}\n",
     "defaults.fr: unknown key(s) date_oder (did you mean date_order?); known: date_order, decimal"),
    ("format: my-crm\n", "format: my-crm\ndefaults:\n  french: {date_order: dmy}\n",
     "defaults: unknown language(s) french; known: en, fr"),
    ("format: my-crm\n", "format: my-crm\nstatus_keywords:\n  won: [signed]\n  lose: [dropped]\n",
     "status_keywords: unknown key(s) lose (did you mean lost?); known: lost, won"),
])
def test_a_typo_is_refused_with_its_file_path_key_and_known_keys(tmp_path, old, new, message):
    assert old in DEALS
    msg = refused(tmp_path, DEALS.replace(old, new, 1))
    assert msg.startswith(str(tmp_path / "my-crm.yaml") + ":")
    assert message in msg


ODOO_LIKE = """\
format: my-crm
entities:
  records:
    detect: [lead_id]
    tables:
      - table: leads
        columns: {lead_id: ID, created_at: Created, source: {from: Source, default: unknown}}
      - table: opportunities
        where: {from: [Type], in: [opportunity]}
        columns: {opportunity_id: ID, owner_rep_id: Owner, stage: Stage, amount: Amount, created_at: Created}
        stages: [New, Won: won]
"""


def test_the_tables_of_an_entity(tmp_path):
    assert [t.table for t in load(tmp_path, ODOO_LIKE).entities[0].tables] == ["leads", "opportunities"]
    msg = refused(tmp_path, ODOO_LIKE.replace("        stages:", "        stage:"))
    assert ("my-crm.yaml: entities.records.tables[1]: unknown key(s) stage (did you mean stages?); "
            "known: columns, history, pipelines, stages, status, table, where") in msg
    msg = refused(tmp_path, ODOO_LIKE.replace("      - table: leads\n        columns:",
                                              "      - table: leads\n        colums:"))
    assert "entities.records.tables[0]: unknown key(s) colums (did you mean columns?)" in msg
    # columns: beside tables: would be ignored: it belongs to one of the tables
    msg = refused(tmp_path, ODOO_LIKE.replace("    tables:", "    columns: {lead_id: ID}\n    tables:"))
    assert ("entities.records: unknown key(s) columns; known: detect, files, label, require_any, sobject, "
            "tables") in msg
    msg = refused(tmp_path, ODOO_LIKE.replace("in: [opportunity]}", "in: [opportunity], where: x}"))
    assert "entities.records.tables[1].where: unknown key(s) where; known: from, in" in msg


def test_an_entity_left_out(tmp_path):
    text = DEALS + ("  contacts:\n    skip: people at accounts, not leads\n"
                    "    detect_header: [LastName, AccountId]\n")
    msg = refused(tmp_path, text)
    assert ("entities.contacts: unknown key(s) detect_header (did you mean detect_headers?); known: "
            "detect_headers, files, label, require_any, skip, sobject") in msg


def test_yaml_anchors_live_under_sources_or_an_x_key(tmp_path):
    text = ("x-stages: &stages [Discovery, Won: won, Lost: lost]\n"
            "sources: &sources {Web: website}\n" + DEALS.replace("[Discovery, Won: won, Lost: lost]", "*stages")
            .replace("      created_at: Created\n", "      created_at: Created\n"
                                                    "      source: {from: Source, values: *sources}\n"))
    ts = load(tmp_path, text).entities[0].tables[0]
    assert [s.name for s in ts.pipelines[0].stages] == ["Discovery", "Won", "Lost"]
    assert ts.columns["source"].values == {"web": "website"}


def test_the_built_in_mappings_and_the_example_still_load():
    assert [m.format for m in M.builtins()] == ["hubspot", "odoo", "pipedrive", "salesforce"]
    assert all(m.builtin for m in M.builtins())
    example = M.load_mapping(EXAMPLE)
    assert example.format == "maven-crm" and not example.builtin
    assert [e.name for e in example.entities] == ["pipeline", "agents", "accounts", "products"]
    # each built-in file parsed again as a user's copy (--show-mapping NAME > mine.yaml) loads too
    for m in M.builtins():
        assert M.parse_mapping(__import__("yaml").safe_load(m.text)).format == m.format


def test_where_to_edit_a_mapping_for_the_hints():
    """A built-in mapping is copied with --show-mapping first; a user's mapping file is edited (its format name
    is no built-in: --show-mapping maven-crm would fail)."""
    assert M.builtin("hubspot").where_to_edit() == (
        "a mapping file (pilotage import --show-mapping hubspot > my-mapping.yaml, then --mapping my-mapping.yaml)")
    assert M.load_mapping(EXAMPLE).where_to_edit() == f"the mapping file {EXAMPLE}"
    with pytest.raises(M.MappingError, match=re.escape("unknown format 'maven-crm'")):
        M.show("maven-crm")


def test_an_unknown_stage_under_a_users_mapping_points_at_that_file(tmp_path):
    """The hint names the user's own mapping file: `--show-mapping my-crm` would fail (not a built-in)."""
    import pilotage
    from pilotage.errors import ImportRejected
    from tests.importer.conftest import imp

    mapping = write(tmp_path / "my-crm.yaml", DEALS)
    deals = write(tmp_path / "deals.csv", "Deal ID,Owner,Stage,Amount,Created\nd1,Ann Lee,Negotiation,100,2024-01-02\n")
    ws = pilotage.connect(":memory:")
    with pytest.raises(ImportRejected) as exc:
        imp(ws, deals, mapping=mapping)
    hints = [d["hint"] for d in exc.value.errors_detail if d["column"] == "Stage"]
    assert hints and hints[0].startswith(f"add it under stages: in the mapping file {mapping}")
    assert "--show-mapping" not in hints[0]
