"""The team: the reps' leaderboard, the teams' roll-up, quota attainment."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pilotage import service
from pilotage.web.charts import PALETTE, axis_unit, base_layout, chart, plot_values
from pilotage.web.pages.common import (
    Notes,
    fetch,
    kpi_table,
    labeller,
    page,
    parse_view,
    render,
    show_all,
    tiles_from,
    val,
)
from pilotage.web.pages.rep import rep_url
from pilotage.web.state import StateDep

router = APIRouter(include_in_schema=False)

LEADER_ROWS = 15  # the page stays short at 1440 px; "tout afficher" lists every rep
LEADER_IDS = ["revenue", "deals_won", "win_rate", "activities", "activities_per_won_deal", "quota_attainment",
              "comp_to_revenue_ratio"]


@router.get("/equipe", response_class=HTMLResponse)
@page
def team_page(request: Request, state: StateDep):
    view = parse_view(request, state)
    notes = Notes()
    reps = fetch(state, view, LEADER_IDS, by=["team", "rep"], common=True, notes=notes)
    teams = fetch(state, view, LEADER_IDS + ["reps_at_quota_share", "revenue_per_rep"], by=["team"], common=True)
    total = fetch(state, view, LEADER_IDS + ["reps_at_quota_share", "revenue_per_rep"], common=True)
    team_name = labeller(state, view, "team")
    if reps is not None and len(reps):
        reps = reps[reps["rep"].notna()]
        reps = reps[~(reps[LEADER_IDS].isna() | (reps[LEADER_IDS] == 0)).all(axis=1)]
        reps = reps.sort_values("revenue", ascending=False, na_position="last", kind="stable").reset_index(drop=True)
        reps["rank"] = range(1, len(reps) + 1)
    leaderboard = kpi_table(state, view, reps, LEADER_IDS, dim="rep", caption=view.t("team.leaderboard"),
                            total=total, limit=None if show_all(request) else LEADER_ROWS,
                            row_link=lambda rep: rep_url(view, rep), extra_cols=[
                                {"label": view.t("team.rank"), "value": lambda r: str(r["rank"]), "num": True},
                                {"label": view.t("team.team"), "value": lambda r: team_name(r.get("team"))}])
    # the rank before the name
    for row in leaderboard["rows"]:
        row["rank"] = row["cells"].pop(0)["text"]
    leaderboard["head"] = [{"text": view.t("team.rank"), "num": True}, leaderboard["head"][0]] + leaderboard["head"][2:]
    if leaderboard["foot"]:
        leaderboard["foot"]["cells"].pop(0)
        leaderboard["foot"]["rank"] = ""
    team_table = kpi_table(state, view, teams, LEADER_IDS + ["reps_at_quota_share", "revenue_per_rep"], dim="team",
                           caption=view.t("team.rollup"), sort="revenue", total=total)
    share = val(total, "reps_at_quota_share")
    quota_tiles = tiles_from(view, total, ["reps_at_quota_share", "quota_attainment", "revenue_per_rep"])
    warn = service.quotas_too_ambitious(share, val(total, "quota_attainment"),
                                        val(total, "reps_at_quota_share_denominator"))
    if warn:
        quota_tiles[0]["warn"] = view.t("team.quota_warning")
    att = reps[reps["quota_attainment"].notna()].sort_values("quota_attainment", ascending=False) \
        if reps is not None and len(reps) else pd.DataFrame(columns=["rep", "quota_attainment"])
    rep_name = labeller(state, view, "rep")
    values = list(att["quota_attainment"])
    fig = go.Figure(go.Bar(
        y=[rep_name(r) for r in att["rep"]], x=plot_values(values, "rate"), orientation="h",
        marker={"color": [PALETTE[2] if v >= 1 else PALETTE[3] for v in values]},
        customdata=[view.fmt(v, "rate") for v in values], hovertemplate="%{y} : %{customdata}<extra></extra>",
        text=[view.fmt(v, "rate") for v in values], textposition="outside", cliponaxis=False),
        layout=base_layout(view, height=60 + 18 * max(len(att), 1), legend=False, hovermode="closest",
                           margin={"l": 8, "r": 56, "t": 8, "b": 8}, bargap=0.25,
                       yaxis={"type": "category", "autorange": "reversed", "gridcolor": "rgba(0,0,0,0)",
                              "rangemode": "normal"},
                       xaxis={"type": "linear", "showgrid": True, "gridcolor": "#e5e7eb",
                              **axis_unit(view, "rate")},
                       shapes=[{"type": "line", "yref": "paper", "y0": 0, "y1": 1, "x0": 100, "x1": 100,
                                "line": {"color": "#111827", "dash": "dot", "width": 1}}]))
    att_chart = chart(fig, view.t("team.attainment_chart"), 60 + 18 * max(len(att), 1))
    return render(request, "team.html", view, state, page="team", title=view.t("team.title"), notes=notes,
                  leaderboard=leaderboard, team_table=team_table, quota_tiles=quota_tiles, quota_warning=warn,
                  share=share, att_chart=att_chart)
