"""`pilotage clv`: predictive customer lifetime value (BG/NBD + Gamma-Gamma on the orders)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Predictive customer value: purchases to come, P(alive), spend, discounted CLV.")

DbOpt = Annotated[str | None, typer.Option("--db", help="DuckDB file or postgresql:// URL")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="end of the calibration period YYYY-MM-DD "
                                                               "(included; default: the last order)")]
FormatOpt = Annotated[str, typer.Option("--format", help="table or json")]


def _check_format(format: str) -> None:
    from pilotage.errors import PilotageError

    if format not in ("table", "json"):
        raise PilotageError(f"unknown format {format!r}: expected table or json")


@app.command()
def fit(until: UntilOpt = None, format: FormatOpt = "table", db: DbOpt = None):
    """Fit BG/NBD and Gamma-Gamma on the orders; print their parameters (time unit: week)."""
    import pilotage
    from pilotage.forecast import clv

    _check_format(format)
    res = clv.fit(pilotage.connect(db, read_only=True), until)
    if format == "json":
        print(json.dumps(res))
        return
    bg, gg = res["bgnbd"], res["gamma_gamma"]
    print(f"{res['customers']} customers, orders up to {res['until']} (time unit: week)")
    print(f"BG/NBD       r={bg['r']:.4f}  alpha={bg['alpha']:.4f}  a={bg['a']:.4f}  b={bg['b']:.4f}"
          f"  log-likelihood={bg['log_likelihood']:.2f}")
    print(f"Gamma-Gamma  p={gg['p']:.4f}  q={gg['q']:.4f}  gamma={gg['gamma']:.4f}  ({gg['customers']} repeat buyers)")


@app.command()
def customers(until: UntilOpt = None,
              horizon: Annotated[int, typer.Option("--horizon", help="months ahead")] = 12,
              discount: Annotated[float, typer.Option("--discount", help="monthly discount rate (0.01 = 1 %)")] = 0.01,
              by_segment: Annotated[bool, typer.Option("--by-segment", help="totals per account segment")] = False,
              limit: Annotated[int, typer.Option(help="rows shown in the table (json: all)")] = 20,
              format: FormatOpt = "table", db: DbOpt = None):
    """Per customer: frequency, recency, T (weeks), P(alive), expected purchases, spend and CLV."""
    from rich.console import Console
    from rich.table import Table

    import pilotage
    from pilotage.forecast import clv

    _check_format(format)
    rows = clv.customers(pilotage.connect(db, read_only=True), until, horizon, discount)
    if by_segment:
        rows = clv.by_segment(rows)
    if format == "json":
        print(json.dumps(rows, ensure_ascii=False))
        return
    t = Table(*rows[0].keys()) if rows else Table()
    for r in rows[:limit]:
        t.add_row(*("—" if v is None else f"{v:,.3f}" if isinstance(v, float) else str(v) for v in r.values()))
    Console(width=160).print(t)
    if len(rows) > limit:
        print(f"… {len(rows) - limit} more (--limit, or --format json for all)")


@app.command()
def retention(months: Annotated[int, typer.Option("--months", help="months followed per cohort")] = 12,
              format: FormatOpt = "table", db: DbOpt = None):
    """Cohort retention by start month, and the shifted-beta-geometric projection of the pooled curve."""
    import pilotage
    from pilotage.forecast import retention as R

    _check_format(format)
    res = R.cohorts(pilotage.connect(db, read_only=True), months)
    if format == "json":
        print(json.dumps(res))
        return
    for c in res["cohorts"]:
        print(f"{c['cohort']}  {c['customers']:>6}  " + " ".join(f"{100 * v:5.1f}" for v in c["retention"]))
    print("pooled           " + " ".join(f"{100 * v:5.1f}" for v in res["pooled"]))
    if res["sbg"]:
        s = res["sbg"]
        print(f"sBG alpha={s['alpha']:.3f} beta={s['beta']:.3f}  projection: "
              + " ".join(f"{100 * v:5.1f}" for v in s["projection"]))
