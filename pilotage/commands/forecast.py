"""`pilotage forecast revenue|pipeline` and `pilotage deals --open`: where the months ahead land,
which deals will close."""

from __future__ import annotations

import json
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Forecasts: monthly revenue (ETS, with its backtest) and the pipeline by category.")

DbOpt = Annotated[str | None, typer.Option("--db", help="DuckDB file or postgresql:// URL")]
FormatOpt = Annotated[str, typer.Option("--format", help="table or json")]


def _check_format(format: str) -> None:
    from pilotage.errors import PilotageError

    if format not in ("table", "json"):
        raise PilotageError(f"unknown format {format!r}: expected table or json")


def _pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"


@app.command()
def revenue(months: Annotated[int, typer.Option("--months", help="months ahead")] = 6,
            until: Annotated[str | None, typer.Option("--until", help="history ends before this date "
                                                                       "(default: after the last sale)")] = None,
            format: FormatOpt = "table", db: DbOpt = None):
    """Monthly revenue for the next N months with 80 % and 95 % intervals, and the backtest of the model."""
    import pilotage
    from pilotage.forecast import revenue as R

    _check_format(format)
    res = R.forecast(pilotage.connect(db, read_only=True), months, until)
    if format == "json":
        print(json.dumps(res))
        return
    print(f"{res['model']} on {len(res['history'])} months of revenue")
    print(f"{'month':8} {'forecast':>14} {'80 %':>29} {'95 %':>29}")
    for r in res["forecast"]:
        print(f"{r['month']:8} {r['forecast']:>14,.0f} {r['lo80']:>14,.0f}–{r['hi80']:<14,.0f}"
              f" {r['lo95']:>14,.0f}–{r['hi95']:<14,.0f}")
    b = res["backtest"]
    if b["origins"]:
        print(f"backtest ({b['origins']} origins, {b['horizon']} months ahead): MAPE {_pct(b['mape'])}, "
              f"MASE {b['mase']:.2f}; seasonal naive: MAPE {_pct(b['naive_mape'])}, MASE {b['naive_mase']:.2f}")
    print(b["verdict"])


@app.command()
def pipeline(from_: Annotated[str | None, typer.Option("--from", help="YYYY-MM-DD (included)")] = None,
             to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD (excluded)")] = None,
             by: Annotated[str | None, typer.Option(help="rep or team (default: the company)")] = None,
             format: FormatOpt = "table", db: DbOpt = None):
    """Closed, commit, best case and pipeline amounts by expected close month."""
    import pilotage
    from pilotage.errors import PilotageError
    from pilotage.forecast import deals as D

    _check_format(format)
    if by not in (None, "rep", "team"):
        raise PilotageError(f"unknown --by {by!r}: expected rep or team")
    rows = D.categories(pilotage.connect(db, read_only=True), from_, to, by)
    if format == "json":
        print(json.dumps(rows, ensure_ascii=False))
        return
    for r in rows:
        print("  ".join(f"{v:>12,.0f}" if isinstance(v, float) else f"{v!s:>10}" for v in r.values()))


def deals(open_: Annotated[bool, typer.Option("--open", help="open deals (the only listing so far)")] = True,
          format: FormatOpt = "table", lang: Annotated[str, typer.Option(help="fr or en (factors)")] = "en",
          db: DbOpt = None):
    """Open deals with their win probability, its top factors, and slipping or stuck flags."""
    import pilotage
    from pilotage.errors import PilotageError
    from pilotage.forecast import deals as D

    _check_format(format)
    if not open_:
        raise PilotageError("only --open is available: closed deals are in `pilotage explain revenue`")
    if lang not in ("fr", "en"):
        raise PilotageError(f"unknown language {lang!r}: expected fr or en")
    res = D.open_deals(pilotage.connect(db, read_only=True), lang=lang)
    if format == "json":
        print(json.dumps(res["deals"], ensure_ascii=False))
        return
    b = res["backtest"]
    print(f"as of {res['as_of']}: {len(res['deals'])} open deals; win model Brier {b['brier']} vs stage "
          f"averages {b['baseline_brier']} ({b['tested']} stage visits after {b.get('split_at', '—')}): {b['verdict']}")
    for d in res["deals"][:30]:
        flags = ("slipping " if d["slipping"] else "") + ("stuck" if d["stuck"] else "")
        print(f"{d['opportunity_id']:14} {d['stage'][:14]:14} {d['amount']:>12,.0f} {_pct(d['win_probability']):>8} "
              f"{flags:16} {', '.join(d['factors'])}")
