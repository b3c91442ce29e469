"""The dashboard pages (server-rendered, Jinja2). Placeholder until the pages land."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><title>Pilotage</title><p role=alert>{message}</p>", status_code=status)
