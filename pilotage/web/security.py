"""Response headers and the Host check, for every request (one pure ASGI middleware).

- The ``Host`` header must name this server (DNS rebinding: a page of another site whose
  name was re-pointed at 127.0.0.1 would otherwise read the dashboard with the visitor's
  browser). Loopback names are allowed by default; others with
  ``pilotage serve --allowed-host NAME`` (or ``PILOTAGE_ALLOWED_HOSTS``, comma-separated).
  A wrong host gets a plain 400 that says what to do.
- Pages get a Content-Security-Policy (scripts only from this server: the charts' data is
  ``application/json``, never run), and every response ``X-Content-Type-Options: nosniff``,
  ``X-Frame-Options: DENY`` (with CSP ``frame-ancestors 'none'``) and
  ``Referrer-Policy: same-origin``.
"""

from __future__ import annotations

import json
import os

LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
# Swagger UI (/docs) starts itself with an inline script
CSP_DOCS = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
COMMON = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
          (b"referrer-policy", b"same-origin")]


def allowed_hosts(extra=()) -> tuple[str, ...]:
    env = [h.strip() for h in os.environ.get("PILOTAGE_ALLOWED_HOSTS", "").split(",") if h.strip()]
    return tuple(dict.fromkeys(h.lower() for h in (*LOOPBACK, *extra, *env)))


def host_name(host: str) -> str:
    """``example.org:8000`` -> ``example.org``; ``[::1]:8000`` -> ``[::1]``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Security:
    def __init__(self, app, hosts=()):
        self.app = app
        self.hosts = allowed_hosts(hosts)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), "")
        if "*" not in self.hosts and host_name(host) not in self.hosts:
            body = json.dumps({"error": "HostNotAllowed", "message": (
                f"this server does not answer to the host name {host[:100]!r}: open it by one of "
                f"{', '.join(self.hosts)}, or start it with `pilotage serve --allowed-host NAME`")}).encode()
            await send({"type": "http.response.start", "status": 400, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *COMMON]})
            await send({"type": "http.response.body", "body": body})
            return
        path = scope["path"]

        async def add_headers(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in dict(COMMON)]
                headers += COMMON
                if not path.startswith(("/api/", "/static/")):
                    headers.append((b"content-security-policy", (CSP_DOCS if path == "/docs" else CSP).encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, add_headers)
