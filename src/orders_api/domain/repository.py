"""The storage port: exactly the operations the use cases need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from orders_api.domain.order import Order, OrderStatus
from orders_api.domain.paging import OrderPage, PageCursor


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """An order's status as stored after an update, and whether this call changed it."""

    order_id: str
    status: OrderStatus
    status_changed_at: datetime | None
    applied: bool


class OrderRepository(Protocol):
    def insert(self, order: Order) -> Order | None:
        """Store the order unless one with its id exists.

        Returns None when this call stored it, or the order already stored under that id
        (left unchanged). Raises StorageUnavailable when storage cannot answer now.
        """
        ...

    def get(self, order_id: str) -> Order | None:
        """The order with that id, whoever owns it, or None."""
        ...

    def list_by_customer(
        self, customer_id: str, limit: int, after: PageCursor | None = None
    ) -> OrderPage:
        """The customer's orders, newest first, at most `limit`, starting after the cursor."""
        ...

    def list_by_status(
        self,
        status: OrderStatus,
        limit: int,
        after: PageCursor | None = None,
        since: datetime | None = None,
    ) -> OrderPage:
        """Every customer's orders in that status, newest first, created at or after `since`,
        at most `limit`, starting after the cursor. Never a scan of all orders."""
        ...

    def update_status(
        self, order_id: str, expected: OrderStatus, status: OrderStatus, changed_at: datetime
    ) -> StatusUpdate | None:
        """Write the status and statusChangedAt, and nothing else, if and only if the stored
        order is in the `expected` status, in one atomic step.

        Returns applied=True when this call wrote them; applied=False with the stored status
        (unchanged) when it was not `expected`; None when no order has that id.
        """
        ...
