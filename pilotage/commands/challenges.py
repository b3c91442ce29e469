"""`pilotage challenges`: create, list, show, close sales challenges; the reward ledger."""

from __future__ import annotations

from typing import Annotated

import typer

from pilotage.commands.goals import DbOpt, FormatOpt, _console, _num, _run

app = typer.Typer(no_args_is_help=True, help="Sales challenges: a contest on a KPI, leaderboard, points, rewards.")
AsOf = Annotated[str | None, typer.Option("--as-of", help="today's date for the leaderboard (default today)")]


def _today(as_of):
    from pilotage.periods import parse_date

    return parse_date(as_of, "--as-of")


@app.command()
def create(name: Annotated[str, typer.Option("--name")],
           kpi: Annotated[str, typer.Option("--kpi", help="a KPI id (see `pilotage kpis`)")],
           from_: Annotated[str | None, typer.Option("--from", help="first day YYYY-MM-DD")] = None,
           to: Annotated[str | None, typer.Option("--to", help="end day YYYY-MM-DD (excluded)")] = None,
           period: Annotated[str | None, typer.Option("--period", help="instead of --from/--to: 2025-03, "
                                                                        "2025-Q1, 2025-W10")] = None,
           mode: Annotated[str, typer.Option("--mode", help="individual or team")] = "individual",
           participant: Annotated[list[str] | None, typer.Option("--participant", help="rep (or team) id, "
                                                                 "repeatable; default: all")] = None,
           rule: Annotated[str, typer.Option("--rule", help="ranking, threshold or both")] = "ranking",
           threshold: Annotated[float | None, typer.Option("--threshold")] = None,
           points: Annotated[str, typer.Option("--points", help="points of ranks 1, 2, 3...")] = "100,60,30",
           threshold_points: Annotated[int, typer.Option("--threshold-points")] = 50,
           reward: Annotated[list[str] | None, typer.Option("--reward", help="POSITION:KIND[:AMOUNT[:TEXT]], "
                                                            "e.g. 1:bonus:500, threshold:training::Coaching")] = None,
           budget: Annotated[float | None, typer.Option("--budget")] = None,
           format: FormatOpt = "table", db: DbOpt = None):
    """Create a challenge (a time-boxed contest on a KPI)."""
    from pilotage.challenges import service
    from pilotage.errors import InvalidCut

    def run(ws):
        start, end = from_, to
        if period:
            from pilotage.goals import periods as GP

            _, start, end = GP.parse(period, ws.settings.fiscal_year_start, ws.settings.week_start)
        if not start or not end:
            raise InvalidCut("give --period, or --from and --to")
        try:
            rank_points = [int(x) for x in points.split(",") if x.strip()]
        except ValueError:
            raise InvalidCut(f"--points {points!r}: expected whole numbers, e.g. 100,60,30") from None
        return service.create(ws, name=name, kpi=kpi, start=start, end=end, mode=mode, participants=participant,
                              rule=rule, threshold=threshold, rank_points=rank_points,
                              threshold_points=threshold_points, rewards=reward or [], budget=budget)

    c = _run(db, format, run)
    if c is None:
        return
    _console().print(f"challenge {c['challenge_id']} created: {c['name']} ({c['kpi']}, {c['start']}..{c['end']}, "
                     f"{len(c['participants'])} participants)")


@app.command("list")
def list_(as_of: AsOf = None, format: FormatOpt = "table", db: DbOpt = None):
    """Running, upcoming and past challenges."""
    from pilotage.challenges import service

    rows = _run(db, format, lambda ws: service.list_(ws, today=_today(as_of)), read_only=True)
    if rows is None:
        return
    from rich.table import Table

    t = Table("id", "name", "kpi", "from", "to (excl.)", "status", "participants")
    for r in rows:
        t.add_row(r["challenge_id"], r["name"], r["kpi"], r["start"], r["end"], r["status"],
                  str(len(r["participants"])))
    _console().print(t)


def _reward(w: dict) -> str:
    amount = f" {_num(w['amount'])}" if w["amount"] else ""
    return f"{w['kind']}{amount}" + (f" ({w['description']})" if w["description"] else "")


def _print(c: dict) -> None:
    from rich.table import Table

    con = _console()
    con.print(f"[bold]{c['name']}[/] — {c['kpi']}, {c['start']}..{c['end']} (excl.), {c['status']}")
    t = Table("rank", "name", "score", "points", "badge", "rewards")
    for r in c["leaderboard"]:
        rewards = ", ".join(_reward(w) for w in r.get("rewards", []))
        rank = "—" if r["rank"] is None else f"{r['rank']}{'=' if r.get('tied') else ''}"
        t.add_row(rank, r["name"] or "", _num(r["score"]), str(r.get("points", "")), r.get("badge") or "",
                  rewards)
    con.print(t)


@app.command()
def show(challenge_id: Annotated[str, typer.Argument()], as_of: AsOf = None, format: FormatOpt = "table",
         db: DbOpt = None):
    """A challenge and its leaderboard (frozen once it has ended)."""
    from pilotage.challenges import service

    c = _run(db, format, lambda ws: service.get(ws, challenge_id, today=_today(as_of)))
    if c is None:
        return
    _print(c)


@app.command()
def close(challenge_id: Annotated[str, typer.Argument()], as_of: AsOf = None, format: FormatOpt = "table",
          db: DbOpt = None):
    """End a challenge now: freeze its leaderboard and write its rewards to the ledger."""
    from pilotage.challenges import service

    c = _run(db, format, lambda ws: service.close(ws, challenge_id, today=_today(as_of)))
    if c is None:
        return
    _print(c)


@app.command()
def ledger(format: FormatOpt = "table", db: DbOpt = None):
    """The reward ledger: who won what, when, for which result."""
    from pilotage.challenges import service

    rows = _run(db, format, lambda ws: service.ledger(ws), read_only=True)
    if rows is None:
        return
    from rich.table import Table

    t = Table("awarded", "challenge", "participant", "rank", "score", "reward", "amount")
    for r in rows:
        t.add_row(r["awarded_at"][:10], r["challenge"], r["participant_id"], str(r["rank"] or "—"),
                  _num(r["score"]), r["kind"] + (f" ({r['description']})" if r["description"] else ""),
                  _num(r["amount"]))
    _console().print(t)
