"""Server time per page at a demo scale: p50 / p95, cold (first request) and warm (cached).

    python bench/bench_pages.py [--scale medium] [--runs 20]

Starts the real server on 127.0.0.1 over the demo data (generated and
imported into bench/.data/ if missing), requests every page and API call over
HTTP, and prints the figures. Each figure is also given as a ratio to a
baseline measured in the same run (the static plotly.js file), since these
machines are noisy. The cache is dropped between the cold rounds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pilotage  # noqa: E402
from pilotage.demo import generate  # noqa: E402
from tests.web.conftest import LiveServer  # noqa: E402

END = dt.date(2026, 7, 1)
CUT = "from=2025-07-01&to=2026-07-01"
PAGES = [
    ("Vue d'ensemble", f"/?{CUT}"),
    ("Leads et canaux", f"/leads?{CUT}"),
    ("Pipeline", f"/pipeline?{CUT}"),
    ("Équipe", f"/equipe?{CUT}"),
    ("Clients", f"/clients?{CUT}"),
    ("Prix", f"/prix?{CUT}"),
    ("KPI page (win_rate)", f"/kpi/win_rate?{CUT}"),
    ("Catalogue", "/catalogue"),
    ("API kpi month×team", f"/api/v1/kpi?ids=revenue,win_rate&grain=month&by=team&{CUT}"),
    ("API focus", f"/api/v1/focus?{CUT}"),
]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--cold", type=int, default=3, help="cold rounds (cache dropped before each)")
    args = ap.parse_args()

    data = ROOT / "bench" / ".data"
    folder, db = data / args.scale, data / f"{args.scale}.duckdb"
    if not db.exists():
        t0 = time.perf_counter()
        generate(folder, seed=42, scale=args.scale, end=END)
        with pilotage.connect(str(db), create=True) as ws:
            ws.import_folder(folder)
        print(f"prepared {args.scale} demo data in {time.perf_counter() - t0:.1f} s")
    ws = pilotage.connect(str(db), create=True)
    with LiveServer(ws) as server, httpx.Client(base_url=server.url, timeout=300) as http:
        state = server.app.state.pilotage

        def timed(url: str) -> float:
            t0 = time.perf_counter()
            r = http.get(url)
            elapsed = time.perf_counter() - t0
            if r.status_code != 200:
                raise SystemExit(f"{url}: HTTP {r.status_code}: {r.text[:300]}")
            return elapsed * 1000

        base = [timed("/static/plotly.min.js") for _ in range(args.runs)]
        b50 = statistics.median(base)
        print(f"\n{args.scale} scale, {args.runs} warm runs, {args.cold} cold runs; baseline "
              f"(static plotly.min.js) p50 {b50:.1f} ms\n")
        print("cold: the first view after an import (a new data version: nothing learned of the data, "
              "nothing cached); recomputed: the same view with the results and pages dropped but the "
              "engine's kept groupings (rollup) still there, as for a new filter by team or rep; "
              "warm: the same view again (cached)\n")
        print(f"{'page':<24} {'cold p50':>9} {'recomp. p50':>12} {'recomp. p95':>12} {'warm p50':>9} "
              f"{'warm p95':>9} {'warm p95/base':>14}")
        from pilotage.engine import query
        from pilotage.web import data

        for name, url in PAGES:
            cold = []
            for _ in range(args.cold):
                query.bump_data_version(state.ws.db)  # what an import's commit does
                query.forget_row_counts(state.ws.db)
                data.after_write(state)
                cold.append(timed(url))
            fresh = []
            for _ in range(args.cold * 2):
                data.after_write(state)  # results and rendered pages dropped
                fresh.append(timed(url))
            warm = [timed(url) for _ in range(args.runs)]
            print(f"{name:<24} {statistics.median(cold):>8.0f}  {statistics.median(fresh):>11.0f}  "
                  f"{pct(fresh, 0.95):>11.0f}  {statistics.median(warm):>8.1f}  {pct(warm, 0.95):>8.1f}  "
                  f"{pct(warm, 0.95) / b50:>13.1f}x")
    ws.close()


if __name__ == "__main__":
    main()
