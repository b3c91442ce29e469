"""The worked example: the Maven CRM data set imported with a mapping of a few lines (docs/mapping-example.yaml).

Every expected figure is computed here from the raw CSV with the csv module, independently of Pilotage.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest

import pilotage
from pilotage.importer.files import import_path
from tests.importer.conftest import DATA

MAVEN = DATA / "maven-crm"
MAPPING = Path(__file__).resolve().parents[2] / "docs" / "mapping-example.yaml"
PERIOD = {"start": "2016-01-01", "end": "2018-01-01"}


@pytest.fixture(scope="module")
def maven(tmp_path_factory):
    ws = pilotage.connect(str(tmp_path_factory.mktemp("maven") / "maven.duckdb"), create=True)
    report = import_path(ws, MAVEN, mapping=MAPPING)
    yield ws, report
    ws.close()


@pytest.fixture(scope="module")
def raw():
    deals = list(csv.DictReader(open(MAVEN / "sales_pipeline.csv", newline="", encoding="utf-8")))
    office = {r["sales_agent"]: r["regional_office"] for r in csv.DictReader(open(MAVEN / "sales_teams.csv"))}
    return deals, office


def by(df, key: str, col: str) -> dict:
    return {k: v for k, v in zip(df[key], df[col], strict=True) if v == v and v is not None}


def test_the_mapping_is_a_few_lines():
    lines = [ln for ln in MAPPING.read_text().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    assert len(lines) <= 30


def test_everything_lands(maven, raw):
    ws, report = maven
    deals, office = raw
    counts = {t.source: (t.rows, t.inserted, t.rejected) for t in report.tables}
    assert counts["sales_pipeline.csv"] == (len(deals), len(deals), 0)
    assert counts["sales_teams.csv"] == (len(office), len(office), 0)
    assert ws.row_counts()["reps"] == len(office)  # agents with no deal are reps too
    assert "left out by the mapping's ignore: data_dictionary.csv" in report.notes
    # GTXPro in the deals is the product GTX Pro of products.csv
    gtx = sum(1 for d in deals if d["product"].replace(" ", "") == "GTXPro")
    assert ws.db.fetchall("SELECT count(*) FROM opportunities WHERE product_id = 'GTX Pro'")[0][0] == gtx


def test_won_deals_and_revenue_by_agent(maven, raw):
    ws, _ = maven
    deals, _ = raw
    won, revenue = Counter(), defaultdict(int)
    for d in deals:
        if d["deal_stage"] == "Won":
            won[d["sales_agent"]] += 1
            revenue[d["sales_agent"]] += int(d["close_value"])
    df = ws.kpi(["deals_won", "revenue"], by="rep", **PERIOD)
    assert by(df, "rep", "deals_won") == pytest.approx(dict(won))
    assert by(df, "rep", "revenue") == pytest.approx(dict(revenue))
    assert sum(won.values()) == 4238  # the data set's README


def test_win_rate_by_agent(maven, raw):
    ws, _ = maven
    deals, _ = raw
    total, won = Counter(), Counter()
    for d in deals:  # every deal is created in the period (prospecting ones on the mapping's default date)
        total[d["sales_agent"]] += 1
        won[d["sales_agent"]] += d["deal_stage"] == "Won"
    df = ws.kpi("win_rate", by="rep", **PERIOD)
    assert by(df, "rep", "win_rate") == pytest.approx({a: won[a] / total[a] for a in total})


def test_won_deals_revenue_and_close_rate_by_regional_office(maven, raw):
    ws, _ = maven
    deals, office = raw
    won, lost, revenue = Counter(), Counter(), defaultdict(int)
    for d in deals:
        o = office[d["sales_agent"]]
        if d["deal_stage"] == "Won":
            won[o] += 1
            revenue[o] += int(d["close_value"])
        elif d["deal_stage"] == "Lost":
            lost[o] += 1
    df = ws.kpi(["deals_won", "revenue", "close_rate"], by="team", **PERIOD)
    assert by(df, "team", "deals_won") == pytest.approx(dict(won))
    assert by(df, "team", "revenue") == pytest.approx(dict(revenue))
    assert by(df, "team", "close_rate") == pytest.approx({o: won[o] / (won[o] + lost[o]) for o in won})


def test_importing_it_again_changes_nothing(maven):
    ws, _ = maven
    again = import_path(ws, MAVEN, mapping=MAPPING)
    t = again.totals()
    assert (t["inserted"], t["updated"]) == (0, 0)


def test_win_rate_by_regional_office(maven, raw):
    ws, _ = maven
    deals, office = raw
    total, won = Counter(), Counter()
    for d in deals:  # all deals, open ones included (win rate counts every deal created)
        o = office[d["sales_agent"]]
        total[o] += 1
        won[o] += d["deal_stage"] == "Won"
    df = ws.kpi("win_rate", by="team", **PERIOD)
    assert by(df, "team", "win_rate") == pytest.approx({o: won[o] / total[o] for o in total})


def test_dashboard_shows_the_datas_last_year_not_zeros(maven, raw, capsys):
    # issue #9: the history ends on 31 December 2017; the default range must follow the data
    from pilotage.cli import _print_dashboard

    ws, _ = maven
    deals, _ = raw
    _print_dashboard(ws, None, None, "previous", "en")
    text = capsys.readouterr().out
    won_2017 = [d for d in deals if d["deal_stage"] == "Won" and d["close_date"].startswith("2017")]
    revenue = sum(float(d["close_value"] or 0) for d in won_2017)
    assert "2017-01-01 → 2017-12-31" in text
    assert f"{len(won_2017):,}" in text  # deals won in 2017 (4,238), in English digits
    assert f"€{revenue:,.2f}" in text
    assert "The data ends on 2017-12-31" in text
