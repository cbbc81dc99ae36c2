"""The storage port: exactly the operations the use cases need."""

from __future__ import annotations

from typing import Protocol

from orders_api.domain.order import Order


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
