"""The order model and its rules. Imports nothing outside the standard library and pydantic."""

from orders_api.domain.errors import (
    IdempotencyConflict,
    InvalidRequest,
    OrderNotFound,
    OrdersError,
    StorageError,
    StorageUnavailable,
    Unauthenticated,
)
from orders_api.domain.order import (
    IDEMPOTENCY_KEY_PATTERN,
    IDEMPOTENCY_KEY_RULE,
    Address,
    LineItem,
    NewOrder,
    Order,
    OrderStatus,
)
from orders_api.domain.repository import OrderRepository

__all__ = [
    "IDEMPOTENCY_KEY_PATTERN",
    "IDEMPOTENCY_KEY_RULE",
    "Address",
    "IdempotencyConflict",
    "InvalidRequest",
    "LineItem",
    "NewOrder",
    "Order",
    "OrderNotFound",
    "OrderRepository",
    "OrderStatus",
    "OrdersError",
    "StorageError",
    "StorageUnavailable",
    "Unauthenticated",
]
