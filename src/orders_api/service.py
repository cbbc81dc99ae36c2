"""Use cases: place an order, get an order. No I/O here beyond the repository port."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from orders_api.domain import (
    IDEMPOTENCY_KEY_PATTERN,
    IDEMPOTENCY_KEY_RULE,
    IdempotencyConflict,
    InvalidRequest,
    NewOrder,
    Order,
    OrderNotFound,
)
from orders_api.domain.ids import idempotent_order_id, new_order_id
from orders_api.domain.repository import OrderRepository


@dataclass(frozen=True, slots=True)
class Placement:
    """The order, and whether this call created it (False for an idempotent replay)."""

    order: Order
    created: bool


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OrderService:
    def __init__(
        self,
        repository: OrderRepository,
        clock: Callable[[], datetime] = _utc_now,
        new_id: Callable[[], str] = new_order_id,
    ) -> None:
        self._repository = repository
        self._clock = clock
        self._new_id = new_id

    def place_order(
        self, customer_id: str, new_order: NewOrder, idempotency_key: str | None = None
    ) -> Placement:
        """Store a new order for the customer.

        With an idempotency key the id is derived from (customer, key): a retry with the same
        body returns the first order with created=False; the same key with another body raises
        IdempotencyConflict. Without a key every call creates a new order.
        """
        if idempotency_key is None:
            order_id = self._new_id()
        else:
            if not IDEMPOTENCY_KEY_PATTERN.fullmatch(idempotency_key):
                raise InvalidRequest("Idempotency-Key", IDEMPOTENCY_KEY_RULE)
            order_id = idempotent_order_id(customer_id, idempotency_key)
        order = Order.place(order_id, customer_id, new_order, self._clock())
        existing = self._repository.insert(order)
        if existing is None:
            return Placement(order, created=True)
        if idempotency_key is None:
            if existing == order:
                # A random id, and equal to the millisecond: storage retried this very write
                # after losing the reply to its first attempt, which had stored it.
                return Placement(order, created=True)
            raise RuntimeError("order id collision")  # astronomically rare, never silent
        if (
            existing.customer_id != customer_id
            or existing.request_fingerprint != order.request_fingerprint
        ):
            raise IdempotencyConflict(idempotency_key)
        return Placement(existing, created=False)

    def get_order(self, customer_id: str, order_id: str) -> Order:
        """The customer's order; OrderNotFound also when it belongs to someone else."""
        if not _is_uuid(order_id):
            raise OrderNotFound(order_id)
        order = self._repository.get(order_id)
        if order is None or order.customer_id != customer_id:
            raise OrderNotFound(order_id)
        return order


def _is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
