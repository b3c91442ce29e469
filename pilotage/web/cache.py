"""A small results cache for the server: the engine's answers by their parameters.

Dropped whole on every write (import, settings), so the pages show new data
without a restart and never a stale figure.
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
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    @staticmethod
    def key(name: str, **params) -> str:
        return name + json.dumps(params, sort_keys=True, default=str)

    def get_or_compute(self, name: str, compute: Callable[[], Any], **params) -> Any:
        k = self.key(name, **params)
        with self._lock:
            if k in self._data:
                self._data.move_to_end(k)
                self.hits += 1
                return self._data[k]
        value = compute()
        with self._lock:
            self.misses += 1
            self._data[k] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
