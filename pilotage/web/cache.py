"""A small results cache for the server: the engine's answers by their parameters.

Thread-safe (requests run in parallel): a lock guards the entries, and one question asked
by several requests at once is computed once, the others waiting for its answer. Keys
carry the data version the answer was computed on (see pilotage.web.data._cached), and the
whole cache is dropped on every write, so the pages show new data without a restart and
never a stale figure.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any


class Cache:
    def __init__(self, size: int = 512):
        self.size = size
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._running: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key(name: str, **params) -> str:
        return name + json.dumps(params, sort_keys=True, default=str)

    def get_or_compute(self, name: str, compute: Callable[[], Any], **params) -> Any:
        k = self.key(name, **params)
        while True:
            with self._lock:
                if k in self._data:
                    self._data.move_to_end(k)
                    self.hits += 1
                    return self._data[k]
                running = self._running.get(k)
                if running is None:
                    running = self._running[k] = threading.Event()
                    break
            running.wait(60)  # another request computes it: take its answer (or compute it if it failed)
        try:
            value = compute()
            with self._lock:
                self.misses += 1
                self._data[k] = value
                while len(self._data) > self.size:
                    self._data.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._running.pop(k, None)
            running.set()

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
