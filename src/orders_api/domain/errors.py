"""The errors the use cases raise. Each maps to exactly one HTTP status, in one place (handler)."""

from __future__ import annotations


class OrdersError(Exception):
    """Base of every error the domain, the service or a repository raises on purpose."""


class InvalidRequest(OrdersError):
    """The request is malformed in a way the body model cannot express (a header, say)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class OrderNotFound(OrdersError):
    """No order with that id belongs to the caller. Another customer's order is not found too."""

    def __init__(self, order_id: str) -> None:
        super().__init__("order not found")
        self.order_id = order_id


class IdempotencyConflict(OrdersError):
    """An idempotency key was reused with a different request body."""

    def __init__(self, idempotency_key: str) -> None:
        super().__init__("idempotency key already used with a different request")
        self.idempotency_key = idempotency_key


class IllegalTransition(OrdersError):
    """The order's status cannot move to the one asked for (cancel a shipped order, say)."""

    def __init__(self, order_id: str, current: str | None, requested: str) -> None:
        super().__init__(
            f"no order can become {requested}"
            if current is None
            else f"the order is {current}: it cannot become {requested}"
        )
        self.order_id = order_id
        self.current = current
        self.requested = requested


class StorageError(OrdersError):
    """Storage refused the operation for a reason retrying will not fix (misconfiguration)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StorageUnavailable(StorageError):
    """Storage is throttling, timing out or failing; the client should retry after a pause."""

    def __init__(self, reason: str, retry_after_seconds: int = 1) -> None:
        super().__init__(reason)
        self.retry_after_seconds = retry_after_seconds


class Unauthenticated(OrdersError):
    """The request carries no verified caller. Behind the authorizer this cannot happen."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")
