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
    if workers > 1:
        raise PilotageError(
            "several workers in one `pilotage serve` are not supported yet: on PostgreSQL, run several "
            "`pilotage serve --port N` behind a proxy (one worker each)")
    import socket

    with socket.socket() as probe:  # say it plainly when the port is taken, before opening anything
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PilotageError(
                f"cannot listen on {host}:{port}: {exc.strerror} (another server? try --port)") from None
    ws = pilotage.connect(url, create=True)
    if host not in ("0.0.0.0", "::", ""):  # the address it was bound to is a name it answers to
        allowed_hosts = (*allowed_hosts, host)
    app = create_app(ws=ws, allowed_hosts=allowed_hosts)
    threading.Thread(target=_warm_up, args=(app,), daemon=True).start()
    print(f"Pilotage: http://{host}:{port}  (database {url}; stop with Ctrl+C)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)


def _warm_up(app) -> None:
    """Build the facts and the overview's figures while the first visitor opens the page."""
    from pilotage.web import data

    try:
        data.focus_cards(app.state.pilotage)
    except Exception:  # noqa: BLE001 - an empty or partial database: the pages will say what is missing
        pass
