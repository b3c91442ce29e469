"""Time per page in a real browser: navigation start to load event and to the last chart drawn.

    python bench/bench_browser.py [--scale medium] [--runs 10] [--pages overview,team]

Starts the real server on 127.0.0.1 over the demo data (generated and imported
into bench/.data/ if missing, as bench_pages.py does), drives Debian's chromium
with playwright and prints, per page, p50 / p95 in milliseconds of:

- **load**: navigation start to the end of the load event (HTML, styles,
  scripts parsed and run);
- **charts**: navigation start to the moment every ``.plot`` of the page holds
  its drawn SVG (an init script watches the DOM, so the figure does not depend
  on the page's own JavaScript).

For three situations:

- **cold**: the first view after an import: the server's cache and
  materialised facts are dropped (what a write does), the browser keeps its
  HTTP cache (the user was already there);
- **after import**: the first view after an import sent to the server, which recomputes the
  questions asked before it and only then answers (pilotage.web.cache): the page is rendered
  anew from answers already computed;
- **first visit**: cold, and a browser with an empty cache (nothing of the
  page's static files is cached);
- **new cut**: a range never asked before (facts kept, results computed);
- **warm**: the same view again (server cache hit, static files cached).

The machine is shared and noisy: each figure is also printed as a ratio to the
catalogue page's warm p50 (no chart, no KPI query) measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pilotage  # noqa: E402
from pilotage.demo import generate  # noqa: E402
from tests.web.conftest import LiveServer  # noqa: E402

END = dt.date(2026, 7, 1)
CUT_START = dt.date(2025, 7, 1)
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGES = [
    ("catalogue", "/catalogue"),
    ("overview", "/"),
    ("leads", "/leads"),
    ("pipeline", "/pipeline"),
    ("team", "/equipe"),
    ("customers", "/clients"),
    ("pricing", "/prix"),
    ("kpi win_rate", "/kpi/win_rate"),
    ("scorecard", "/commercial/REP-0001"),
    ("activity", "/activite"),
]

# Records the time at which every chart placeholder of the page holds plotly's SVG.
WATCH = """
(() => {
  window.__charts = null;
  const done = () => {
    if (window.__charts !== null || document.readyState === "loading") return;
    const plots = document.querySelectorAll(".plot");
    for (const p of plots) { if (!p.querySelector(".main-svg")) return; }
    window.__charts = performance.now();
    obs.disconnect();
  };
  const obs = new MutationObserver(done);
  obs.observe(document, {childList: true, subtree: true});
  document.addEventListener("DOMContentLoaded", done);
  window.addEventListener("load", done);
})();
"""


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def prepare(scale: str) -> Path:
    data = ROOT / "bench" / ".data"
    folder, db = data / scale, data / f"{scale}.duckdb"
    if not db.exists():
        t0 = time.perf_counter()
        generate(folder, seed=42, scale=scale, end=END)
        with pilotage.connect(str(db), create=True) as ws:
            ws.import_folder(folder)
        print(f"prepared {scale} demo data in {time.perf_counter() - t0:.1f} s")
    return db


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    ap.add_argument("--runs", type=int, default=10, help="warm runs per page")
    ap.add_argument("--cold", type=int, default=3, help="cold runs per page (and 2x new cuts)")
    ap.add_argument("--pages", help="comma-separated page names (default: all)")
    ap.add_argument("--width", type=int, default=1440)
    args = ap.parse_args()
    pages = [p for p in PAGES if not args.pages or p[0] in args.pages.split(",")]
    if not pages or pages[0][0] != "catalogue":
        pages.insert(0, PAGES[0])  # the baseline

    from playwright.sync_api import sync_playwright

    from pilotage.engine import query
    from pilotage.web import data

    ws = pilotage.connect(str(prepare(args.scale)), create=True)
    with LiveServer(ws) as server, sync_playwright() as pw:
        state = server.app.state.pilotage
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def new_context():
            ctx = browser.new_context(viewport={"width": args.width, "height": 900}, locale="fr-FR")
            ctx.add_init_script(WATCH)
            return ctx

        warm_ctx = new_context()
        tab = warm_ctx.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))

        def visit(page, path: str) -> tuple[float, float]:
            resp = page.goto(server.url + path, wait_until="load", timeout=120_000)
            if resp is None or resp.status != 200:
                raise SystemExit(f"{path}: HTTP {resp.status if resp else '?'}")
            page.wait_for_function("window.__charts !== null", timeout=120_000, polling=50)
            load = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
            charts = page.evaluate("window.__charts")
            return load, max(load, charts)

        def drop_server_state() -> None:  # what an import does: a new data version, caches and pages dropped
            query.bump_data_version(state.ws.db)
            query.forget_row_counts(state.ws.db)
            data.after_write(state)

        cut_no = iter(range(1, 10_000))

        def cut(path: str, start: dt.date = CUT_START) -> str:
            return f"{path}{'&' if '?' in path else '?'}from={start.isoformat()}&to={END.isoformat()}"

        for name, path in list(pages):  # static files in the HTTP cache, the code cache primed
            resp = tab.goto(server.url + cut(path), wait_until="load", timeout=120_000)
            if resp is None or resp.status != 200:
                print(f"{name}: HTTP {resp.status if resp else '?'}, left out")
                pages.remove((name, path))
                continue
            visit(tab, cut(path))
        results = {}
        def imported_through_the_server() -> None:  # what `POST /api/v1/import` does once its rows are in
            query.bump_data_version(state.ws.db)
            query.forget_row_counts(state.ws.db)
            data.after_import(state)  # the questions asked before, computed again before the import answers

        for name, path in pages:
            cold, after, first, fresh, warm = [], [], [], [], []
            for _ in range(args.cold):
                drop_server_state()
                cold.append(visit(tab, cut(path)))
            for _ in range(args.cold):
                imported_through_the_server()
                after.append(visit(tab, cut(path)))
            drop_server_state()
            ctx = new_context()
            first.append(visit(ctx.new_page(), cut(path)))
            ctx.close()
            for _ in range(args.cold * 2):
                fresh.append(visit(tab, cut(path, CUT_START - dt.timedelta(days=next(cut_no)))))
            visit(tab, cut(path))
            for _ in range(args.runs):
                warm.append(visit(tab, cut(path)))
            results[name] = {"cold": cold, "after import": after, "first visit": first, "new cut": fresh,
                             "warm": warm}
        browser.close()
    ws.close()

    base = statistics.median([c for _, c in results["catalogue"]["warm"]])
    print(f"\n{args.scale} scale, viewport {args.width} px, chromium headless; {args.runs} warm runs, "
          f"{args.cold} cold, 1 first visit, {2 * args.cold} new cuts per page. Shared 2-core machine: "
          f"compare ratios.\nBaseline: catalogue warm p50 = {base:.0f} ms (x = ratio to it).\n")
    print(f"{'page':<14} {'situation':<12} {'load p50':>9} {'load p95':>9} {'charts p50':>11} {'charts p95':>11}"
          f" {'charts p95 x':>13}")
    for name, rs in results.items():
        for situation, xs in rs.items():
            loads, charts = [x[0] for x in xs], [x[1] for x in xs]
            print(f"{name:<14} {situation:<12} {statistics.median(loads):>9.0f} {pct(loads, 0.95):>9.0f} "
                  f"{statistics.median(charts):>11.0f} {pct(charts, 0.95):>11.0f} {pct(charts, 0.95) / base:>12.1f}x")
    if errors:
        print("\npage errors:", *sorted(set(errors)), sep="\n  ")


if __name__ == "__main__":
    main()
