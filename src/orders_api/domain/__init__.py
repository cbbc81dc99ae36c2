"""The order model and its rules. Imports nothing outside the standard library and pydantic."""

from orders_api.domain.errors import (
    IdempotencyConflict,
    IllegalTransition,
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
from orders_api.domain.paging import OrderPage, PageCursor
from orders_api.domain.repository import OrderRepository, StatusUpdate

__all__ = [
    "IDEMPOTENCY_KEY_PATTERN",
    "IDEMPOTENCY_KEY_RULE",
    "Address",
    "IdempotencyConflict",
    "IllegalTransition",
    "InvalidRequest",
    "LineItem",
    "NewOrder",
    "Order",
    "OrderNotFound",
    "OrderPage",
    "OrderRepository",
    "OrderStatus",
    "OrdersError",
    "PageCursor",
    "StatusUpdate",
    "StorageError",
    "StorageUnavailable",
    "Unauthenticated",
]
