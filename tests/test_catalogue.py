"""The catalogue is a public contract: every KPI of the spec, labelled and documented in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pilotage.catalogue import facts
from pilotage.catalogue.kpis import BY_ID, KPIS
from pilotage.catalogue.model import Growth, Product
from pilotage.engine.query import dimensions_of, measures_of

# The ids of ../shared/spec/kpi-catalogue.md (copied: the project must pass without ../shared).
# forecast_revenue and quota_suggestion come with the forecasting issue; pipeline_coverage
# was added by issue #9 (the overview's focus KPIs).
SPEC_IDS = """
calls emails meetings activities activities_per_won_deal proposals_sent content_usage_rate social_posts
leads lead_source_share qualification_rate lead_conversion_rate cost_per_lead cac campaign_roi
opportunities_created win_rate close_rate stage_conversion proposal_conversion_rate sales_cycle_days
open_pipeline weighted_pipeline pipeline_coverage deals_won revenue gross_margin gross_margin_rate avg_deal_size
revenue_growth revenue_yoy active_customers new_customers churn_rate retention_rate nps
recommendation_rate upsell_rate avg_purchase_value purchase_frequency customer_lifespan clv
quota_attainment reps_at_quota_share revenue_per_rep comp_to_revenue_ratio price_index price_gap
""".split()

# French labels exactly as the catalogue gives them
SPEC_FR = {
    "lead_conversion_rate": "Taux de conversion des leads",
    "win_rate": "Taux de transformation",
    "churn_rate": "Taux d'attrition (churn)",
    "avg_deal_size": "Valeur moyenne des ventes (panier moyen)",
    "comp_to_revenue_ratio": "CA généré / package du commercial",
    "reps_at_quota_share": "Pourcentage de commerciaux atteignant leur quota",
}

SEMANTICS = Path(__file__).resolve().parents[1] / "docs" / "kpi-semantics.md"


def test_every_spec_kpi_is_declared_once():
    assert sorted(BY_ID) == sorted(SPEC_IDS)
    assert len(KPIS) == len(BY_ID)


@pytest.mark.parametrize("kpi", KPIS, ids=lambda k: k.id)
def test_each_kpi_has_labels_formula_and_documentation_in_both_languages(kpi):
    for lang in ("fr", "en"):
        assert kpi.label.get(lang, "").strip(), f"{kpi.id}: no {lang} label"
        assert kpi.formula.get(lang, "").strip(), f"{kpi.id}: no {lang} formula"
        assert len(kpi.doc.get(lang, "").strip()) > 10, f"{kpi.id}: no {lang} documentation"
    assert kpi.label["fr"] != kpi.label["en"] or kpi.id == "nps"
    assert kpi.unit and kpi.better in ("up", "down", "none") and kpi.anchor


@pytest.mark.parametrize("kpi", KPIS, ids=lambda k: k.id)
def test_each_kpi_is_covered_by_the_semantics_page_or_the_catalogue_formula(kpi):
    # a KPI whose computation needs a choice must be named on docs/kpi-semantics.md
    text = SEMANTICS.read_text(encoding="utf-8")
    simple_counts = {"calls", "emails", "meetings", "activities", "proposals_sent", "leads",
                     "opportunities_created", "deals_won", "revenue", "qualification_rate",
                     "lead_conversion_rate", "close_rate", "proposal_conversion_rate", "avg_purchase_value",
                     "active_customers", "recommendation_rate", "upsell_rate"}
    if kpi.id not in simple_counts:
        assert re.search(rf"`{kpi.id}`", text), f"{kpi.id} is not explained in docs/kpi-semantics.md"


def test_french_labels_follow_the_catalogue():
    for kid, label in SPEC_FR.items():
        assert BY_ID[kid].label["fr"] == label


@pytest.mark.parametrize("kpi", KPIS, ids=lambda k: k.id)
def test_measures_name_known_facts_and_anchors(kpi):
    if isinstance(kpi.kind, (Growth, Product)):
        return
    for m in measures_of(kpi):
        assert m.fact in facts.FACTS
        assert (m.anchor is None) == facts.FACTS[m.fact].periodic, f"{kpi.id}: {m.fact} anchor"


def test_dimensions_are_those_the_records_carry():
    assert "source" in dimensions_of(BY_ID["lead_conversion_rate"])
    assert "rep" not in dimensions_of(BY_ID["nps"])
    assert dimensions_of(BY_ID["cac"]) == ()
    assert set(dimensions_of(BY_ID["comp_to_revenue_ratio"])) == {"rep", "team"}
