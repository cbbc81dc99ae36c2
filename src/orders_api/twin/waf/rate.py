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
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_TRACKED_KEYS = 100_000
"""A bound on memory under address-spraying; the least recently seen keys are dropped first."""


class SlidingWindowCounter:
    """Thread-safe per-key request timestamps over a trailing window of `window` seconds,
    for at most `max_keys` keys."""

    def __init__(
        self,
        limit: int,
        window: float,
        clock: Callable[[], float],
        max_keys: int = MAX_TRACKED_KEYS,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        # In order of each key's latest request: the idle keys come first.
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count one request for `key`; True when the key is now over the limit."""
        now = self._clock()
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                self._make_room(now)
                # Only the newest limit + 1 timestamps decide whether the key is over.
                hits = self._hits[key] = deque(maxlen=self.limit + 1)
            else:
                self._hits.move_to_end(key)
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
            # A key is over when all of its limit + 1 kept timestamps are inside the window.
            return sum(
                1 for hits in self._hits.values() if len(hits) > self.limit and hits[0] > horizon
            )

    def _make_room(self, now: float) -> None:
        """At the bound, drop every idle key, or else the least recently seen one."""
        if len(self._hits) < self._max_keys:
            return
        horizon = now - self.window
        while self._hits and next(iter(self._hits.values()))[-1] <= horizon:
            self._hits.popitem(last=False)
        if len(self._hits) >= self._max_keys:
            self._hits.popitem(last=False)
