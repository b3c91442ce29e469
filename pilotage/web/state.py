"""The server's state (workspace, readers, the writer's lock, results cache) and how a route gets it.

A floor below :mod:`pilotage.web.app`: the route modules (api, data, pages)
import it from here, so ``app`` imports them and nothing imports ``app`` back.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request

import pilotage
from pilotage.errors import DatabaseLocked
from pilotage.web.cache import Cache


class State:
    """The workspace (its connection is the writer's), the readers, the one-writer lock and the results cache.

    Reads run in parallel, each on a reader of :attr:`pool` (see pilotage.store.pool); an
    import holds :attr:`lock` (a second one is refused with 409, see :meth:`writing`) and never
    blocks the readers, which see the old data until its commit.
    """

    def __init__(self, ws: pilotage.Workspace):
        from pilotage.store.pool import ReaderPool

        self.ws = ws
        self.lock = threading.RLock()  # the writer's: imports and settings changes, one at a time
        self.cache = Cache()
        self.writes = 0  # changes made in the app (goals, challenges, settings): the page cache keys on it
        self.pool = ReaderPool(ws)
        weakref.finalize(self, self.pool.close)

    def reader(self):
        """``with state.reader() as (ws, version):`` a reading workspace on one snapshot."""
        return self.pool.reader()

    @contextmanager
    def writing(self):
        """The one-writer rule: a second import while one runs is refused (409), not queued."""
        if not self.lock.acquire(blocking=False):
            raise DatabaseLocked("an import is already running on this server: try again when it has ended")
        try:
            yield self.ws
        finally:
            self.lock.release()


def get_state(request: Request) -> State:
    return request.app.state.pilotage


StateDep = Annotated[State, Depends(get_state)]
