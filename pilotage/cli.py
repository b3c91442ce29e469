"""The `pilotage` command. Errors print one line on stderr and exit 2 (no traceback)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

import pilotage
from pilotage.catalogue.kpis import BY_ID
from pilotage.errors import ImportRejected, PilotageError
from pilotage.exports import safe_cell
from pilotage.formatting import SMALL_SAMPLE, fmt, fmt_change, lang as lang_of

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Pilotage: steer sales performance. CRM data in, sales KPIs out.")
_TYPE_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "file": "FILE",
               "directory": "DIR"}


def _plain_type(self, ctx) -> str:
    """Help shows TEXT, INTEGER, PATH as click does, and nothing for a flag (typer's own: <str>, <bool>)."""
    label = _typer_display_type(self, ctx)
    if getattr(self, "is_flag", False) or label == "<bool>":
        return ""
    inner = label.strip("<>")
    return _TYPE_WORDS.get(inner, inner.upper())


try:  # typer >= 0.20 tags every option with <type>
    from typer.core import _TyperParameter

    _typer_display_type = _TyperParameter.display_type
    _TyperParameter.display_type = _plain_type
except (ImportError, AttributeError):  # older typer: its own (click's) labels are fine
    pass


def _version(value: bool) -> None:
    if value:
        print(f"pilotage {pilotage.__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="print the version and exit")] = False) -> None:
    """Pilotage: steer sales performance. CRM data in, sales KPIs out."""
# outside a terminal (pipes, CI logs) rich would fold tables at 80 columns: use a wider page
out = Console(width=shutil.get_terminal_size((160, 40)).columns)
err = Console(stderr=True)

DbOpt = Annotated[str | None, typer.Option("--db", help="DuckDB file or postgresql:// URL "
                                              "(default: $PILOTAGE_DATABASE_URL or ./pilotage.duckdb); "
                                              "read-only: parquet:DIR or spark://local[2]?parquet=DIR")]


class _LazyModule:
    """A module imported on first attribute use: `pilotage --help` and every command's start
    must not pay for pandas, Ibis and DuckDB (about 1 s) when they do not need them."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        import importlib
        return getattr(importlib.import_module(self._name), attr)


service = _LazyModule("pilotage.service")

LangOpt = Annotated[str | None, typer.Option("--lang", help="fr or en (default: the workspace locale)")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="write a file a spreadsheet opens (--format csv: ';' and French headers in "
                           "French; --format xlsx: Excel) instead of printing")]


def _check_output(format: str, output: Path | None) -> None:
    if format == "xlsx" and output is None:
        raise PilotageError("--format xlsx writes a file: add --output FILE.xlsx")
    if output is not None and format not in ("csv", "xlsx"):
        raise PilotageError(f"--output writes csv or xlsx: add --format csv or --format xlsx (not {format})")


def _write_table(output: Path, format: str, columns, rows, lg: str, sheet: str) -> None:
    from pilotage.exports import table_csv, table_xlsx

    if format == "xlsx":
        output.write_bytes(table_xlsx(columns, rows, lang=lg, sheet=sheet))
    else:
        output.write_text(table_csv(columns, rows, lang=lg), encoding="utf-8", newline="")
    err.print(f"written to {output}")


def _open(db: str | None, read_only: bool = False, create: bool = False) -> pilotage.Workspace:
    return pilotage.connect(db, read_only=read_only, create=create)


def _lang(ws_or_none, lang: str | None) -> str:
    if lang:
        if lang not in ("fr", "en"):
            raise PilotageError(f"unknown language {lang!r}: expected fr or en")
        return lang
    return lang_of(ws_or_none.settings.locale) if ws_or_none else "fr"


# --------------------------------------------------------------------------- catalogue
@app.command()
def kpis(lang: LangOpt = "fr",
         format: Annotated[str, typer.Option("--format", help="table, json or yaml")] = "table"):
    """The KPI catalogue: id, label, formula, unit."""
    if format not in ("table", "json", "yaml"):
        raise PilotageError(f"unknown format {format!r}: expected table, json or yaml")
    lang = _lang(None, lang)
    rows = service.catalogue(lang)
    if format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if format == "yaml":
        import yaml

        sys.stdout.write(yaml.safe_dump(rows, allow_unicode=True, sort_keys=False, width=120))
        return
    t = Table("id", "label", "formula", "unit", show_lines=False)
    for r in rows:
        t.add_row(r["id"], r["label"], r["formula"], r["unit"])
    out.print(t)


# --------------------------------------------------------------------------- kpi
@app.command()
def kpi(ids: Annotated[list[str], typer.Argument(help="KPI ids (see `pilotage kpis`)")],
        grain: Annotated[str | None, typer.Option(help="day, week, month, quarter or year")] = None,
        by: Annotated[str | None, typer.Option(help="dimensions, comma-separated: rep,source")] = None,
        from_: Annotated[str | None, typer.Option("--from", help="start date YYYY-MM-DD (included)")] = None,
        to: Annotated[str | None, typer.Option("--to", help="end date YYYY-MM-DD (excluded)")] = None,
        where: Annotated[list[str] | None, typer.Option(help="filter dimension=value (repeatable)")] = None,
        format: Annotated[str, typer.Option("--format", help="table, csv, json or xlsx")] = "table",
        output: OutputOpt = None,
        lang: LangOpt = None, db: DbOpt = None):
    """KPI values over a period, cut by grain and dimensions."""
    if format not in ("table", "csv", "json", "xlsx"):
        raise PilotageError(f"unknown format {format!r}: expected table, csv, json or xlsx")
    _check_output(format, output)
    ws = _open(db, read_only=True)
    filters = service.parse_where(where, "--where")
    df = service.kpi_query(ws, ids, grain=grain, by=by, start=from_, end=to, filters=filters)
    for w in df.attrs.get("warnings", []):
        print(f"warning: {w}", file=sys.stderr)
    if output is not None:
        from pilotage.exports import frame_table

        plain = df.copy()
        plain.attrs = {}
        _write_table(output, format, *frame_table(plain), _lang(ws, lang), "kpi")
        return
    if format == "json":
        print(json.dumps(service.records(df), ensure_ascii=False))
        return
    if format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        recs = service.records(df)
        writer.writerow(df.columns)
        for r in recs:  # a rep or source named "=HYPERLINK(...)" must not run in a spreadsheet
            writer.writerow(["" if v is None else safe_cell(v) for v in r.values()])
        sys.stdout.write(buf.getvalue())
        return
    lg = _lang(ws, lang)
    loc = number_locale(ws, lg)
    cut = df.attrs["cut"]
    t = Table(title=f"{cut.start} → {cut.end}")
    for k in cut.keys:
        t.add_column(k)
    for i in ids:
        t.add_column(BY_ID[i].label[lg], justify="right")
    for r in service.records(df):
        cells = [str(r[k]) if r[k] is not None else "—" for k in cut.keys]
        for i in ids:
            cell = fmt(r[i], BY_ID[i].unit, loc, ws.settings.currency)
            if r.get(f"{i}_denominator") is not None and BY_ID[i].unit != "money" or BY_ID[i].is_rate:
                num, den = r.get(f"{i}_numerator"), r.get(f"{i}_denominator")
                if den is not None and BY_ID[i].is_rate:
                    cell += f" ({num:g}/{den:g})"
            if r.get(f"{i}_small_sample"):
                cell += " ⚠"
            cells.append(cell)
        t.add_row(*cells)
    out.print(t)
    if any(service.records(df)[j].get(f"{i}_small_sample") for j in range(len(df)) for i in ids):
        out.print(f"⚠ {SMALL_SAMPLE[lg]} (< 30)")


# --------------------------------------------------------------------------- explain
@app.command()
def explain(kpi_id: Annotated[str, typer.Argument(help="a KPI id")],
            period: Annotated[str | None, typer.Option(help="2024, 2024-Q1, 2024-03, 2024-03-15 or A..B")] = None,
            from_: Annotated[str | None, typer.Option("--from")] = None,
            to: Annotated[str | None, typer.Option("--to")] = None,
            rep: str | None = None, team: str | None = None, source: str | None = None,
            segment: str | None = None, pipeline: str | None = None,
            where: Annotated[list[str] | None, typer.Option(help="filter dimension=value")] = None,
            limit: int = 50, lang: LangOpt = None, db: DbOpt = None,
            format: Annotated[str, typer.Option("--format", help="table, csv or xlsx (with --output)")] = "table",
            output: OutputOpt = None):
    """The formula and the records behind one figure, to check it by hand."""
    if format not in ("table", "csv", "xlsx"):
        raise PilotageError(f"unknown format {format!r}: expected table, csv or xlsx")
    _check_output(format, output)
    ws = _open(db, read_only=True)
    lg = _lang(ws, lang)
    start, end = service.parse_period(period, ws.settings.fiscal_year_start) if period else (from_, to)
    filters = service.parse_where(where, "--where")
    for dim, v in (("rep", rep), ("team", team), ("source", source), ("segment", segment), ("pipeline", pipeline)):
        if v:
            filters.setdefault(dim, []).append(v)
    ex = service.explain(ws, kpi_id, start=start, end=end, filters=filters, limit=limit)
    if output is not None:
        from pilotage.exports import explain_table

        _write_table(output, format, *explain_table(ex, lg), lg, kpi_id)
        return
    k, cut = ex["kpi"], ex["cut"]
    rec = service.records(ex["result"])[0]
    shown = "; ".join(f"{d} = {', '.join(v)}" for d, v in cut.filters)
    out.print(f"[bold]{k.label[lg]}[/] ({k.id}) — {cut.start} → {cut.end}" + (f"  ({shown})" if shown else ""),
              markup=True, highlight=False)
    symbols = f"   [{k.symbols[lg]}]" if k.symbols else ""
    out.print(f"{'formule' if lg == 'fr' else 'formula'}: {k.formula[lg]}{symbols}")
    loc = number_locale(ws, lg)
    value = fmt(rec[k.id], k.unit, loc, ws.settings.currency)
    if rec.get(f"{k.id}_denominator") is not None:
        value += f"  = {_num(rec[f'{k.id}_numerator'], loc)} / {_num(rec[f'{k.id}_denominator'], loc)}"
    out.print(f"= {value}")
    for s in ex["sections"]:
        out.print(f"\n[bold]{s['role']}[/]: {s['total']} record(s) of {s['fact']}"
                  + (f" with {s['anchor']} in the period" if s["anchor"] else "")
                  + (f" (first {len(s['rows'])})" if s["total"] > len(s["rows"]) else ""))
        t = Table()
        from pilotage.catalogue.facts import FACTS
        shown = FACTS[s["fact"]].show
        cols = [c for c in shown if c in s["rows"].columns] or list(s["rows"].columns)[:8]
        for c in cols:
            t.add_column(c)
        for r in s["rows"][cols].itertuples(index=False):
            t.add_row(*[_cell(v) for v in r])
        out.print(t)


def _num(v, loc: str) -> str:
    """A plain number in the reader's locale: 1 234,5 (fr), 1,234.5 (en), no forced decimals."""
    from babel.numbers import format_decimal

    return format_decimal(round(float(v), 2), "#,##0.##", locale=loc)


def _cell(v) -> str:
    if v is None or v != v:  # None, NaN, NaT
        return ""
    if isinstance(v, dt.datetime) and (v.hour, v.minute, v.second) == (0, 0, 0):
        return v.date().isoformat()
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v)


# --------------------------------------------------------------------------- import
@app.command("import")
def import_(target: Annotated[Path | None, typer.Argument(
                metavar="FILE_OR_DIR",
                help="a canonical CSV folder, or CRM exports: .csv/.tsv/.xlsx/.json, a folder or a .zip")] = None,
            format: Annotated[str | None, typer.Option(
                "--format", help="force the format: hubspot, salesforce, pipedrive, odoo or canonical")] = None,
            mapping: Annotated[Path | None, typer.Option(
                "--mapping", help="a mapping file (YAML) for any other layout, see docs/import.md")] = None,
            show_mapping: Annotated[str | None, typer.Option(
                "--show-mapping", metavar="FORMAT", help="print a format's mapping (YAML) and exit")] = None,
            skip_invalid: Annotated[bool, typer.Option(
                "--skip-invalid", help="land the valid rows, skip (and list) the invalid ones")] = False,
            dry_run: Annotated[bool, typer.Option(
                "--dry-run", help="check and count what would be inserted, updated, rejected; write nothing")] = False,
            errors: Annotated[Path | None, typer.Option(
                "--errors", help="CSV listing every rejected row, or a folder for it "
                         "(default: <input>.errors.csv next to the input)")] = None,
            date_order: Annotated[str | None, typer.Option(
                "--date-order", help="dmy or mdy, for dates like 01/02/2024 a file leaves ambiguous")] = None,
            server: Annotated[str | None, typer.Option(
                help="send the import to a running `pilotage serve` (e.g. http://127.0.0.1:8000)")] = None,
            db: DbOpt = None):
    """Import CRM exports or a canonical folder: everything lands together, or nothing does."""
    from pilotage.importer import mapping as M
    from pilotage.importer import summary
    from pilotage.importer.files import default_errors_path, import_path

    if show_mapping:
        sys.stdout.write(M.show(show_mapping))
        return
    if target is None:
        raise PilotageError("FILE_OR_DIR is required (or --show-mapping FORMAT): "
                            "pilotage import deals.csv, pilotage import exports/, pilotage import crm.zip")
    if format and format != "canonical":
        M.builtin(format)  # an unknown name fails now, with the list of formats
    errors_path = default_errors_path(target, folder=errors) if errors is not None and errors.is_dir() \
        else (errors or default_errors_path(target))
    t0 = time.perf_counter()
    if server:
        params = {"dry_run": dry_run, "skip_invalid": skip_invalid, "format": format, "date_order": date_order}
        try:
            report = summary.send_to_server(target, server, params, mapping)
        except ImportRejected as exc:  # the server's errors, in the error file here, as a local import writes it
            listed = getattr(exc, "errors_detail", None) or []
            _write_errors(errors_path, listed)
            where = ("every error is listed in" if exc.total <= len(listed)
                     else f"the first {len(listed):,} errors (of {exc.total:,}) are listed in")
            exc.args = (f"{exc.args[0]}\n{where} {errors_path}",)
            raise
        if report.errors:
            _write_errors(errors_path, report.errors)
            report.error_file = str(errors_path)
        summary.print_summary(report, time.perf_counter() - t0, out, err)
        return
    if errors_path.exists() and (errors is None or errors.is_dir()):
        errors_path.unlink()  # a stale error file from an earlier run would mislead
    from pilotage.store.database import resolve_url

    url = resolve_url(db)
    if dry_run and not url.startswith(("postgresql://", "postgres://")) and url != ":memory:" \
            and not Path(url.removeprefix("duckdb://")).exists():
        url = ":memory:"  # a dry run into a database that does not exist yet creates no file: all would be new
    ws = _open(url, create=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("import", total=1)

        def tick(step, done, total):
            bar.update(task, description=step, completed=done, total=total)

        try:
            report = import_path(ws, target, format=format, mapping=mapping, skip_invalid=skip_invalid,
                                 dry_run=dry_run, errors_path=errors_path, date_order=date_order, progress=tick)
        except ImportRejected as exc:  # the terminal shows the hints too (--date-order dmy...), not only the file
            exc.args = (summary.rejection_text(exc),)
            raise
    summary.print_summary(report, time.perf_counter() - t0, out, err)


def _write_errors(path: Path, errors: list[dict]) -> None:
    """The error file of an import done by a server (its JSON errors), in the same columns as a local one."""
    from pilotage.exports import safe_row

    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["file", "line", "column", "raw value", "reason", "hint"])
        for e in errors:
            w.writerow(safe_row([e.get("file") or "", e.get("line") or "", e.get("column") or "",
                                 e.get("value") or "", e.get("reason") or "", e.get("hint") or ""]))


def _print_report(report, seconds: float) -> None:
    t = Table(title=("dry run: nothing written" if report.dry_run else f"imported in {seconds:.1f} s"))
    for c in ("file", "rows", "inserted", "updated", "unchanged", "rejected"):
        t.add_column(c, justify="right" if c != "file" else "left")
    for r in report.tables:
        t.add_row(r.source, *(str(getattr(r, c)) for c in ("rows", "inserted", "updated", "unchanged", "rejected")))
    out.print(t)
    for r in report.tables:
        if r.ignored_columns:
            err.print(f"[yellow]note:[/] {r.source}: unknown column(s) ignored: {', '.join(r.ignored_columns)}")


# --------------------------------------------------------------------------- demo
@app.command("demo-data")
def demo_data(out_dir: Annotated[Path, typer.Option("--out", help="folder to write the CSVs to")] = Path("demo-data"),
              seed: int = 42,
              scale: Annotated[str, typer.Option(help="small (≈5k deals), medium (≈100k) or large (≈1M)")] = "small"):
    """Generate the demo data set as a canonical CSV folder."""
    from pilotage.demo import generate

    if scale not in ("small", "medium", "large"):
        raise PilotageError(f"unknown scale {scale!r}: expected small, medium or large")
    t0 = time.perf_counter()
    counts = generate(out_dir, seed=seed, scale=scale)
    out.print(f"demo data ({scale}, seed {seed}) written to {out_dir} in {time.perf_counter() - t0:.1f} s: "
              + ", ".join(f"{k} {v:,}" for k, v in counts.items()))


@app.command()
def dashboard(from_: Annotated[str | None, typer.Option("--from", help="start date YYYY-MM-DD (included)")] = None,
              to: Annotated[str | None, typer.Option("--to", help="end date YYYY-MM-DD (excluded)")] = None,
              period: Annotated[str | None, typer.Option(
                  help="month, last_month, quarter, last_quarter, ytd or 12m (default: 12m, "
                       "the last 12 complete months)")] = None,
              compare: Annotated[str, typer.Option(help="previous (period) or year")] = "previous",
              lang: LangOpt = None, db: DbOpt = None):
    """The focus dashboard: the workspace's ten KPIs, with their change."""
    if compare not in ("previous", "year"):
        raise PilotageError(f"--compare {compare!r}: expected previous (the previous period) "
                            "or year (the same period a year earlier)")
    ws = _open(db, read_only=True)
    _print_dashboard(ws, from_, to, compare, _lang(ws, lang), period)


def number_locale(ws, lg: str) -> str:
    """The workspace locale when it speaks ``lg``, else that language's usual one (en: 1,234.5)."""
    loc = ws.settings.locale
    return loc if lang_of(loc) == lg else {"fr": "fr_FR", "en": "en_US"}[lg]


def _print_dashboard(ws, start, end, compare, lg, preset: str | None = None, today=None) -> None:
    from pilotage import periods as HP

    t0 = time.perf_counter()
    ref = HP.reference(ws, today)
    to_date = None
    if preset and (start or end):
        raise PilotageError("--period cannot be combined with --from/--to")
    if start is None and end is None:
        if preset not in (None, *HP.PRESETS):
            raise PilotageError(f"--period {preset!r}: expected one of {', '.join(HP.PRESETS)}")
        w = HP.preset_window(preset or "12m", ref, ws.settings.fiscal_year_start)
        start, end, to_date = w.start, w.end, w.to_date
    cards = service.focus_cards(ws, start=start, end=end, compare=compare, to_date=to_date, today=today)
    cut = service.query.Cut.make(["revenue"], start=start, end=end)
    ps, pe = service.compare_range(cut.start, cut.end, compare, to_date)
    title = {"fr": "Tableau de bord", "en": "Dashboard"}[lg]
    loc, cur = number_locale(ws, lg), ws.settings.currency
    day = "%d/%m/%Y" if lg == "fr" else "%Y-%m-%d"
    vs = {"fr": "vs", "en": "vs"}[lg] + f" {ps:{day}} → {pe - dt.timedelta(days=1):{day}}"
    if to_date:
        vs = {"fr": "rythme ", "en": "pace "}[lg] + vs
    t = Table(title=f"{title} — {cut.start:{day}} → {cut.end - dt.timedelta(days=1):{day}}"
              + ({"fr": " (en cours)", "en": " (to date)"}[lg] if to_date else ""))
    t.add_column("KPI")
    t.add_column({"fr": "valeur", "en": "value"}[lg], justify="right")
    t.add_column(vs, justify="right")
    for c in cards:
        k = BY_ID[c["id"]]
        change = fmt_change(c["change"], c["change_kind"], loc)
        if c.get("immature"):
            change = {"fr": "immature ◔", "en": "immature ◔"}[lg]
        color = "green" if c["good"] else ("red" if c["good"] is False else "white")
        value = fmt(c["value"], k.unit, loc, cur) + (" ⚠" if c["small_sample"] else "")
        t.add_row(k.label[lg], value, f"[{color}]{change}[/]")
    out.print(t)
    if ref.stale and ref.data_end is not None:
        out.print({"fr": f"Les données s'arrêtent au {ref.data_end:{day}} : la période par défaut se termine "
                         "au dernier mois complet des données.",
                   "en": f"The data ends on {ref.data_end:{day}}: the default period ends at the data's "
                         "last complete month."}[lg])
    unripe = [c for c in cards if c.get("immature")]
    if unripe:
        w = max(c["maturity_days"] for c in unripe)
        out.print({"fr": f"◔ immature : des affaires de cette période sont encore ouvertes (85 % se décident en "
                         f"{w} j) ; la valeur va encore changer, elle n'est pas comparée.",
                   "en": f"◔ immature: deals of this period are still open (85 % are decided within {w} days); "
                         "the figure will still change and is not compared."}[lg])
    out.print(f"⚠ = {SMALL_SAMPLE[lg]} (< 30)   ({time.perf_counter() - t0:.2f} s)")


@app.command()
def demo(scale: Annotated[str, typer.Option(help="small, medium or large")] = "small",
         seed: int = 42, db: DbOpt = "pilotage-demo.duckdb",
         out_dir: Annotated[Path, typer.Option("--out")] = Path("demo-data"),
         lang: LangOpt = None,
         serve_: Annotated[bool, typer.Option("--serve/--no-serve", help="then serve the dashboard")] = True,
         users: Annotated[bool, typer.Option("--users", help="create one demo user per role (admin, manager, "
                                                               "rep) and print their logins")] = False,
         port: int = 8000):
    """Generate the demo data, import it, print the focus dashboard, then serve the web dashboard."""
    from pilotage.demo import generate

    t0 = time.perf_counter()
    target = out_dir / scale
    counts = generate(target, seed=seed, scale=scale)
    t1 = time.perf_counter()
    out.print(f"demo data generated in {t1 - t0:.1f} s ({counts.get('opportunities', 0):,} opportunities)")
    ws = _open(db, create=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as bar:
        task = bar.add_task("import", total=1)
        report = ws.import_folder(target, progress=lambda s, d, t: bar.update(task, description=s,
                                                                               completed=d, total=t))
    t2 = time.perf_counter()
    _print_report(report, t2 - t1)
    _print_dashboard(ws, None, None, "previous", _lang(ws, lang))
    if users:
        from pilotage.commands.users import demo_users

        for email, role, sees, password in demo_users(ws):
            out.print(f"login {email}  password {password}  ({role}: {sees})", highlight=False, soft_wrap=True)
    ws.close()
    if serve_:
        from pilotage.web.server import serve as run_server

        run_server(db, port=port)


@app.command()
def serve(host: Annotated[str, typer.Option(help="address to bind (127.0.0.1: this machine only)")] = "127.0.0.1",
          port: int = 8000,
          workers: Annotated[int, typer.Option(help="server processes (1 on a DuckDB file)")] = 1,
          db: DbOpt = None,
          allowed_host: Annotated[list[str] | None, typer.Option(
              help="a host name the server answers to besides localhost (repeatable; DNS rebinding check)")] = None):
    """Serve the web dashboard and the REST API (/api/v1, OpenAPI at /docs)."""
    from pilotage.web.server import serve as run_server

    run_server(db, host=host, port=port, workers=workers, allowed_hosts=tuple(allowed_host or ()))


@app.command()
def settings(set_: Annotated[list[str] | None, typer.Option("--set", help="key=value")] = None,
             db: DbOpt = None):
    """Show or change the workspace settings (currency, locale, fiscal year start, week start, time zone, focus)."""
    ws = _open(db, create=bool(set_))
    if set_:
        changes = {}
        for s in set_:
            if "=" not in s:
                raise PilotageError(f"--set {s!r}: expected key=value")
            k, v = s.split("=", 1)
            changes[k.strip()] = v.strip()
        ws.set_settings(**changes)
        from pilotage.commands.users import audit_settings

        audit_settings(ws, changes)
    for k, v in ws.settings.to_rows():
        out.print(f"{k} = {v}")


from pilotage.commands.export import export as _export  # noqa: E402 - the export command's own module

app.command("export")(_export)

from pilotage.commands import users as _users  # noqa: E402 - the team server's users and audit log

app.add_typer(_users.app, name="users")
app.command("audit")(_users.audit)

from pilotage.commands.doctor import app as _doctor  # noqa: E402 - a command group of its own module

app.add_typer(_doctor, name="doctor")

from pilotage.commands import challenges as _challenges  # noqa: E402 - sub-commands register after the app exists
from pilotage.commands import goals as _goals  # noqa: E402

app.add_typer(_goals.app, name="goals")
app.add_typer(_challenges.app, name="challenges")

from pilotage.commands import clv as _clv  # noqa: E402  (a typer sub-app; heavy imports inside its functions)

from pilotage.commands import forecast as _forecast  # noqa: E402

app.add_typer(_clv.app, name="clv")
app.add_typer(_forecast.app, name="forecast")
app.command("deals")(_forecast.deals)


def main() -> None:
    try:
        app(standalone_mode=False)
    except PilotageError as exc:
        print(f"error: {exc}", file=sys.stderr)  # plain print: one line, never wrapped
        sys.exit(2)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:
        # usage errors (typer ships its own click: recognise them by their shape)
        if hasattr(exc, "show") and hasattr(exc, "exit_code") and hasattr(exc, "format_message"):
            print(f"error: {exc.format_message()}", file=sys.stderr)
            sys.exit(2)
        raise


if __name__ == "__main__":
    main()
