"""Use cases: place an order, get one, list the caller's; list across customers and move an
order's status (the business's). No I/O here beyond the repository port."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from orders_api.domain import (
    IDEMPOTENCY_KEY_PATTERN,
    IDEMPOTENCY_KEY_RULE,
    IdempotencyConflict,
    IllegalTransition,
    InvalidRequest,
    NewOrder,
    Order,
    OrderNotFound,
    OrderPage,
    OrderStatus,
    PageCursor,
    StatusUpdate,
)
from orders_api.domain.ids import idempotent_order_id, is_order_id, new_order_id
from orders_api.domain.order import status_required_before, to_milliseconds
from orders_api.domain.paging import page_size, sort_key
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
        if not is_order_id(order_id):
            raise OrderNotFound(order_id)
        order = self._repository.get(order_id)
        if order is None or order.customer_id != customer_id:
            raise OrderNotFound(order_id)
        return order

    def list_orders(
        self, customer_id: str, limit: str | None = None, next_token: str | None = None
    ) -> OrderPage:
        """A page of the customer's own orders, newest first, `limit` (query-string text) at
        most. `next_token` is the token of the previous page; InvalidRequest for a limit out of
        range or a token this API never gave."""
        after = None if next_token is None else PageCursor.from_token(next_token)
        return self._repository.list_by_customer(customer_id, page_size(limit), after)

    def list_orders_by_status(
        self,
        statuses: Iterable[OrderStatus] = tuple(OrderStatus),
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[Order]:
        """Every customer's orders in those statuses, created at or after `since`, newest
        first, at most `limit` (the business's view; one index query per status)."""
        pages = [
            self._repository.list_by_status(status, limit, since=since).orders
            for status in dict.fromkeys(statuses)
        ]
        newest_first = heapq.merge(*pages, key=sort_key, reverse=True)
        return [order for order, _ in zip(newest_first, range(limit), strict=False)]

    def change_status(self, order_id: str, status: OrderStatus) -> StatusUpdate:
        """Move the order to `status` (SHIPPED or CANCELLED, from PLACED).

        Asking again for the status it already has changes nothing (applied=False): a retried
        `ship` is harmless. IllegalTransition for any other move; OrderNotFound for no order.
        """
        if not is_order_id(order_id):
            raise OrderNotFound(order_id)
        expected = status_required_before(order_id, status)
        update = self._repository.update_status(
            order_id, expected, status, to_milliseconds(self._clock())
        )
        if update is None:
            raise OrderNotFound(order_id)
        if not update.applied and update.status != status:
            raise IllegalTransition(order_id, update.status, status)
        return update
