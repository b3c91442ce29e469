"""Customers: active and new customers, churn and retention, NPS, value by segment."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilotage.web.charts import time_chart
from pilotage.web.pages.common import Notes, fetch, kpi_label, kpi_table, page, parse_view, render, tiles_from
from pilotage.web.state import StateDep

router = APIRouter(include_in_schema=False)

CUST_TIME = ["active_customers", "new_customers", "churn_rate", "retention_rate", "nps", "recommendation_rate",
             "upsell_rate"]
VALUE_IDS = ["avg_purchase_value", "purchase_frequency", "customer_lifespan", "clv"]


@router.get("/clients", response_class=HTMLResponse)
@page
def customers_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    notes = Notes()
    over_time = fetch(state, view, CUST_TIME, grain=view.grain, notes=notes)
    totals = fetch(state, view, CUST_TIME + VALUE_IDS)
    by_segment = fetch(state, view, VALUE_IDS + ["active_customers", "churn_rate"], by=["segment"])
    active_chart = time_chart(view, over_time, [("active_customers", kpi_label(view, "active_customers"), "line"),
                                                ("new_customers", kpi_label(view, "new_customers"), "bar")],
                              "count", label=view.t("customers.active_chart"))
    churn_chart = time_chart(view, over_time, [("churn_rate", kpi_label(view, "churn_rate"), "line"),
                                               ("upsell_rate", kpi_label(view, "upsell_rate"), "line"),
                                               ("recommendation_rate", kpi_label(view, "recommendation_rate"),
                                                "line")],
                             "rate", label=view.t("customers.churn_chart"))
    retention_chart = time_chart(view, over_time, [("retention_rate", kpi_label(view, "retention_rate"), "line")],
                                 "rate", label=kpi_label(view, "retention_rate"), height=240)
    nps_chart = time_chart(view, over_time, [("nps", kpi_label(view, "nps"), "bar")], "score",
                           label=kpi_label(view, "nps"), height=240)
    value_table = kpi_table(state, view, by_segment, ["active_customers", "churn_rate"] + VALUE_IDS, dim="segment",
                            caption=view.t("customers.value"), sort="clv", total=totals)
    return render(request, "customers.html", view, state, page="customers", title=view.t("customers.title"),
                  notes=notes, active_chart=active_chart, churn_chart=churn_chart, retention_chart=retention_chart,
                  nps_chart=nps_chart, value_table=value_table,
                  head_tiles=tiles_from(view, totals, ["active_customers", "new_customers", "churn_rate",
                                                       "retention_rate"]),
                  tiles2=tiles_from(view, totals, ["nps", "recommendation_rate", "upsell_rate", "clv"]))
