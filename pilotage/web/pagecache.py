"""Rendered pages kept by their request and the data version: a warm page is a copy, not a render.

Measured under load (bench/bench_load.py), a warm page was not waiting on the database
(its figures come from the results cache) but on building its charts and HTML in Python:
about 0.2 s of one core per page, under the interpreter lock, so 50 users queued behind
each other. A page is a function of its URL, the caller's cookies (language, login), the
day (``today`` defaults to it) and the data; with the data version in the key, a stored
page is never served after an import's commit.

Keep this middleware inside any login middleware (added to the app before it), so a
page is only ever served after the visitor's checks. Stored only: ``GET`` of an HTML page,
answered 200, without ``Set-Cookie`` (a response that sets a cookie belongs to one
visitor) nor ``Cache-Control: no-store``.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict

from pilotage.web.cache import stale_served

SKIP = ("/api/", "/static/", "/docs", "/admin", "/login")  # the admin's and login's forms: never kept
MAX_PAGES = 128
MAX_BYTES = 2 << 20  # a page larger than this is not kept
# a page showing figures of the data before an import (see pilotage.web.cache) is served again for this
# long, then rendered anew: its figures are being computed, and rendering it for every visitor would
# take the cores they need
STALE_PAGE_SECONDS = 2.0


class PageCache:
    def __init__(self, app, size: int = MAX_PAGES):
        self.app = app
        self.size = size
        self._pages: OrderedDict[tuple, tuple[int, list, bytes]] = OrderedDict()
        self._lock = threading.Lock()
        self._version = None
        self._stale: dict[tuple, tuple[float, tuple[int, list, bytes]]] = {}  # key -> (until, page)

    def _key(self, scope, version: int, writes: int) -> tuple:
        cookie = b"\n".join(v for k, v in scope.get("headers", []) if k in (b"cookie", b"authorization"))
        return (scope["path"], scope.get("query_string", b""), cookie, dt.date.today(), version, writes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(SKIP) or (
                scope["path"].endswith((".csv", ".json", ".js", ".css", ".png", ".ico"))):
            return await self.app(scope, receive, send)
        import anyio

        from pilotage.web import data

        state = scope["app"].state.pilotage
        version = await anyio.to_thread.run_sync(data.current_version, state)  # another process may have imported
        if version != self._version:
            self.clear()
            self._version = version
        key = self._key(scope, version, state.writes)  # writes: goals, challenges, settings set in the app
        flags = stale_served.get()
        with self._lock:
            hit = self._pages.get(key)
            if hit is not None:
                self._pages.move_to_end(key)
            elif flags is not None and key in self._stale and self._stale[key][0] > time.monotonic():
                hit = self._stale[key][1]  # a page of the previous data, rendered a moment ago: said so again
                flags["stale"] = True
        if hit is not None:
            status, headers, body = hit
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        start: dict = {}
        chunks: list[bytes] = []

        async def keep(message):
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                body = b"".join(chunks) if not message.get("more_body") else b""
                if body and len(body) <= MAX_BYTES and _storable(start) and self._version == version:
                    page = (start["status"], list(start.get("headers", [])), body)
                    with self._lock:
                        if (stale_served.get() or {}).get("stale"):  # figures of the previous data: kept briefly
                            self._stale[key] = (time.monotonic() + STALE_PAGE_SECONDS, page)
                        else:
                            self._pages[key] = page
                            self._stale.pop(key, None)
                            while len(self._pages) > self.size:
                                self._pages.popitem(last=False)
            await send(message)

        await self.app(scope, receive, keep)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._stale.clear()


def _storable(start: dict) -> bool:
    if start.get("status") != 200:
        return False
    headers = {k.lower(): v for k, v in start.get("headers", [])}
    if b"set-cookie" in headers or b"no-store" in headers.get(b"cache-control", b""):
        return False
    return headers.get(b"content-type", b"").startswith(b"text/html")
