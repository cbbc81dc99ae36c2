"""Concurrent order placement over HTTP, recording what each request was told.

A request either got an answer (its status and exact body bytes are kept) or did not (a
timeout, a refused or reset connection): then it is *in doubt*, since the server may or may
not have stored the order before the answer was lost.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field

import httpx

from tests.e2e.reliability.orders import order_body


@dataclass
class Outcomes:
    """Every answer each key got, and the keys that were sent without an answer."""

    answers: dict[str, list[tuple[int, bytes]]] = field(default_factory=lambda: defaultdict(list))
    in_doubt: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answered(self, key: str, response: httpx.Response) -> None:
        with self._lock:
            self.answers[key].append((response.status_code, response.content))
            self.in_doubt.discard(key)

    def unanswered(self, key: str) -> None:
        with self._lock:
            if key not in self.answers:
                self.in_doubt.add(key)

    def acknowledged(self) -> dict[str, bytes]:
        """Each key whose order the API confirmed (201, or 200 for a replay), with its body."""
        with self._lock:
            return {
                key: next(body for status, body in answers if status in (200, 201))
                for key, answers in self.answers.items()
                if any(status in (200, 201) for status, _ in answers)
            }

    def statuses(self) -> set[int]:
        with self._lock:
            return {status for answers in self.answers.values() for status, _ in answers}


def place(
    client: httpx.Client, key: str, outcomes: Outcomes, timeout: float | None = None
) -> httpx.Response | None:
    """POST the key's order with its Idempotency-Key; None when no answer came back."""
    try:
        response = client.post(
            "orders",
            json=order_body(key),
            headers={"Idempotency-Key": key},
            timeout=timeout if timeout is not None else client.timeout,
        )
    except httpx.TransportError:
        outcomes.unanswered(key)
        return None
    outcomes.answered(key, response)
    return response
