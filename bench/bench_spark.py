"""The reference harness's KPIs on Spark local[2] against DuckDB, both reading the same Parquet lake.

    .venv/bin/python bench/bench_spark.py [M|L|S] [--reps 2] [--harness /work/shared/bench]

Steps (each skipped when its output exists under $BENCH_DATA, default <tmp>/benchdata):
1. the harness's ``gen.py SCALE`` (its synthetic CRM data as Parquet) and ``to_canonical.py SCALE``
   (canonical CSV folder), run as they are, with this venv's Python;
2. ``pilotage import`` of that folder into ``SCALE/pilotage.duckdb``, then ``pilotage export --parquet``
   to ``SCALE/lake/`` (the canonical tables as Parquet: what a lake holds);
3. per repetition, in a fresh process each: the harness's ``kpis_pilotage.compute`` (its five ws.kpi
   calls: rep x month, team x month, month, source x month, pipeline) on ``parquet:LAKE`` (DuckDB,
   no import) then on ``spark://local[2]?parquet=LAKE``.

Printed: per call and in total, the median seconds of each engine and the ratio Spark / DuckDB,
the Spark session start apart (a cluster keeps its session; a CLI pays it once).
The machine may be shared: the ratio, measured in the same run, is the figure to read.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
PILOTAGE = str(Path(PY).with_name("pilotage"))

RUNNER = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
url = sys.argv[2]
t = time.perf_counter()
if url.startswith("spark"):
    from pilotage.store.lake import spark_session
    spark_session("local[2]", {"spark.driver.memory": sys.argv[3]})
start = time.perf_counter() - t
import kpis_pilotage
tm = {}
t = time.perf_counter()
out = kpis_pilotage.compute(url, tm)
print(json.dumps({"session": start, "total": time.perf_counter() - t, "calls": tm,
                  "rows": {k: len(v) for k, v in out.items()},
                  "sums": {k: float(v.select_dtypes("number").fillna(0).abs().to_numpy().sum())
                           for k, v in out.items()}}))
"""


def step(what: str, cmd: list[str], env=None) -> None:
    t = time.perf_counter()
    print(f"-- {what}", flush=True)
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    print(f"   {time.perf_counter() - t:.0f} s", flush=True)


def prepare(scale: str, harness: Path, data: Path) -> Path:
    env = {**os.environ, "BENCH_DATA": str(data)}
    src = data / scale
    if not (src / "activities.parquet").exists():
        step(f"harness gen.py {scale}", [PY, str(harness / "gen.py"), scale], env)
    if not (src / "canonical" / "opportunities.csv").exists():
        step(f"harness to_canonical.py {scale}", [PY, str(harness / "to_canonical.py"), scale], env)
    db, lake = src / "pilotage.duckdb", src / "lake"
    if not db.exists():
        step("pilotage import", [PILOTAGE, "import", str(src / "canonical"), "--db", str(db)])
    if not (lake / "opportunities.parquet").exists():
        step("pilotage export --parquet", [PILOTAGE, "export", "--parquet", str(lake), "--db", str(db)])
    return lake


def measure(url: str, harness: Path, memory: str) -> dict:
    p = subprocess.run([PY, "-c", RUNNER, str(harness), url, memory], capture_output=True, text=True)
    if p.returncode:
        raise SystemExit(f"{url} failed:\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scale", nargs="?", default="M", choices=["S", "M", "L"])
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--harness", type=Path, default=Path(os.environ.get("BENCH_HARNESS", "/work/shared/bench")))
    ap.add_argument("--driver-memory", default="4g", help="spark.driver.memory (local mode: the whole JVM)")
    args = ap.parse_args()
    data = Path(os.environ.get("BENCH_DATA", Path(tempfile.gettempdir()) / "benchdata"))
    lake = prepare(args.scale, args.harness, data)
    urls = {"duckdb": f"parquet:{lake}", "spark": f"spark://local[2]?parquet={lake}"}
    runs: dict[str, list[dict]] = {k: [] for k in urls}
    for rep in range(args.reps):  # interleaved: a load change on the machine hits both engines
        for name, url in urls.items():
            r = measure(url, args.harness, args.driver_memory)
            runs[name].append(r)
            print(f"rep {rep + 1} {name:6s} {r['total']:7.2f} s (session {r['session']:.1f} s)", flush=True)
    a, b = runs["duckdb"][0], runs["spark"][0]
    assert a["rows"] == b["rows"], (a["rows"], b["rows"])
    for k in a["sums"]:  # the same figures: rows and the sum of every number of each output
        assert abs(a["sums"][k] - b["sums"][k]) <= 1e-6 * max(1.0, abs(a["sums"][k])), (k, a["sums"][k], b["sums"][k])

    def med(name, key):
        return statistics.median(r["calls"][key] if key in r["calls"] else r[key] for r in runs[name])

    print(f"\nscale {args.scale}, {args.reps} repetitions, medians (2 cores shared with other work: read the ratios)")
    print(f"{'call':14s} {'DuckDB s':>9s} {'Spark s':>9s} {'Spark/DuckDB':>13s}")
    for key in [*a["calls"], "total"]:
        d, s = med("duckdb", key), med("spark", key)
        print(f"{key:14s} {d:9.2f} {s:9.2f} {s / d:12.1f}x")
    print(f"{'Spark session':14s} {'':9s} {med('spark', 'session'):9.2f}   (JVM start, once per process)")
    print("outputs equal: same rows per output, same sum of every figure")


if __name__ == "__main__":
    main()
