"""REST API, /api/v1: the catalogue, KPI queries, drill-down, import, settings.

The KPI query takes the CLI's parameters and answers the `pilotage kpi
--format json` shape. Bad parameters get a 4xx JSON error with a message.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from pydantic import BaseModel

from pilotage import service
from pilotage.auth.web import require_admin, user_of
from pilotage.budgets import MAX_OFFSET, MAX_PAGE
from pilotage.catalogue.kpis import BY_ID
from pilotage.errors import PilotageError, UnknownKpi
from pilotage.web import data
from pilotage.web.api_errors import ERRORS
from pilotage.web.state import StateDep

router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)

MAX_UPLOAD = 512 * 1024 * 1024  # bytes, uncompressed
MAX_FILES = 64


@router.get("/kpis", summary="The KPI catalogue")
def kpis(lang: Literal["fr", "en"] = "fr") -> list[dict]:
    return data.catalogue(lang)


@router.get("/kpis/{kpi_id}", summary="One KPI of the catalogue")
def kpi_definition(kpi_id: str, lang: Literal["fr", "en"] = "fr") -> dict:
    if kpi_id not in BY_ID:
        raise UnknownKpi(f"unknown KPI {kpi_id!r}")
    return next(k for k in data.catalogue(lang) if k["id"] == kpi_id)


@router.get("/kpi", summary="KPI values: one object per cut (the `pilotage kpi --format json` shape)")
def kpi(state: StateDep,
        ids: Annotated[str, Query(description="KPI ids, comma-separated")],
        grain: Annotated[Literal["day", "week", "month", "quarter", "year"] | None, Query()] = None,
        by: Annotated[str | None, Query(description="dimensions, comma-separated")] = None,
        from_: Annotated[str | None, Query(alias="from", description="YYYY-MM-DD, included")] = None,
        to: Annotated[str | None, Query(description="YYYY-MM-DD, excluded")] = None,
        where: Annotated[list[str] | None, Query(description="dimension=value, repeatable")] = None) -> list[dict]:
    id_list = [i.strip() for i in ids.split(",") if i.strip()]
    return data.kpi_records(state, id_list, grain=grain, by=by, start=from_, end=to, filters=service.parse_where(where))


@router.get("/focus", summary="The focus KPIs with their change vs the previous period or year")
def focus(state: StateDep, from_: Annotated[str | None, Query(alias="from")] = None, to: str | None = None,
          compare: Literal["previous", "year"] = "previous",
          where: Annotated[list[str] | None, Query()] = None) -> list[dict]:
    return data.focus_cards(state, start=from_, end=to, filters=service.parse_where(where), compare=compare)


@router.get("/explain/{kpi_id}", summary="The formula, the value and the records behind a figure")
def explain(state: StateDep, kpi_id: str, from_: Annotated[str | None, Query(alias="from")] = None,
            to: str | None = None, where: Annotated[list[str] | None, Query()] = None,
            limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
            offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
            lang: Literal["fr", "en"] = "fr") -> dict:
    filters = service.parse_where(where)
    ex = data.explain(state, kpi_id, start=from_, end=to, filters=filters, limit=limit, offset=offset)
    k = ex["kpi"]
    return {
        "kpi": kpi_id, "label": k.label[lang], "formula": k.formula[lang], "symbols": k.symbols.get(lang, ""),
        "from": ex["cut"].start.isoformat(), "to": ex["cut"].end.isoformat(),
        "value": service.records(ex["result"])[0],
        "sections": [{"role": s["role"], "fact": s["fact"], "anchor": s["anchor"], "total": s["total"],
                      "limit": limit, "offset": offset, "records": service.rows_json(s["rows"])}
                     for s in ex["sections"]],
    }


class ImportResult(BaseModel):
    dry_run: bool
    totals: dict[str, int]
    tables: list[dict]
    files: list[dict] = []  # per file: the format and entity detected, its language, notes
    created: dict[str, list[str]] = {}  # reps, accounts... known only by name or e-mail, created
    notes: list[str] = []
    errors_total: int = 0  # rows rejected with skip_invalid (every error, even beyond the list below)
    errors: list[dict] = []  # file, line, column, value, reason, hint (the first 10,000)


UPLOAD_SUFFIXES = (".zip", ".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".json")


@router.post("/import", summary="Import CRM exports (CSV, Excel, JSON) or a canonical CSV folder: files or a zip",
             dependencies=[Depends(require_admin)])
def import_(state: StateDep, request: Request,
            files: Annotated[list[UploadFile], File(description="a .zip, or .csv / .tsv / .xlsx / .json files")],
            mapping: Annotated[UploadFile | None, File(description="a mapping file (YAML), see docs/import.md")] = None,
            dry_run: bool = False,
            format: Annotated[str | None, Query(description="hubspot, salesforce, pipedrive, odoo or canonical "
                                                            "(default: detected from the headers)")] = None,
            skip_invalid: Annotated[bool, Query(description="land the valid rows, list the rejected ones")] = False,
            date_order: Annotated[Literal["dmy", "mdy"] | None, Query(
                description="for dates like 01/02/2024 that a file leaves ambiguous")] = None) -> ImportResult:
    from pilotage.errors import ImportRejected
    from pilotage.importer import readers
    from pilotage.importer.files import import_path

    tmp = Path(tempfile.mkdtemp(prefix="pilotage-upload-"))
    try:
        folder = tmp / "in"
        folder.mkdir()
        total = 0
        for f in files:
            name = Path(f.filename or "").name
            if not name.lower().endswith(UPLOAD_SUFFIXES) or name.startswith("."):
                raise PilotageError(f"{name or 'a file'}: expected a .zip or .csv files "
                                    f"(or .tsv, .txt, .xlsx, .json exports)")
            target = (tmp / name) if name.lower().endswith(".zip") else (folder / name)
            if target.parent == folder and target.exists():  # a second file of that name would replace the first
                raise PilotageError(f"{name}: two files of the upload have that name (or a .zip holds it): "
                                    f"rename one, nothing was imported")
            total += readers.copy_upload(f.file, target, MAX_UPLOAD - total)
            if name.lower().endswith(".zip"):
                try:
                    readers.extract_zip(target, folder, name, limit=MAX_UPLOAD)
                except ImportRejected as exc:
                    raise PilotageError(f"{name}: {exc.errors[0][3]}") from None
        if not any(folder.iterdir()):
            raise PilotageError("no .csv, .xlsx or .json file in the upload")
        mapping_path = None
        if mapping is not None and mapping.filename:
            mapping_path = tmp / "mapping.yaml"
            readers.copy_upload(mapping.file, mapping_path, 1 << 20)
        with state.writing() as ws:
            report = import_path(ws, folder, format=format, mapping=mapping_path, skip_invalid=skip_invalid,
                                 dry_run=dry_run, date_order=date_order)
            data.after_import(state)
        if not dry_run:
            _audit(request, "import", ", ".join(f.filename or "" for f in files)[:500],
                   " ".join(f"{k}={v}" for k, v in report.totals().items()))
        return ImportResult(dry_run=dry_run, totals=report.totals(), tables=[vars(t) for t in report.tables],
                            files=report.files, created=report.created, notes=report.notes,
                            errors_total=report.errors_total, errors=report.errors[:10_000])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@router.get("/settings", summary="The workspace settings")
def get_settings(state: StateDep) -> dict:
    return data.settings(state).model_dump()


@router.get("/dimensions/{dim}", summary="The values a dimension takes (for filters)")
def dimension(state: StateDep, dim: Literal[tuple(service.DIMENSION_SOURCES)]) -> list[dict]:
    return [{"id": i, "label": label} for i, label in data.dimension_values(state, dim)]


@router.get("/health", include_in_schema=False)
def health(state: StateDep, request: Request) -> dict:
    """Open to all (load balancers); the row counts only to an admin or in single-user mode."""
    user = user_of(request)
    if not (request.state.auth_via == "single" or (user is not None and user.role == "admin")):
        return {"ok": True}
    return {"ok": True, "counts": data.row_counts(state)}


def _audit(request: Request, action: str, target: str, detail: str = "") -> None:
    from pilotage.auth.web import client_address

    gate = request.app.state.auth
    user = user_of(request)
    gate.store.audit(user.email if user else None, action, target, detail, client_address(request))
