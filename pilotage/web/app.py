"""The web application: REST API under /api/v1 and the dashboard pages, over one workspace.

With the embedded DuckDB the server is the one process writing the file, so
imports while it runs go through it (``POST /api/v1/import`` or
``pilotage import DIR --server URL``); several workers on one DuckDB file are
refused (see :func:`pilotage.web.server.serve`).
"""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

import pilotage
from pilotage.errors import DatabaseLocked, ImportRejected, InvalidCut, PilotageError, UnknownKpi
from pilotage.web import api, api_forecast, api_goals, assets, pages
from pilotage.web.state import State, StateDep, get_state

__all__ = ["State", "StateDep", "create_app", "get_state"]  # State and StateDep live in web/state.py

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = assets.FILES["plotly.js"]  # the partial bundle; pages load it from its hashed /assets/ address


def create_app(url: str | None = None, ws: pilotage.Workspace | None = None,
               allowed_hosts: tuple[str, ...] = ()) -> FastAPI:
    """``allowed_hosts``: host names answered besides the loopback ones (see pilotage.web.security)."""
    ws = ws or pilotage.connect(url, create=True)
    app = FastAPI(title="Pilotage", version=pilotage.__version__,
                  description="Sales KPIs over your CRM data: the catalogue, KPI queries, drill-down, import.",
                  docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json")
    app.state.pilotage = State(ws)
    from pilotage.auth.web import install as install_auth
    from pilotage.web.pagecache import PageCache
    from pilotage.web.security import Security

    # Starlette runs the last added outermost: the host check, then the login gate, then the page
    # cache, so a stored page is only served to a caller the gate has let in (and keyed by their
    # cookies and Authorization header)
    app.add_middleware(PageCache)
    install_auth(app, ws, ws.db.url)  # sessions, tokens, CSRF, the request's user (pilotage/auth/web.py)
    app.add_middleware(Security, hosts=allowed_hosts)

    @app.exception_handler(PilotageError)
    async def _pilotage_error(request: Request, exc: PilotageError):
        status = getattr(exc, "http_status", None) or (
            404 if isinstance(exc, UnknownKpi) else 409 if isinstance(exc, DatabaseLocked) else
            422 if isinstance(exc, (InvalidCut, ImportRejected)) else 400)
        body = {"error": type(exc).__name__, "message": str(exc)}
        if isinstance(exc, ImportRejected):
            from pilotage.importer.summary import error_details

            body["errors"] = [{"file": f, "line": ln, "column": c, "reason": r, "value": d.get("value"),
                               "hint": d.get("hint")}
                              for (f, ln, c, r), d in zip(exc.errors, error_details(exc, None), strict=True)]
            body["errors_total"] = exc.total
        if request.url.path.startswith("/api/"):
            return JSONResponse(body, status_code=status)
        return pages.error_page(request, status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        msgs = [f"{'.'.join(str(x) for x in e['loc'][1:])}: {e['msg']}" for e in exc.errors()]
        return JSONResponse({"error": "InvalidParameters", "message": "; ".join(msgs)}, status_code=422)

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js():
        return FileResponse(PLOTLY_JS, media_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/docs", include_in_schema=False)
    def docs():
        """Swagger UI from the installed swagger-ui-bundle package: no CDN, works offline."""
        return get_swagger_ui_html(openapi_url=app.openapi_url, title="Pilotage API",
                                   swagger_js_url="/static/swagger/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger/swagger-ui.css",
                                   swagger_favicon_url="/static/swagger/favicon-32x32.png")

    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    app.include_router(api.router)
    app.include_router(api_goals.router)  # goals and challenges
    app.include_router(api_forecast.router)
    app.include_router(assets.router)
    app.include_router(pages.router)
    return app
