"""`pilotage goals`: set goals, follow their progress and pace, the team's quota picture, suggested quotas.

The JSON shapes are a contract scripts rely on (docs/goals.md); heavy libraries are imported
inside the commands so `pilotage --help` stays fast.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="Goals and quotas: set them, follow progress and pace, suggest quotas.")

DbOpt = Annotated[str | None, typer.Option("--db", help="DuckDB file or postgresql:// URL "
                                              "(default: $PILOTAGE_DATABASE_URL or ./pilotage.duckdb)")]
PeriodOpt = Annotated[str | None, typer.Option("--period", help="2025, 2025-Q1, 2025-03 or 2025-W10 (fiscal); "
                                                   "default: the goals running today; `all`: every goal")]
RepOpt = Annotated[str | None, typer.Option("--rep", help="a rep id")]
TeamOpt = Annotated[str | None, typer.Option("--team", help="a team id")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="the date progress is measured at (default today)")]
FormatOpt = Annotated[str, typer.Option("--format", help="table or json")]


def _open(db, read_only=False):
    import pilotage

    return pilotage.connect(db, read_only=read_only)


def _check_format(fmt: str) -> None:
    from pilotage.errors import PilotageError

    if fmt not in ("table", "json"):
        raise PilotageError(f"unknown format {fmt!r}: expected table or json")


def _run(db, format: str, fn, *, read_only: bool = False, indent: int | None = None):
    """Check ``format``, open the workspace, return ``fn(ws)`` and close it. With ``--format json``
    the result is printed here and None returned: the caller prints its table only for a result."""
    _check_format(format)
    ws = _open(db, read_only=read_only)
    try:
        out = fn(ws)
    finally:
        ws.close()
    if format == "json":
        print(json.dumps(out, ensure_ascii=False, default=str, indent=indent))
        return None
    return out


def _console():
    import shutil

    from rich.console import Console

    return Console(width=shutil.get_terminal_size((160, 40)).columns)


def _pct(v) -> str:
    return "—" if v is None else f"{v:.0%}"


def _num(v) -> str:
    return "—" if v is None else f"{v:,.2f}".rstrip("0").rstrip(".")


@app.command("set")
def set_(kpi: Annotated[str, typer.Option("--kpi", help="a KPI id (see `pilotage kpis`)")],
         period: Annotated[str, typer.Option("--period", help="2025, 2025-Q1, 2025-03 or 2025-W10 (fiscal)")],
         target: Annotated[float, typer.Option("--target", help="the value to reach (a rate as 0.25)")],
         rep: RepOpt = None, team: TeamOpt = None, format: FormatOpt = "table", db: DbOpt = None):
    """Set a goal for a rep, a team or (neither given) the company; setting it again changes its target."""
    from pilotage.goals import service

    def set_and_check(ws):
        g = service.set_goal(ws, kpi, period, target, rep=rep, team=team)
        service.check_milestones(ws)
        return g

    g = _run(db, format, set_and_check)
    if g is None:
        return
    who = f"{g['owner_type']} {g['owner_id']}" if g["owner_id"] else "the company"
    verb = "changed" if g["replaced"] else "set"
    from pilotage.catalogue.kpis import BY_ID

    sign = "≤" if BY_ID[kpi].better == "down" else "≥"
    _console().print(f"goal {g['goal_id']} {verb}: {kpi} {sign} {_num(target)} for {who} over {g['period']} "
                     f"({g['period_start']}..{g['period_end']})")


@app.command()
def delete(goal_id: Annotated[str, typer.Argument(help="the goal's id (from `goals progress`)")], db: DbOpt = None):
    """Delete a goal set in the app."""
    from pilotage.goals import service

    ws = _open(db)
    try:
        service.delete_goal(ws, goal_id)
    finally:
        ws.close()
    _console().print(f"goal {goal_id} deleted")


@app.command()
def progress(period: PeriodOpt = None, rep: RepOpt = None, team: TeamOpt = None, as_of: AsOfOpt = None,
             format: FormatOpt = "table", db: DbOpt = None):
    """Each goal's value, attainment, pace and status (on_track, at_risk, behind; met or missed when over)."""
    from pilotage.goals import service

    rows = _run(db, format, lambda ws: service.progress(ws, period=period, rep=rep, team=team, as_of=as_of),
                read_only=True, indent=1)
    if rows is None:
        return
    from rich.table import Table

    t = Table("kpi", "owner", "period", "target", "value", "attainment", "pace", "pace + pipeline", "status",
              "days left")
    for r in rows:
        owner = r["owner_name"] or r["owner_id"] or "company"
        target = _num(r["target"]) + (f" (reps: {_num(r['rollup_target'])})"
                                      if r["rollup_target"] is not None and r["source"] != "rollup"
                                      and abs(r["rollup_target"] - r["target"]) > 1e-9 else "")
        t.add_row(r["kpi"], f"{owner} [{r['source']}]", r["period"], target, _num(r["value"]), _pct(r["attainment"]),
                  _num(r["pace_value"]), _num(r["pace_with_pipeline"]), r["status"], str(r["days_left"]))
    con = _console()
    con.print(t)
    if not rows:
        con.print("no goal in this selection (default: the goals running today; try --period all)")


@app.command()
def suggest(period: Annotated[str | None, typer.Option("--period", help="the period to suggest quotas for "
                                                            "(default: the next fiscal quarter)")] = None,
            kpi: Annotated[str, typer.Option("--kpi", help="an additive KPI (revenue, deals_won...)")] = "revenue",
            percentile: Annotated[float, typer.Option("--percentile", help="of the rep's forecast: "
                                                           "0.45 = met 55 % of the time")] = 0.45,
            company_target: Annotated[float | None, typer.Option("--company-target", help="spread over reps in "
                                                                  "proportion to their suggestions")] = None,
            backtest: Annotated[bool, typer.Option("--backtest", help="replay past periods instead")] = False,
            periods: Annotated[int, typer.Option("--periods", help="backtest: how many past periods")] = 4,
            format: FormatOpt = "table", db: DbOpt = None):
    """Suggested personal quotas from each rep's history (trend, seasonality, ramp-up), with reasons;
    --backtest scores them on past periods beside "last year + 10 %"."""
    from pilotage.goals import suggest as SG

    def run(ws):
        if not backtest:
            return SG.suggest(ws, period, kpi=kpi, percentile=percentile, company_target=company_target)
        grain = "quarter"
        if period:
            from pilotage.goals import periods as GP

            _, s, e = GP.parse(period, ws.settings.fiscal_year_start, ws.settings.week_start)
            grain = SG._grain(s, e)
        return SG.backtest(ws, kpi=kpi, grain=grain, periods=periods, percentile=percentile)

    res = _run(db, format, run, read_only=True, indent=1)
    if res is None:
        return
    from rich.table import Table

    con = _console()
    if backtest:
        t = Table("period", "reps", "met (suggested)", "±20 % (suggested)", "met (last year + 10 %)",
                  "±20 % (last year + 10 %)")
        for r in [*res["periods"], {"period": "overall", **res["overall"]}]:
            a, b = r["suggested"], r["last_year_plus_10"]
            t.add_row(r["period"], str(a["reps"]), _pct(a["met_share"]), _pct(a["within_20_share"]),
                      _pct(b["met_share"]), _pct(b["within_20_share"]))
        con.print(t)
        con.print(f"aim: {res['aim']}")
        return
    t = Table("rep", "suggested", *(["allocated"] if company_target is not None else []), "why")
    for r in res["reps"]:
        t.add_row(f"{r['name']} ({r['rep_id']})", _num(r["suggested"]),
                  *([_num(r.get("allocated"))] if company_target is not None else []), "; ".join(r["reasons"]))
    con.print(f"{res['kpi']} quotas suggested for {res['period']} ({res['period_start']}..{res['period_end']}), "
              f"total {_num(res['total_suggested'])}")
    con.print(t)


@app.command()
def team(period: PeriodOpt = None, team: TeamOpt = None,
         kpi: Annotated[str, typer.Option("--kpi")] = "revenue", as_of: AsOfOpt = None,
         format: FormatOpt = "table", db: DbOpt = None):
    """The team's quota picture: share of reps at quota (< 60 % warned), distribution, quality signals."""
    from pilotage.goals import service

    p = _run(db, format, lambda ws: service.team_picture(ws, period=period, team=team, kpi=kpi, as_of=as_of),
             read_only=True, indent=1)
    if p is None:
        return
    con = _console()
    con.print(f"{p['reps_at_quota']} of {p['reps']} reps at quota ({_pct(p['share_at_quota'])}); "
              f"within ±20 % of target: {_pct(p['within_20_share'])}")
    for b in p["distribution"]:
        con.print(f"  {b['bucket']:>10}  {'█' * b['reps']} {b['reps']}")
    for s in p["signals"]:
        con.print(f"[yellow]⚠ {s}[/]")
    if p["at_risk"]:
        con.print("at risk or behind: " + ", ".join(f"{r['owner_name'] or r['owner_id']} ({_pct(r['attainment'])}, "
                                                     f"pace {_num(r['pace_value'])})" for r in p["at_risk"]))
