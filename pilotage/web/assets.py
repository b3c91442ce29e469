"""Static files under a content-hashed address, cached by the browser for good.

``/assets/plotly.3f2a9c1e0b7d.js`` changes whenever the file does, so it can be
served with ``Cache-Control: immutable`` for a year: a browser downloads and
parses-from-scratch the chart library once, not on every page. The chart
library is plotly.js's partial "finance" bundle (npm ``plotly.js-finance-dist-min``,
MIT, vendored in ``static/``): bar, scatter, histogram and funnel are every trace
the pages draw, in 1.3 MB instead of the full bundle's 4.8 MB.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

STATIC = Path(__file__).parent / "static"
FILES = {
    "plotly.js": STATIC / "plotly-finance.min.js",
    "pilotage.js": STATIC / "pilotage.js",
    "pilotage.css": STATIC / "pilotage.css",
}
MEDIA = {".js": "application/javascript", ".css": "text/css"}
IMMUTABLE = "public, max-age=31536000, immutable"

router = APIRouter(include_in_schema=False)


@functools.cache
def digest(name: str) -> str:
    return hashlib.sha256(FILES[name].read_bytes()).hexdigest()[:12]


def url(name: str) -> str:
    """The address of a static file, with its content hash: ``asset('pilotage.js')`` in templates."""
    stem, ext = name.rsplit(".", 1)
    return f"/assets/{stem}.{digest(name)}.{ext}"


@router.get("/assets/{file}")
def asset(file: str):
    parts = file.split(".")
    if len(parts) == 3:
        name = f"{parts[0]}.{parts[2]}"
        if name in FILES and parts[1] == digest(name):
            return FileResponse(FILES[name], media_type=MEDIA["." + parts[2]], headers={"Cache-Control": IMMUTABLE})
    return Response("not found", status_code=404, media_type="text/plain")
