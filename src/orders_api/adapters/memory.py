"""An in-process repository for unit tests and benchmarks. Not durable."""

from __future__ import annotations

import threading

from orders_api.domain import Order


class InMemoryOrderRepository:
    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._lock = threading.Lock()

    def insert(self, order: Order) -> Order | None:
        with self._lock:
            existing = self._orders.get(order.order_id)
            if existing is None:
                self._orders[order.order_id] = order
            return existing

    def get(self, order_id: str) -> Order | None:
        with self._lock:
            return self._orders.get(order_id)

    def __len__(self) -> int:
        return len(self._orders)
