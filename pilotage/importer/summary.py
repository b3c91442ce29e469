"""What `pilotage import` prints, and how it hands files to a running server (used by pilotage/cli.py)."""

from __future__ import annotations

import time
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from pilotage.errors import ImportRejected, PilotageError
from pilotage.importer.canonical import ImportReport, TableReport
from pilotage.importer.readers import DATA_SUFFIXES

COUNTS = ("rows", "inserted", "updated", "unchanged", "rejected")
SHOW_CREATED = 8
SHOWN_ERRORS = 20  # the errors an ImportRejected message lists (its limit)


def rejection_text(exc: ImportRejected) -> str:
    """The message of a rejected import with each listed error's hint on the line after it, indented; a hint
    shared by many errors (10,000 amounts that are not numbers) is shown once, after the first of them."""
    text = str(exc)
    hints = error_hints(exc)
    if not any(hints):
        return text
    lines = text.split("\n")
    out, i, seen = [lines[0]], 1, set()
    for (f, _line, col, reason), hint in zip(exc.errors[:SHOWN_ERRORS], hints, strict=True):
        n = 1 + f"{f}{col or ''}{reason}".count("\n")  # the lines of that error (a reason may hold a line break)
        out += lines[i:i + n]
        i += n
        if hint and hint not in seen:
            seen.add(hint)
            out.append(f"  hint: {hint}")
    return "\n".join(out + lines[i:])


def error_details(exc: ImportRejected, limit: int | None = SHOWN_ERRORS) -> list[dict]:
    """Each listed error's detail (file, line, column, value, reason, hint), found in ``errors_detail`` by its
    file, line, column and reason (the listed reason may end with the raw value: "not a number ('abc')");
    ``{}`` for an error without one."""
    detail: dict[tuple, list[dict]] = {}
    for d in getattr(exc, "errors_detail", None) or []:
        detail.setdefault((d.get("file"), d.get("line")), []).append(d)
    out = []
    for f, line, col, reason in exc.errors[:limit]:
        out.append(next((d for d in detail.get((f, line), [])
                         if (d.get("column") == col or (not d.get("column") and col in (None, "row", "header")))
                         and str(reason).startswith(str(d.get("reason")))), {}))
    return out


def error_hints(exc: ImportRejected, limit: int | None = SHOWN_ERRORS) -> list[str | None]:
    """The hint of each listed error (see :func:`error_details`)."""
    return [d.get("hint") for d in error_details(exc, limit)]


def print_summary(report: ImportReport, seconds: float, out: Console, err: Console) -> None:
    """The table of files and counts, then what the user must know: notes, creations, rejections."""
    title = ("dry run: nothing written" if report.dry_run else f"imported in {seconds:.1f} s")
    for f in report.files:
        if f.get("format") != "canonical":
            out.print(f"{f['source']}: {f['format']} {f['entity']}"
                      + (" (French headers)" if f.get("language") == "fr" else ""), highlight=False)
    widths = [max([4] + [len(r.source) for r in report.tables]), max([5] + [len(r.table) for r in report.tables])]
    widths += [max([len(c)] + [len(str(getattr(r, c))) for r in report.tables]) for c in COUNTS]
    if sum(widths) + 3 * len(widths) <= out.width:
        t = Table(title=title, box=box.SIMPLE_HEAD)
        t.add_column("file", no_wrap=True)
        t.add_column("table", no_wrap=True)
        for c in COUNTS:
            t.add_column(c, justify="right", no_wrap=True)
        for r in report.tables:
            t.add_row(r.source, r.table, *(str(getattr(r, c)) for c in COUNTS))
        out.print(t)
    else:  # a narrow terminal: one line per table rather than cut numbers
        out.print(title, highlight=False)
        for r in report.tables:
            out.print(f"{r.source} -> {r.table}: " + ", ".join(f"{getattr(r, c)} {c}" for c in COUNTS),
                      highlight=False, soft_wrap=True)
    for f in report.files:
        for n in f.get("notes") or []:
            err.print(f"[yellow]note:[/] {f['source']}: {n}", highlight=False, soft_wrap=True)
    for r in report.tables:
        if r.ignored_columns:
            err.print(f"[yellow]note:[/] {r.source}: unknown column(s) ignored: {', '.join(r.ignored_columns)}",
                      highlight=False, soft_wrap=True)
    for n in report.notes:
        err.print(f"[yellow]note:[/] {n}", highlight=False, soft_wrap=True)
    for table, names in report.created.items():
        shown = ", ".join(names[:SHOW_CREATED]) + (f" … and {len(names) - SHOW_CREATED} more"
                                                    if len(names) > SHOW_CREATED else "")
        verb = "would be created" if report.dry_run else "created"
        out.print(f"{len(names)} {table} known only by name, e-mail or id {verb}: {shown}",
                  highlight=False, soft_wrap=True)
    rejected = sum(r.rejected for r in report.tables)
    if rejected:
        done = "would be rejected and skipped" if report.dry_run else "rejected and skipped"
        out.print(f"[bold yellow]{rejected} row(s) {done}[/] (--skip-invalid)"
                  + (f"; every error is listed in {report.error_file}" if report.error_file else ""),
                  highlight=False, soft_wrap=True)
    elif report.error_file:
        out.print(f"errors listed in {report.error_file}", highlight=False, soft_wrap=True)


def send_to_server(target: Path, server: str, params: dict, mapping: Path | None) -> ImportReport:
    """POST the files to a running `pilotage serve` (it holds the DuckDB file); returns its report."""
    import httpx

    target = Path(target)
    if target.is_dir():
        files = sorted(p for p in target.iterdir()
                       if p.is_file() and p.suffix.lower() in DATA_SUFFIXES | {".zip"} and not p.name.startswith("."))
    else:
        files = [target]
    if not files:
        raise PilotageError(f"{target}: no file to import")
    handles = [("files", (f.name, open(f, "rb"), "application/octet-stream")) for f in files]
    if mapping:
        handles.append(("mapping", (mapping.name, open(mapping, "rb"), "application/yaml")))
    import os

    # the server's CSRF check wants this header; a team server wants an admin's --write token
    headers = {"X-Pilotage-CSRF": "1"}
    if os.environ.get("PILOTAGE_TOKEN"):
        headers["Authorization"] = "Bearer " + os.environ["PILOTAGE_TOKEN"]
    try:
        r = httpx.post(server.rstrip("/") + "/api/v1/import", files=handles, headers=headers,
                       params={k: v for k, v in params.items() if v not in (None, False)}, timeout=3600)
    except httpx.HTTPError as exc:
        raise PilotageError(f"cannot reach the server at {server}: {exc}") from None
    finally:
        for _, (_, fh, _) in handles:
            fh.close()
    body = r.json()
    if r.status_code != 200:
        if body.get("error") == "ImportRejected" and body.get("errors"):  # the same message, with its hints
            errs = body["errors"]
            exc = ImportRejected([(e["file"], e["line"], e["column"], e["reason"]) for e in errs],
                                 total=body.get("errors_total"))
            exc.args = (body.get("message") or str(exc),)
            exc.errors_detail = errs
            exc.args = (rejection_text(exc),)
            raise exc
        raise PilotageError(body.get("message", r.text))
    report = ImportReport([TableReport(**t) for t in body["tables"]], body["dry_run"])
    report.files = body.get("files") or []
    report.created = body.get("created") or {}
    report.notes = body.get("notes") or []
    report.errors = body.get("errors") or []
    return report


def timer() -> float:
    return time.perf_counter()
