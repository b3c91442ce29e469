"""The KPI catalogue: every KPI by section, with its unit, direction and dimensions."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilotage.catalogue.kpis import SECTION_LABELS, SECTIONS
from pilotage.web import data, i18n
from pilotage.web.pages.common import page, parse_view, render
from pilotage.web.state import StateDep

router = APIRouter(include_in_schema=False)

@router.get("/catalogue", response_class=HTMLResponse)
@page
def catalogue_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    entries = data.catalogue(view.lang)
    sections = []
    for s in SECTIONS:
        items = []
        for e in entries:
            if e["section"] != s:
                continue
            items.append({**e, "url": view.url(f"/kpi/{e['id']}"), "unit_text": view.t(f"unit.{e['unit']}"),
                          "better_text": view.t(f"common.better_{e['better']}"),
                          "dims_text": ", ".join(i18n.dimension(d, view.lang) for d in e["dimensions"])
                          or view.t("catalogue.period_only")})
        if items:
            sections.append({"id": s, "label": SECTION_LABELS[s][view.lang], "kpis": items})
    return render(request, "catalogue.html", view, state, page="catalogue", title=view.t("catalogue.title"),
                  sections=sections)
