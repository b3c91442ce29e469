"""The API's error answers, declared in its OpenAPI document: every 4xx/5xx is one JSON shape.

Every router under /api/v1 takes ``responses=ERRORS``, so a client (and schemathesis's
status-code check) knows each status the API may answer, and what it means.
"""

from __future__ import annotations

from pydantic import BaseModel


class ApiError(BaseModel):
    error: str
    message: str
    errors: list[dict] | None = None  # an import's rejected rows: file, line, column, reason, value, hint
    errors_total: int | None = None


_MEANINGS = {
    400: "Bad input: a value the API cannot read (the message says which)",
    401: "Not logged in: send Authorization: Bearer TOKEN",
    403: "Not allowed for this user's role or scope",
    404: "Unknown KPI, dimension, goal or challenge",
    409: "The workspace is busy with an import (one writer at a time): retry",
    413: "Over a budget (KPIs, dimensions, result cells, upload size): the message says how to narrow",
    422: "Invalid parameters, a cut the KPI cannot take, or an import's rejected rows",
    503: "The question ran past the time limit, or every reader stayed busy: narrow it or retry",
}

ERRORS: dict[int | str, dict] = {code: {"model": ApiError, "description": text} for code, text in _MEANINGS.items()}
