"""An in-process repository for unit tests and benchmarks. Not durable."""

from __future__ import annotations

import threading
from datetime import datetime

from orders_api.domain import Order, OrderPage, OrderStatus, PageCursor, StatusUpdate
from orders_api.domain.order import to_milliseconds
from orders_api.domain.paging import follows, sort_key


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

    def list_by_customer(
        self, customer_id: str, limit: int, after: PageCursor | None = None
    ) -> OrderPage:
        with self._lock:
            mine = [order for order in self._orders.values() if order.customer_id == customer_id]
        return _page(mine, limit, after)

    def list_by_status(
        self,
        status: OrderStatus,
        limit: int,
        after: PageCursor | None = None,
        since: datetime | None = None,
    ) -> OrderPage:
        with self._lock:
            chosen = [
                order
                for order in self._orders.values()
                if order.status == status
                and (since is None or order.created_at >= to_milliseconds(since))
            ]
        return _page(chosen, limit, after)

    def update_status(
        self, order_id: str, expected: OrderStatus, status: OrderStatus, changed_at: datetime
    ) -> StatusUpdate | None:
        with self._lock:
            stored = self._orders.get(order_id)
            if stored is None:
                return None
            if stored.status != expected:
                return StatusUpdate(order_id, stored.status, stored.status_changed_at, False)
            changed_at = to_milliseconds(changed_at)
            self._orders[order_id] = stored.model_copy(
                update={"status": status, "status_changed_at": changed_at}
            )
            return StatusUpdate(order_id, status, changed_at, True)

    def __len__(self) -> int:
        return len(self._orders)


def _page(orders: list[Order], limit: int, after: PageCursor | None) -> OrderPage:
    newest_first = sorted(
        (order for order in orders if follows(order, after)), key=sort_key, reverse=True
    )
    return OrderPage.of(newest_first[: limit + 1], limit)
