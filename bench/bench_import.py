"""Import speed and memory on 1M opportunities: canonical CSV and a CRM export, against DuckDB's own read_csv.

    python bench/bench_import.py [--rows 1000000] [--keep]

Writes into bench/.data/:
- ``canonical/``: reps.csv (200), leads.csv (empty), opportunities.csv (N rows, the data contract's layout);
- ``hubspot-fr/deals.csv``: the same deals as a French HubSpot export from Excel on Windows:
  UTF-8 with BOM, ``;`` delimiter, French headers, ``1 234,56 €`` amounts (U+202F and U+00A0 as
  thousands separators), ``31/01/2024 14:05`` dates, French stage labels, owners and companies by
  name (reps and accounts are created by the import).

Each import runs in a fresh child process on a fresh DuckDB file; its wall time and peak memory
(maximum resident set size of the child, from ``os.wait4``) are measured. The baseline is the same
file loaded by DuckDB alone (``CREATE TABLE AS SELECT * FROM read_csv(...)``, every column typed
by DuckDB's sniffer) into a fresh file, in a child process too. Target: >= 200k rows/s, < 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"


def generate(rows: int) -> dict[str, Path]:
    import duckdb

    canon, crm = DATA / "canonical", DATA / "hubspot-fr"
    for d in (canon, crm):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SELECT setseed(0.42)")
    con.execute(f"""
        CREATE TABLE deals AS SELECT
            i,
            'o' || i AS opportunity_id,
            i % 200 AS rep,
            i % 5000 AS account,
            TIMESTAMP '2022-01-03 08:00:00' + to_minutes(CAST(i * 7 % (3 * 365 * 24 * 60) AS BIGINT)) AS created,
            i % 10 AS s,
            round(random() * 250000, 2) AS amount
        FROM range({rows}) t(i)""")
    stages = ["Appointment Scheduled", "Qualified To Buy", "Presentation Scheduled", "Decision Maker Bought-In",
              "Contract Sent", "Closed Won", "Closed Won", "Closed Lost", "Closed Lost", "Closed Lost"]
    fr = ["Rendez-vous programmé", "Qualifié pour l'achat", "Présentation programmée", "Décideur convaincu",
          "Contrat envoyé", "Fermé gagné", "Fermé gagné", "Fermé perdu", "Fermé perdu", "Fermé perdu"]
    status = ["open"] * 5 + ["won"] * 2 + ["lost"] * 3

    def case(values):
        return "CASE s " + " ".join(f"WHEN {k} THEN '{v.replace(chr(39), chr(39) * 2)}'"
                                    for k, v in enumerate(values)) + " END"

    con.execute(f"""COPY (SELECT 'r' || i AS rep_id, 'Commercial ' || i AS name FROM range(200) t(i))
                    TO '{canon / "reps.csv"}' (HEADER)""")
    (canon / "leads.csv").write_text("lead_id,created_at,source\n")
    con.execute(f"""COPY (SELECT opportunity_id, 'r' || rep AS owner_rep_id,
                    strftime(created, '%Y-%m-%d %H:%M:%S') AS created_at, {case(stages)} AS stage,
                    {case(status)} AS status, amount,
                    CASE WHEN s >= 5 THEN strftime(created + INTERVAL 40 DAY, '%Y-%m-%d %H:%M:%S') END AS closed_at
                    FROM deals ORDER BY i) TO '{canon / "opportunities.csv"}' (HEADER)""")
    # the same deals, as a French HubSpot export saved by Excel: BOM, ';', 1 234,56 €, dd/mm/yyyy
    body = crm / "body.csv"
    con.execute(f"""COPY (SELECT 'd' || i AS "ID de fiche d'informations",
                    'Affaire ' || i AS "Nom de la transaction",
                    {case(fr)} AS "Phase de la transaction",
                    'Pipeline de ventes' AS "Pipeline",
                    replace(replace(printf('%,.2f', amount), ',', CASE WHEN i % 2 = 0 THEN chr(8239) ELSE chr(160) END),
                            '.', ',') || ' €' AS "Montant",
                    strftime(created, '%d/%m/%Y %H:%M') AS "Date de création",
                    CASE WHEN s >= 5 THEN strftime(created + INTERVAL 40 DAY, '%d/%m/%Y')
                         ELSE strftime(created + INTERVAL 90 DAY, '%d/%m/%Y') END AS "Date de fermeture",
                    'Commercial ' || rep AS "Propriétaire de la transaction",
                    'Société ' || account AS "Entreprise associée",
                    CASE WHEN i % 4 = 0 THEN 'Activité existante' ELSE 'Nouvelle activité' END AS "Type de transaction"
                    FROM deals ORDER BY i) TO '{body}' (HEADER, DELIMITER ';')""")
    target = crm / "deals.csv"
    with open(target, "wb") as out, open(body, "rb") as src:
        out.write(b"\xef\xbb\xbf")
        shutil.copyfileobj(src, out, 1 << 24)
    body.unlink()
    return {"canonical": canon, "crm": target}


CHILD = """
import json, sys, time
kind, path, db = sys.argv[1:4]
if kind == "baseline":
    import duckdb
else:
    import pilotage
    from pilotage.importer.files import import_path
t0 = time.perf_counter()  # the import itself: after the interpreter has started and loaded the modules
if kind == "baseline":
    con = duckdb.connect(db)
    con.execute("SET enable_progress_bar = false")
    opts = ", delim = ';'" if path.endswith("deals.csv") else ""
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{path}'{opts})")
    rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
    con.close()
else:
    ws = pilotage.connect(db, create=True)
    report = import_path(ws, path)
    rows = next(t.inserted for t in report.tables if t.table == "opportunities")
    ws.close()
print(json.dumps({"rows": rows, "seconds": time.perf_counter() - t0}))
"""


def run_child(kind: str, path: Path, workdir: Path) -> dict:
    db = workdir / f"{kind}-{path.stem}.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(path), str(db)], stdout=subprocess.PIPE,
                            text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    out = proc.stdout.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{kind} import of {path} failed (exit {proc.returncode})")
    res = json.loads(out.strip().splitlines()[-1])
    res.update(wall=wall, peak_mb=usage.ru_maxrss / 1024)  # Linux: kilobytes
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--keep", action="store_true", help="keep the generated files and databases")
    args = ap.parse_args()
    t0 = time.perf_counter()
    paths = generate(args.rows)
    sizes = {k: (sum(f.stat().st_size for f in p.glob("*")) if p.is_dir() else p.stat().st_size)
             for k, p in paths.items()}
    print(f"generated {args.rows:,} opportunities in {time.perf_counter() - t0:.1f} s "
          f"(canonical {sizes['canonical'] / 2**20:.0f} MiB, HubSpot FR {sizes['crm'] / 2**20:.0f} MiB)")
    print("seconds: the import call (connect, read, check, write, commit); process: the whole child process,")
    print("interpreter start and module loading included. Peak MB: the child's maximum resident set size.")
    print(f"{'import':<36}{'seconds':>8}{'rows/s':>10}{'process s':>10}{'peak MB':>9}{'vs read_csv':>12}")
    for label, kind, path, base_path in (
        ("canonical folder", "pilotage", paths["canonical"], paths["canonical"] / "opportunities.csv"),
        ("HubSpot FR export (;, 1 234,56 €)", "pilotage", paths["crm"], paths["crm"]),
    ):
        base = run_child("baseline", base_path, DATA)
        res = run_child(kind, path, DATA)
        print(f"{label:<36}{res['seconds']:>8.2f}{res['rows'] / res['seconds']:>10,.0f}{res['wall']:>10.2f}"
              f"{res['peak_mb']:>9,.0f}{res['seconds'] / base['seconds']:>11.1f}x")
        print(f"{'  baseline: DuckDB read_csv':<36}{base['seconds']:>8.2f}{base['rows'] / base['seconds']:>10,.0f}"
              f"{base['wall']:>10.2f}{base['peak_mb']:>9,.0f}")
    if not args.keep:
        shutil.rmtree(DATA, ignore_errors=True)


if __name__ == "__main__":
    main()
