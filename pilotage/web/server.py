"""Serving the app with uvicorn, with the one-writer rule of DuckDB enforced."""

from __future__ import annotations

import threading

from pilotage.errors import PilotageError
from pilotage.store.database import resolve_url


def serve(url: str | None = None, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          log_level: str = "warning", allowed_hosts: tuple[str, ...] = ()) -> None:
    import uvicorn

    import pilotage
    from pilotage.web.app import create_app

    url = resolve_url(url)
    if workers > 1 and not url.startswith(("postgresql://", "postgres://")):
        raise PilotageError(
            f"{workers} workers on the DuckDB file {url}: DuckDB allows one writing process, so the "
            "server runs one worker on it")
    import socket

    with socket.socket() as probe:  # say it plainly when the port is taken, before opening anything
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PilotageError(
                f"cannot listen on {host}:{port}: {exc.strerror} (another server? try --port)") from None
    ws = pilotage.connect(url, create=True)
    mode = check_access(ws, host)
    from pilotage.auth.secret import secret_key

    secret_key(url)  # made once here, before any worker starts, so they all share it
    print(f"Pilotage: http://{host}:{port}  (database {url}; {mode}; stop with Ctrl+C)", flush=True)
    if host not in ("0.0.0.0", "::", ""):  # the address it was bound to is a name it answers to
        allowed_hosts = (*allowed_hosts, host)
    if workers > 1:  # PostgreSQL: sessions, throttling and the cache's data version live in the database
        ws.close()
        import os

        os.environ["PILOTAGE_DATABASE_URL"] = url
        os.environ["PILOTAGE_ALLOWED_HOSTS"] = ",".join(allowed_hosts)  # the workers' host check
        # a worker answers the supervisor's health check only once its app is built (pandas, ibis,
        # the database): allow a slow start on a busy machine instead of restarting it in a loop
        uvicorn.run("pilotage.web.server:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, timeout_worker_healthcheck=120)
        return
    app = create_app(ws=ws, allowed_hosts=allowed_hosts)
    threading.Thread(target=_warm_up, args=(app,), daemon=True).start()
    uvicorn.run(app, host=host, port=port, log_level=log_level)


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_access(ws, host: str) -> str:
    """Safe by default: with no user, single-user on this machine only; elsewhere an admin must exist."""
    from pilotage.auth.store import AuthStore

    store = AuthStore(ws.db)
    if store.has_admin():
        return "team server: log in at /login"
    if host not in LOOPBACK:
        ws.close()
        raise PilotageError(
            f"refusing to listen on {host}: no admin user yet, so anyone reaching it could read and replace the "
            "data. Add one first (pilotage users add EMAIL --role admin), or serve on 127.0.0.1")
    if store.has_users():
        return "users exist but no admin: log in at /login (this machine only)"
    return "single-user mode, no login: this machine only (add users with `pilotage users add`)"


def app_from_env():
    """One worker's app (uvicorn --workers imports this by name in each process)."""
    import os

    from pilotage.web.app import create_app

    hosts = tuple(h for h in os.environ.get("PILOTAGE_ALLOWED_HOSTS", "").split(",") if h)
    return create_app(resolve_url(None), allowed_hosts=hosts)


def _warm_up(app) -> None:
    """Build the facts and the overview's figures while the first visitor opens the page."""
    from pilotage.web import data

    try:
        data.focus_cards(app.state.pilotage)
    except Exception:  # noqa: BLE001 - an empty or partial database: the pages will say what is missing
        pass
