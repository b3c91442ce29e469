"""The server's state (workspace, lock, results cache) and how a route gets it.

A floor below :mod:`pilotage.web.app`: the route modules (api, data, pages)
import it from here, so ``app`` imports them and nothing imports ``app`` back.
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Request

import pilotage
from pilotage.web.cache import Cache


class State:
    """The workspace, its lock (one writer) and the results cache (dropped on every write)."""

    def __init__(self, ws: pilotage.Workspace):
        self.ws = ws
        self.lock = threading.RLock()
        self.cache = Cache()


def get_state(request: Request) -> State:
    return request.app.state.pilotage


StateDep = Annotated[State, Depends(get_state)]
