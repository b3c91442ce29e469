"""Backtest errors of the forecasts on the demo data, and their cost.

    .venv/bin/python bench/bench_forecast.py [--scale small|medium]

Prints, on a freshly generated demo (seed 7, ending 2026-07-01): the revenue model's
rolling-origin MAPE and MASE beside the seasonal-naive forecast's; the win-probability
model's Brier score beside the stage averages, with its calibration table; the CLV fit on the
demo's orders; and the seconds each took (wall clock, on a shared machine: read the ratios).
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import pilotage
from pilotage.demo import generate
from pilotage.forecast import clv, deals, revenue


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="small", choices=["small", "medium"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / args.scale
        generate(folder, seed=7, scale=args.scale, end=dt.date(2026, 7, 1))
        ws = pilotage.connect(str(Path(tmp) / "demo.duckdb"), create=True)
        ws.import_folder(folder)

        t = time.perf_counter()
        kpi = ws.kpi(["revenue"], grain="month", start="2026-01-01", end="2026-07-01")
        t_kpi = time.perf_counter() - t

        t = time.perf_counter()
        res = revenue.forecast(ws, 6)
        t_rev = time.perf_counter() - t
        b = res["backtest"]
        print(f"revenue: {res['model']} on {len(res['history'])} months, "
              f"{b['origins']} origins × {b['horizon']} months")
        print(f"  model MAPE {b['mape']:.1%}  MASE {b['mase']:.2f}")
        print(f"  naive MAPE {b['naive_mape']:.1%}  MASE {b['naive_mase']:.2f}   -> {b['verdict']}")

        t = time.perf_counter()
        d = deals.open_deals(ws)
        t_deals = time.perf_counter() - t
        b = d["backtest"]
        print(f"win probability: {len(d['deals'])} open deals; {b['trained']} stage visits trained, "
              f"{b['tested']} tested (closed after {b.get('split_at')})")
        print(f"  Brier {b['brier']}  stage averages {b['baseline_brier']}   -> {b['verdict']}")
        for row in b["calibration"]:
            print(f"  {row['bin']:9} {row['deals']:5} predicted {row['predicted']:.3f} observed {row['observed']:.3f}")

        t = time.perf_counter()
        try:
            fit = clv.fit(ws)
            print(f"CLV: {fit['customers']} customers; BG/NBD r {fit['bgnbd']['r']:.3f} α {fit['bgnbd']['alpha']:.3f} "
                  f"a {fit['bgnbd']['a']:.3f} b {fit['bgnbd']['b']:.3f}; Gamma-Gamma on "
                  f"{fit['gamma_gamma']['customers']} repeat buyers")
        except pilotage.PilotageError as exc:
            print(f"CLV: {exc}")
        t_clv = time.perf_counter() - t
        print(f"seconds (2 shared cores): revenue KPI by month {t_kpi:.2f}; forecast + backtest {t_rev:.2f} "
              f"({t_rev / t_kpi:.0f}× the KPI query); open deals + backtest {t_deals:.2f}; CLV fit {t_clv:.2f}")
        ws.close()
        assert len(kpi)


if __name__ == "__main__":
    main()
