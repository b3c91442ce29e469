"""Pricing: price index and price gap by product and over time."""

from __future__ import annotations

import plotly.graph_objects as go
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilotage.web.charts import MAX_SERIES, colours, base_layout, chart, period_label, series_trace
from pilotage.web.pages.common import Notes, fetch, kpi_table, labeller, page, parse_view, render, tile, val
from pilotage.web.state import StateDep

router = APIRouter(include_in_schema=False)

PRICE_IDS = ["price_index", "price_gap"]


@router.get("/prix", response_class=HTMLResponse)
@page
def pricing_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    notes = Notes()
    by_product = fetch(state, view, PRICE_IDS, by=["product"], notes=notes)
    over_time = fetch(state, view, PRICE_IDS, grain=view.grain, by=["product"])
    totals = fetch(state, view, PRICE_IDS)
    name = labeller(state, view, "product")
    table = kpi_table(state, view, by_product, PRICE_IDS, dim="product", caption=view.t("pricing.by_product"),
                      sort="price_index", total=totals, flag_small=False)
    periods = sorted(over_time["period"].unique()) if len(over_time) else []
    x = [period_label(view, d, view.grain) for d in periods]
    charts = []
    # at most MAX_SERIES lines (the highest price indexes; the table lists every product), each product
    # in the same colour on both charts
    products = list(by_product.sort_values("price_index", ascending=False)["product"])[:MAX_SERIES] \
        if len(by_product) else []
    palette = colours(products)
    palette = {p: palette[str(p)] for p in products}
    for kid, unit, key in (("price_index", "index", "pricing.index_chart"),
                           ("price_gap", "money", "pricing.gap_chart")):
        traces = []
        for p in products:
            part = over_time[over_time["product"].astype(object) == p].set_index("period")[kid]
            traces.append(series_trace(view, "line", x, [part.get(d) for d in periods], unit, name(p), palette[p]))
        layout = base_layout(view, height=320, unit=unit)
        if kid == "price_index":
            layout["yaxis"]["rangemode"] = "normal"
            layout["shapes"] = [{"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": 100, "y1": 100,
                                 "line": {"color": "#6b7280", "dash": "dot", "width": 1}}]
        charts.append(chart(go.Figure(traces, layout=layout), view.t(key), 320))
    return render(request, "pricing.html", view, state, page="pricing", title=view.t("pricing.title"), notes=notes,
                  price_table=table, index_chart=charts[0], gap_chart=charts[1],
                  head_tiles=[tile(view, "price_index", val(totals, "price_index")),
                         tile(view, "price_gap", val(totals, "price_gap"))])
