"""The server's secret key (it signs session ids): never built in.

``PILOTAGE_SECRET_KEY`` when set (required when several machines serve one
PostgreSQL database: they must share it). Otherwise generated once and kept
with mode 0600: beside a DuckDB file (``pilotage.duckdb`` -> ``pilotage.duckdb.secret``);
for PostgreSQL in ``$XDG_CONFIG_HOME/pilotage/secret.key`` (``~/.config/pilotage/secret.key``)
of the user running the server, so every worker of one machine reads the same one.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def secret_path(url: str) -> Path:
    if url.startswith(("postgresql://", "postgres://")):
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        return base / "pilotage" / "secret.key"
    path = url.removeprefix("duckdb://")
    if path == ":memory:":
        return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "pilotage" / "secret.key"
    return Path(path).expanduser().resolve().with_name(Path(path).name + ".secret")


def secret_key(url: str) -> str:
    env = os.environ.get("PILOTAGE_SECRET_KEY")
    if env:
        if len(env) < 32:
            from pilotage.errors import PilotageError

            raise PilotageError("PILOTAGE_SECRET_KEY is too short: use at least 32 random characters "
                                "(python -c 'import secrets; print(secrets.token_urlsafe(32))')")
        return env
    path = secret_path(url)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key
