"""Rate-based counting: requests per aggregation key over a trailing window.

AWS WAF counts every request the rule evaluates (rate-limited ones included) and applies
the rule's action while a key's count over the window is above the limit. AWS checks the
counts periodically, so it lets some requests over the limit through and keeps blocking for
a while after the rate drops (it can lag by a minute or more). Locally the check is exact
and immediate: request `limit + 1` within any window is refused, and the key is released
as soon as its count over the trailing window is back at the limit. Local is stricter.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

MAX_TRACKED_KEYS = 100_000
"""A bound on memory under address-spraying; the least recently seen keys are dropped first."""


class SlidingWindowCounter:
    """Thread-safe per-key request timestamps over a trailing window of `window` seconds."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count one request for `key`; True when the key is now over the limit."""
        now = self._clock()
        with self._lock:
            hits = self._hits.pop(key, None)
            if hits is None:
                # Only the newest limit + 1 timestamps decide whether the key is over.
                hits = deque(maxlen=self.limit + 1)
                if len(self._hits) >= MAX_TRACKED_KEYS:
                    self._evict(now)
            self._hits[key] = hits  # re-inserted: the dict keeps keys in recency order
            hits.append(now)
            horizon = now - self.window
            while hits and hits[0] <= horizon:
                hits.popleft()
            return len(hits) > self.limit

    def count(self, key: str) -> int:
        """Requests from `key` within the trailing window (at most limit + 1)."""
        horizon = self._clock() - self.window
        with self._lock:
            return sum(1 for stamp in self._hits.get(key, ()) if stamp > horizon)

    def limited_keys(self) -> int:
        """How many keys are over the limit right now."""
        horizon = self._clock() - self.window
        with self._lock:
            return sum(
                1
                for hits in self._hits.values()
                if sum(1 for stamp in hits if stamp > horizon) > self.limit
            )

    def _evict(self, now: float) -> None:
        horizon = now - self.window
        idle = [key for key, hits in self._hits.items() if not hits or hits[-1] <= horizon]
        for key in idle:
            del self._hits[key]
        while len(self._hits) >= MAX_TRACKED_KEYS:
            del self._hits[next(iter(self._hits))]
