"""Import whatever the user points at: a canonical folder, CRM exports (CSV, Excel, JSON), a folder or a .zip of them.

:func:`import_path` is what ``pilotage import FILE_OR_DIR`` and ``POST
/api/v1/import`` call. A folder whose files are all named after canonical
tables (``reps.csv``, ``leads.csv``...) is a canonical folder and imports
exactly as before; anything else goes through format detection and the
mappings (:mod:`pilotage.importer.crm`). Either way every table lands in one
transaction, or nothing does (unless ``skip_invalid``).
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from pilotage.errors import ImportRejected, PilotageError
from pilotage.exports import safe_row
from pilotage.importer import canonical, crm, readers
from pilotage.importer import mapping as M
from pilotage.store import schema as S


def default_errors_path(target: str | Path, cwd: Path | None = None, folder: Path | None = None) -> Path:
    """Where the error file of an import goes: ``<input's full name>.errors.csv``, next to the input
    (``deals.csv`` -> ``deals.csv.errors.csv``; ``exports/`` -> ``exports.errors.csv`` beside the folder).

    The full name keeps ``deals.csv`` and ``deals.xlsx`` from overwriting each other's file, and
    "next to the input" keeps two ``deals.csv`` of two folders apart. ``folder``: a folder chosen
    instead (``--errors DIR``). An input whose folder cannot be written falls back to ``cwd``.
    """
    import os

    src = Path(str(target).rstrip("/\\"))
    name = src.name or "import"
    where = folder
    if where is None:
        parent = src.expanduser().resolve().parent
        where = parent if os.access(parent, os.W_OK) else (cwd or Path.cwd())
    return Path(where) / f"{name}.errors.csv"


def _is_canonical_folder(files: list[Path]) -> bool:
    """Every file named after a canonical table, and the headers of at least one holding its table's required
    columns (a CRM export named opportunities.csv alone is not a canonical folder: its headers decide)."""
    if not files or not all(p.suffix.lower() == ".csv" and p.stem in S.BY_NAME for p in files):
        return False
    return any(_fits_table(p, S.table(p.stem)) for p in files)


def _fits_table(path: Path, table: S.Table) -> bool:
    try:
        with open(path, newline="", encoding="utf-8-sig", errors="replace") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, csv.Error):
        return False
    needed = {c.name for c in table.columns if c.required and c.default is None}
    return needed <= {h.strip() for h in header}


def _write_fatal(path: Path, fatal: list[tuple]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "line", "column", "raw value", "reason", "hint"])
        for f, line, col, value, reason, hint in fatal:
            w.writerow(safe_row([f, "" if line is None else line, col or "", value or "", reason, hint or ""]))


def _reject(fatal: list[tuple], errors_path: Path | None) -> ImportRejected:
    exc = ImportRejected([(f, line, col if col or line is None else ("header" if line == 1 else "row"), reason)
                          for f, line, col, value, reason, hint in fatal])
    exc.error_file = None
    exc.errors_detail = [{"file": f, "line": line, "column": col, "value": value, "reason": reason, "hint": hint}
                         for f, line, col, value, reason, hint in fatal[:1000]]
    if errors_path:
        try:
            _write_fatal(Path(errors_path), fatal)
        except OSError:  # a folder the user cannot write to: the temporary folder, and the message says where
            errors_path = Path(tempfile.gettempdir()) / Path(errors_path).name
            _write_fatal(errors_path, fatal)
        exc.error_file = str(errors_path)
        exc.args = (f"{exc.args[0]}\nevery error is listed in {errors_path}",)
    return exc


class _Bar:
    """One progress bar for the whole import, from 0 to 1000: each phase gets its share of it (measured on
    a 1M-row export: reading about 15 %, mapping 40 %, checking and writing 45 %), and each phase reports
    its own progress (files by size, tables by rows) inside its share, so the bar never goes back."""

    def __init__(self, progress):
        self.progress = progress or (lambda step, done, total: None)

    def phase(self, start: float, end: float):
        def tick(step: str, done: float, total: float) -> None:
            share = min(1.0, done / total) if total else 0.0
            self.progress(step, round(1000 * (start + (end - start) * share)), 1000)
        return tick


def import_path(ws, path: str | Path, *, format: str | None = None, mapping: str | Path | None = None,
                skip_invalid: bool = False, dry_run: bool = False, errors_path: str | Path | None = None,
                date_order: str | None = None, progress=None,
                now: dt.datetime | None = None) -> canonical.ImportReport:
    """Import a file, a folder or a .zip into the workspace ``ws``; see the module docstring."""
    from pilotage.engine import query

    ws.db.refuse_writes("import")
    if date_order not in (None, "dmy", "mdy"):
        raise PilotageError(f"date order {date_order!r}: expected dmy or mdy")
    bar = _Bar(progress)
    path = Path(path)
    if not path.exists():
        raise PilotageError(f"{path}: no such file or folder")
    settings = ws.settings
    if ws.db.engine == "duckdb":  # the CLI shows its own progress: no DuckDB bar in the middle of it
        ws.db.raw.execute("SET enable_progress_bar = false")
    now = now or dt.datetime.now(ZoneInfo(settings.timezone)).replace(tzinfo=None, microsecond=0)
    errors_path = Path(errors_path) if errors_path else None
    with tempfile.TemporaryDirectory(prefix="pilotage-import-") as tmp:
        notes: list[str] = []
        if path.is_dir():
            files, notes = readers.data_files(path)
            folder = path
        elif path.suffix.lower() == ".zip":
            files = readers.extract_zip(path, Path(tmp), path.name)
            folder = Path(tmp)
            files, notes = readers.data_files(folder)
        else:
            files, folder = [path], None
        if not files:
            raise PilotageError(f"{path}: no file to import (.csv, .tsv, .txt, .xlsx or .json)")
        if folder is not None and mapping is None and format in (None, "canonical") and _is_canonical_folder(files):
            bar.phase(0, 0.2)(f"reading {path.name}", 0, 1)
            raws = canonical.read_folder(folder)
            report = canonical.import_tables(ws.db, raws, settings, dry_run=dry_run, progress=bar.phase(0.2, 1),
                                             skip_invalid=skip_invalid, errors_path=errors_path)
            report.files = [{"source": r.source, "format": "canonical", "entity": r.table, "language": "en",
                             "rows": r.num_rows, "notes": []} for r in raws]
            report.notes = notes + report.notes
            _written(ws, dry_run, query)
            return report
        if mapping is not None:
            mappings = [M.load_mapping(mapping)]
        elif format not in (None, "canonical"):
            mappings = [M.builtin(format)]
        else:
            mappings = M.builtins()
        allow_canonical = mapping is None and format in (None, "canonical")
        left_out = [f for f in files if M.ignored(mappings, f.name)]
        if left_out:
            notes.append(f"left out by the mapping's ignore: {', '.join(f.name for f in left_out)}")
            files = [f for f in files if f not in left_out]
        sheets: list[readers.Sheet] = []
        fatal: list[tuple] = []
        sizes = [f.stat().st_size + 1 for f in files]
        for k, f in enumerate(files):
            bar.phase(0, 0.15)(f"reading {f.name} ({sizes[k] / 2**20:,.0f} MiB)" if sizes[k] > 2**20
                               else f"reading {f.name}", sum(sizes[:k]), sum(sizes))
            try:
                sheets += readers.read_path(f)
            except ImportRejected as exc:
                fatal += [(fl, ln, c, None, r, "") for fl, ln, c, r in exc.errors]
        if fatal:
            raise _reject(fatal, errors_path)
        plan = crm.plan(sheets, mappings, ws.db, settings, date_order=date_order,
                        allow_canonical=allow_canonical, progress=bar.phase(0.15, 0.55))
        if plan.fatal:
            raise _reject(plan.fatal, errors_path)
    report = canonical.import_tables(ws.db, plan.raws, settings, dry_run=dry_run, progress=bar.phase(0.55, 1),
                                     skip_invalid=skip_invalid, errors_path=errors_path, observed_at=now)
    report.files = plan.files
    report.created = plan.created
    if report.not_created and getattr(plan, "registry", None) is not None:  # named only on rejected rows
        report.created = plan.registry.created_names(report.not_created)
    report.notes = notes + plan.notes + report.notes
    _written(ws, dry_run, query)
    return report


def _written(ws, dry_run: bool, query) -> None:
    if not dry_run:
        ws._changed()  # every reader (this process's caches, other processes) sees the new data
