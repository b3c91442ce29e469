"""Load with mixed roles: N virtual users (admins, managers, reps, each with their API token)
on loopback, each waiting 1–3 s between requests; p50 / p95 / max and errors per role.

    python bench/bench_load_roles.py [--scale medium] [--users 50] [--seconds 60]

Starts the real server (uvicorn, one process, 127.0.0.1) over the demo data
(generated and imported into bench/.data/ if missing, as bench_pages.py does).
Two phases in the same run, so the figures can be read as ratios on a shared,
noisy machine:

1. **baseline**: single-user mode (no user in a copy of the workspace), the
   same virtual users without tokens;
2. **roles**: users added (10 % admins, 30 % managers of a team, 60 % reps,
   spread over 1 admin, every team's manager and 5 reps), each virtual user
   sending its role's bearer token, so every answer is scoped and cached per scope.

Each virtual user loops over a mix of API calls and pages (focus cards, KPI
by month × team, explain records, drop-downs, the overview and team pages),
after one warm-up pass per role. Goal of issue #10: p95 < 300 ms warm, 0 errors.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import shutil
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pilotage  # noqa: E402
from pilotage.auth.store import AuthStore  # noqa: E402
from pilotage.demo import generate  # noqa: E402
from tests.web.conftest import LiveServer  # noqa: E402

END = dt.date(2026, 7, 1)
CUT = "from=2025-07-01&to=2026-07-01"
MIX = [
    f"/api/v1/focus?{CUT}",
    f"/api/v1/kpi?ids=revenue,win_rate&grain=month&by=team&{CUT}",
    f"/api/v1/kpi?ids=win_rate,deals_won&by=rep&{CUT}",
    f"/api/v1/explain/win_rate?{CUT}&limit=50",
    "/api/v1/dimensions/rep",
    "/api/v1/dimensions/source",
    f"/?{CUT}",
    f"/equipe?{CUT}",
]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


async def vuser(base: str, token: str | None, until: float, out: list, rng: random.Random) -> None:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as c:
        while time.monotonic() < until:
            url = rng.choice(MIX)
            t0 = time.perf_counter()
            try:
                r = await c.get(url)
                ok = r.status_code == 200
            except httpx.HTTPError:
                ok = False
            out.append(((time.perf_counter() - t0) * 1000, ok, url))
            await asyncio.sleep(rng.uniform(1, 3))


async def phase(base: str, tokens: list[tuple[str, str | None]], seconds: float) -> dict[str, list]:
    until = time.monotonic() + seconds
    results: dict[str, list] = {}
    tasks = []
    for i, (role, token) in enumerate(tokens):
        out = results.setdefault(role, [])
        tasks.append(vuser(base, token, until, out, random.Random(i)))
    await asyncio.gather(*tasks)
    return results


def warm(base: str, tokens: list[tuple[str, str | None]]) -> None:
    seen = set()
    for role, token in tokens:
        if token in seen:
            continue
        seen.add(token)
        with httpx.Client(base_url=base, timeout=300,
                          headers={"Authorization": f"Bearer {token}"} if token else {}) as c:
            for url in MIX:
                r = c.get(url)
                if r.status_code != 200:
                    raise SystemExit(f"warm-up {role} {url}: HTTP {r.status_code} {r.text[:200]}")


def report(name: str, results: dict[str, list], base_p95: float | None = None) -> float:
    allv = [ms for rs in results.values() for ms, _, _ in rs]
    print(f"\n{name}")
    print(f"{'role':<10} {'requests':>9} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
          + (f" {'p95/baseline':>13}" if base_p95 else ""))
    for role, rs in sorted(results.items()):
        ms = [m for m, _, _ in rs]
        errs = sum(1 for _, ok, _ in rs if not ok)
        print(f"{role:<10} {len(rs):>9} {errs:>7} {pct(ms, .5):>8.0f} {pct(ms, .95):>8.0f} {max(ms):>8.0f}"
              + (f" {pct(ms, .95) / base_p95:>12.2f}x" if base_p95 else ""))
    p95 = pct(allv, .95)
    errs = sum(1 for rs in results.values() for _, ok, _ in rs if not ok)
    print(f"{'all':<10} {len(allv):>9} {errs:>7} {pct(allv, .5):>8.0f} {p95:>8.0f} {max(allv):>8.0f}")
    return p95


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="medium", choices=["small", "medium", "large"])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()

    data = ROOT / "bench" / ".data"
    folder, db = data / args.scale, data / f"{args.scale}.duckdb"
    if not db.exists():
        data.mkdir(parents=True, exist_ok=True)
        generate(folder, seed=42, scale=args.scale, end=END)
        with pilotage.connect(str(db), create=True) as ws:
            ws.import_folder(folder)
    work = data / f"{args.scale}-roles.duckdb"  # a copy: the users added do not touch the shared file
    work.unlink(missing_ok=True)
    for leftover in (".secret", ".wal"):  # an interrupted run leaves its users in the WAL
        Path(str(work) + leftover).unlink(missing_ok=True)
    shutil.copy(db, work)
    ws = pilotage.connect(str(work))
    with LiveServer(ws) as server:
        print(f"{args.scale} demo data, {args.users} virtual users waiting 1–3 s, {args.seconds:.0f} s per phase, "
              "loopback, one server process (machine: 2 shared cores, other work running)")
        anon = [("single", None)] * args.users
        warm(server.url, anon[:1])
        base = asyncio.run(phase(server.url, anon, args.seconds))
        base_p95 = report("baseline: single-user mode, no token", base)

        store = AuthStore(ws.db)
        teams = ws.db.fetchall('SELECT team_id, rep_id FROM "reps" WHERE team_id IS NOT NULL ORDER BY rep_id')
        store.add_user("admin@bench", "admin")
        tokens = {"admin": [store.new_token("admin@bench")], "manager": [], "rep": []}
        for i, (_team, rep) in enumerate(teams[:5]):  # 5 reps, every manager, 1 admin: 9 scopes to warm
            store.add_user(f"rep{i}@bench", "rep", rep_id=rep)
            tokens["rep"].append(store.new_token(f"rep{i}@bench"))
        for team in sorted({t for t, _ in teams}):
            store.add_user(f"mgr-{team}@bench", "manager", team_ids=(team,))
            tokens["manager"].append(store.new_token(f"mgr-{team}@bench"))
        mix = []
        for i in range(args.users):
            role = "admin" if i % 10 == 0 else "manager" if i % 10 in (1, 2, 3) else "rep"
            mix.append((role, tokens[role][i % len(tokens[role])]))
        time.sleep(2.5)  # the gate re-reads "has users" every 2 s
        warm(server.url, mix)
        roles = asyncio.run(phase(server.url, mix, args.seconds))
        p95 = report("roles: 10 % admins, 30 % managers, 60 % reps, bearer tokens", roles, base_p95)
        errors = sum(1 for rs in roles.values() for _, ok, _ in rs if not ok)
        print(f"\ngoal p95 < 300 ms warm, 0 errors: p95 {p95:.0f} ms, {errors} errors "
              f"({'met' if p95 < 300 and not errors else 'NOT met'}); p95 roles / baseline {p95 / base_p95:.2f}x")
    ws.close()


if __name__ == "__main__":
    main()
