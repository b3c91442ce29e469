"""Load on the server: many users at once, warm, during an API import, and the saturation point.

    python bench/bench_load.py [--scale medium] [--users 50] [--seconds 30]

Starts `pilotage serve` in its own process over the demo data (bench/.data/, made if
missing) and drives it from this process with asyncio + httpx (no think time shared
with the server's interpreter). Three runs:

1. warm: ``--users`` users, each mixing pages and API calls and waiting 1-3 s between
   requests (locust's ``between(1, 3)``): p50 / p95 / p99 and errors;
2. the same while the demo data is imported again through ``POST /api/v1/import``
   (readers see the old data until its commit): the same figures, and the import's time;
3. saturation: users that do not wait, 1, 2, 4 ... 64 of them, on the mix and on a static
   file served by the same server (the baseline): requests/s and p95 at each step, and the
   rate at which p95 passes 1 s.

Every figure is also given as a ratio to the static file measured in the same run, since
the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import os
import random
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

END = dt.date(2026, 7, 1)
CUT = "from=2025-07-01&to=2026-07-01"
MIX = [
    f"/?{CUT}", f"/leads?{CUT}", f"/pipeline?{CUT}", f"/equipe?{CUT}", f"/clients?{CUT}", f"/prix?{CUT}",
    f"/kpi/win_rate?{CUT}", "/catalogue",
    f"/api/v1/kpi?ids=revenue,win_rate&grain=month&by=team&{CUT}", f"/api/v1/focus?{CUT}",
    "/api/v1/kpis", "/api/v1/dimensions/rep", f"/api/v1/explain/win_rate?{CUT}&limit=20",
]
STATIC = "/static/pilotage.css"


def pct(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def users(base: str, n: int, seconds: float, paths: list[str], wait: tuple[float, float] | None,
                timeline: list | None = None):
    """``n`` users for ``seconds``: latencies (s) and errors (status or exception); ``timeline`` gets
    (start, latency, path) of every answer."""
    lat: list[float] = []
    errors: list[str] = []
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=n + 4, max_keepalive_connections=n + 4)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        async def user(i: int):
            rnd = random.Random(i)
            if wait:
                await asyncio.sleep(rnd.uniform(0, wait[1]))  # users arrive spread out
            while time.perf_counter() < stop:
                path = rnd.choice(paths)
                t0 = time.perf_counter()
                try:
                    r = await http.get(path)
                    if r.status_code != 200:
                        errors.append(f"{path}: {r.status_code}")
                    else:
                        lat.append(time.perf_counter() - t0)
                        if timeline is not None:
                            timeline.append((t0, lat[-1], path))
                except httpx.HTTPError as exc:
                    errors.append(f"{path}: {type(exc).__name__}")
                if wait:
                    await asyncio.sleep(rnd.uniform(*wait))

        await asyncio.gather(*(user(i) for i in range(n)))
    return lat, errors


def line(name: str, lat: list[float], errors: list[str], seconds: float, base_p50: float) -> str:
    p50, p95, p99 = (pct(lat, q) * 1000 for q in (0.5, 0.95, 0.99))
    return (f"{name:<34} {len(lat) / seconds:7.1f} req/s  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
            f"p99 {p99:7.1f} ms  errors {len(errors)}  (p95 = {p95 / (base_p50 * 1000):,.0f}x static p50)")


def demo_zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.glob("*.csv")):
            z.write(f, f.name)
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--steps", default="1,2,4,8,16,32,64")
    ap.add_argument("--code", default=str(ROOT), help="the checkout whose server is measured (e.g. main, for before)")
    args = ap.parse_args()

    import pilotage
    from pilotage.demo import generate

    data = ROOT / "bench" / ".data"
    folder, db = data / args.scale, data / f"{args.scale}.duckdb"
    if not db.exists():
        generate(folder, seed=42, scale=args.scale, end=END)
        with pilotage.connect(str(db), create=True) as ws:
            ws.import_folder(folder)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "pilotage.cli", "serve", "--db", str(db), "--port", str(port)],
                              env={**os.environ, "PYTHONPATH": args.code})
    try:
        for _ in range(600):
            try:
                httpx.get(base + "/api/v1/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        for path in MIX:  # warm: every answer cached once
            httpx.get(base + path, timeout=300)
        print(f"{args.scale} demo, {args.users} users, {args.seconds:.0f} s per run, 2 cores shared with "
              f"other work (compare the ratios)\n")
        lat, err = asyncio.run(users(base, 8, 5, [STATIC], None))
        base_p50 = pct(lat, 0.5)
        print(f"baseline: static file {STATIC} p50 {base_p50 * 1000:.1f} ms\n")

        lat, err = asyncio.run(users(base, args.users, args.seconds, MIX, (1, 3)))
        print(line("warm, users wait 1-3 s", lat, err, args.seconds, base_p50))

        body = demo_zip(folder)
        done: dict = {}

        async def during_import():
            async def imp():
                t0 = time.perf_counter()
                async with httpx.AsyncClient(base_url=base, timeout=600) as http:
                    # single-user mode: a state-changing request carries the CSRF header (issue #11)
                    r = await http.post("/api/v1/import", files={"files": ("demo.zip", body, "application/zip")},
                                        headers={"X-Pilotage-CSRF": "bench"})
                done.update(status=r.status_code, seconds=time.perf_counter() - t0)

            done["t0"] = time.perf_counter()
            t = asyncio.create_task(imp())
            res = await users(base, args.users, args.seconds, MIX, (1, 3), timeline)
            await t
            return res

        timeline: list = []
        lat, err = asyncio.run(during_import())
        print(line("during an API import", lat, err, args.seconds, base_p50))
        print(f"{'':<34} the import: HTTP {done.get('status')} in {done.get('seconds', float('nan')):.1f} s")
        by_second: dict[int, list[float]] = {}
        for t0, took, _ in timeline:
            by_second.setdefault(int(t0 - done["t0"]), []).append(took)
        print(f"{'':<34} slowest answer per second of the run (s after the import started: ms): "
              + ", ".join(f"{k}: {max(v) * 1000:.0f}" for k, v in sorted(by_second.items())))
        slow = sorted(timeline, key=lambda x: -x[1])[:5]
        print(f"{'':<34} slowest: " + "; ".join(f"{p} at {t0 - done['t0']:.1f} s took {took:.1f} s"
                                               for t0, took, p in slow))
        for path in MIX:  # warm again after the import's commit
            httpx.get(base + path, timeout=300)

        print("\nsaturation: users that do not wait")
        step_s = max(5.0, args.seconds / 3)
        sat = {}
        for name, paths in (("static file", [STATIC]), ("mix", MIX)):
            for n in (int(x) for x in args.steps.split(",")):
                lat, err = asyncio.run(users(base, n, step_s, paths, None))
                rate = len(lat) / step_s
                print(f"  {name:<12} {n:3d} users: {rate:7.1f} req/s  p95 {pct(lat, 0.95) * 1000:7.1f} ms  "
                      f"errors {len(err)}")
                if pct(lat, 0.95) > 1 and name not in sat:
                    sat[name] = rate
        for name in ("static file", "mix"):
            print(f"saturation point ({name}): " + (f"p95 passes 1 s at about {sat[name]:.0f} req/s" if name in sat
                                                  else "p95 stayed under 1 s at every step"))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
