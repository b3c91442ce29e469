"""A small results cache for the server: the engine's answers by their parameters.

Thread-safe (requests run in parallel): a lock guards the entries, and one question asked
by several requests at once is computed once, the others waiting for its answer. Keys
carry the data version the answer was computed on (see pilotage.web.data._cached), so the
pages show new data without a restart.

After an import (:meth:`Cache.advance`), the answers of the previous version are kept
aside: a web request asking a question they answered gets that answer at once, and the
request is marked (:data:`stale_served`) so the page says so and the API answer carries
``X-Pilotage-Stale``, while the new answer is computed in the background (one at a time);
the next request gets it. A question never asked before is computed while the request
waits, as always. Measured (bench/bench_load.py, 50 users): without it, an import's commit
sent every user to a dozen cold pages at once and p95 rose from 11 ms to 11 s. A change made
in the app (goals, settings) drops everything (:meth:`Cache.clear`): nothing previous is
shown then. Outside a web request (CLI, Python) a previous answer is never served.
"""

from __future__ import annotations

import contextvars
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


# set per request by the web gate to a dict; ``{"stale": True}`` once an answer of the previous data version
# was served to it. Outside a web request (None) a previous answer is never served.
stale_served: contextvars.ContextVar[dict | None] = contextvars.ContextVar("pilotage_stale", default=None)


class Cache:
    def __init__(self, size: int = 512):
        self.size = size
        # key -> ((name, params but the version, refresh), answer)
        self._data: OrderedDict[str, tuple[tuple, Any]] = OrderedDict()
        self._previous: dict[str, tuple[Any, tuple]] = {}  # key without version -> (previous answer, how)
        self._running: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = self.previous_served = 0
        self.version = -1  # the data version of the answers in it (see advance)
        self._refresher: ThreadPoolExecutor | None = None

    @staticmethod
    def key(name: str, **params) -> str:
        return name + json.dumps(params, sort_keys=True, default=str)

    def get_or_compute(self, name: str, compute: Callable[[], Any], *,
                       refresh: Callable[[int], Any] | None = None, **params) -> Any:
        """The answer to ``name`` with ``params`` (``version`` among them), computed by ``compute()`` once.

        ``refresh(version)``: the same computation on a reader of its own, for a data version (it may run
        after the request has gone). In a web request, when the previous data version answered the same
        question, that answer is returned at once, said so, and ``refresh`` runs in the background."""
        version = params.get("version")
        k = self.key(name, **params)
        rest = {p: v for p, v in params.items() if p != "version"}
        base = self.key(name, **rest)
        flags = stale_served.get()
        while True:
            with self._lock:
                if k in self._data:
                    self._data.move_to_end(k)
                    self.hits += 1
                    return self._data[k][1]
                running = self._running.get(k)
                if flags is not None and base in self._previous and (running or refresh) is not None:
                    flags["stale"] = True  # the previous answer at once, said so; the new one computed meanwhile
                    self.previous_served += 1
                    if running is None:
                        self._refresh(k, (name, rest, refresh), version)
                    return self._previous[base][0]
                if running is None:
                    running = self._running[k] = threading.Event()
                    break
            running.wait(60)  # another request computes it: take its answer (or compute it if it failed)
        return self._store(k, (name, rest, refresh), compute, running)

    def _store(self, k: str, how: tuple, compute: Callable[[], Any], running: threading.Event) -> Any:
        name, rest, _ = how
        base = self.key(name, **rest)
        try:
            value = compute()
            with self._lock:
                self.misses += 1
                self._data[k] = (how, value)
                self._previous.pop(base, None)
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._running.pop(k, None)
            running.set()

    def refresh_previous(self, version: int, seconds: float = 120) -> int:
        """Compute, on ``version``, the new answers of the questions the previous version answered, and wait for
        them (an import, before it answers: whoever imported then sees new figures only); returns how many
        were waited for. They are computed one after the other on the background thread, which leaves the
        other core to the requests; requests meanwhile get the previous answers at once, said so."""
        waits: list[threading.Event] = []
        with self._lock:
            for _, (name, rest, refresh) in list(self._previous.values()):
                k = self.key(name, version=version, **rest)
                if refresh is None or k in self._data:
                    continue
                waits.append(self._running.get(k) or self._refresh(k, (name, rest, refresh), version))
        stop = time.monotonic() + seconds
        for running in waits:
            running.wait(max(0.0, stop - time.monotonic()))
        return len(waits)

    def _refresh(self, k: str, how: tuple, version: int) -> threading.Event:
        """Compute ``k`` (``how``'s refresh, on ``version``) on the one background thread: new answers one
        after the other, leaving the other core to the requests. Called under the lock."""
        if self._refresher is None:
            self._refresher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pilotage-refresh")
        running = self._running[k] = threading.Event()
        self._refresher.submit(self._store, k, how, lambda: how[2](version), running)
        return running

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._previous.clear()

    def advance(self, version: int) -> None:
        """The data is at ``version``: when it moved (an import), the answers computed so far become the
        previous ones (once, however many requests notice it)."""
        with self._lock:
            if version <= self.version:
                return
            if self.version >= 0 and self._data:
                self._previous = {self.key(how[0], **how[1]): (value, how) for how, value in self._data.values()}
            self._data.clear()
            self.version = version
