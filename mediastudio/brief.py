"""A process's brief memory of rows read often and changed rarely (API tokens, model prices).

Each gunicorn worker keeps its own: no round trip at all, and nothing to invalidate across
processes. What it costs is a bound, not a bug: a change made elsewhere (another process, a
queryset update) is seen within `seconds`; the process that makes a change through the models
forgets at once (the owners connect post_save / post_delete to forget). `seconds` = 0 remembers
nothing (the test settings use that, except in the tests of the bound itself).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

# Far above what one process meets in `seconds` (a token or a price row each); a flood of
# distinct keys (guessed tokens are never remembered, but prices are few anyway) cannot grow it.
MAX_ENTRIES = 10_000


class BriefCache(Generic[V]):
    def __init__(self, seconds: Callable[[], float], clock: Callable[[], float] = time.monotonic):
        self._seconds = seconds  # read on every use, so a settings override applies at once
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, V]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V | None]) -> V | None:
        """The remembered value for `key`, or `load()`'s (remembered when not None)."""
        seconds = self._seconds()
        now = self._clock()
        if seconds > 0:
            entry = self._entries.get(key)
            if entry is not None and entry[0] > now:
                return entry[1]
        value = load()
        if seconds > 0 and value is not None:
            with self._lock:
                if len(self._entries) >= MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (now + seconds, value)
        return value

    def forget(self, key: Hashable | None = None) -> None:
        """Forget one key, or everything."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)
