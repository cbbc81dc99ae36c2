"""The business's one way to change an order: ship it or cancel it.

Operators invoke this function (lambda:InvokeFunction on it alone; `orders-api ops orders
ship|cancel` does) with `{"orderId": "...", "status": "SHIPPED" | "CANCELLED"}`. Its role may
update the Orders table's status attributes and nothing else; the operators themselves may not
write to the table at all. The answer is a JSON object with an HTTP-like `statusCode`:

    200 {"orderId", "status", "statusChangedAt", "changed"}   changed: false when it already was
    400 {"message"}   the request is not one of the above
    404 {"message"}   no such order
    409 {"message"}   the order's status cannot make that move (cancel a shipped order)
    503 {"message"}   storage busy: retry
"""

from __future__ import annotations

from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orders_api.domain import (
    IllegalTransition,
    InvalidRequest,
    OrderNotFound,
    OrdersError,
    OrderStatus,
    StatusUpdate,
    StorageError,
    StorageUnavailable,
)
from orders_api.domain.order import rfc3339_milliseconds
from orders_api.function import bootstrap

logger = Logger(service="orders-api")


class StatusChangeRequest(BaseModel):
    """What an operator asks: move this order to this status."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=False)

    order_id: str = Field(alias="orderId", min_length=1, max_length=64)
    status: Literal["SHIPPED", "CANCELLED"]


_STATUS_OF_ERROR: dict[type[OrdersError], int] = {
    InvalidRequest: 400,
    OrderNotFound: 404,
    IllegalTransition: 409,
    StorageUnavailable: 503,
    StorageError: 500,
}
"""Each error this function answers, by its HTTP-like status: the one table."""


def _answer(update: StatusUpdate) -> dict[str, Any]:
    changed_at = update.status_changed_at
    return {
        "statusCode": 200,
        "orderId": update.order_id,
        "status": update.status.value,
        "statusChangedAt": None if changed_at is None else rfc3339_milliseconds(changed_at),
        "changed": update.applied,
    }


def _refusal(error: OrdersError) -> dict[str, Any]:
    status = next(code for kind, code in _STATUS_OF_ERROR.items() if isinstance(error, kind))
    if status >= 500:
        logger.warning("status change failed", extra={"error": type(error).__name__})
        return {"statusCode": status, "message": "storage unavailable, retry"}
    return {"statusCode": status, "message": str(error)}


def change_status(event: object) -> dict[str, Any]:
    """The answer to one operator's request (see the module's docstring)."""
    try:
        request = StatusChangeRequest.model_validate(event)
    except ValidationError as invalid:
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc'])) or 'request'}: {problem['msg']}"
            for problem in invalid.errors()
        )
        return {"statusCode": 400, "message": problems}
    try:
        update = bootstrap.service().change_status(request.order_id, OrderStatus(request.status))
    except OrdersError as error:
        return _refusal(error)
    logger.info(
        "order status changed" if update.applied else "order status unchanged",
        extra={"orderId": update.order_id, "status": update.status.value},
    )
    return _answer(update)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return change_status(event)
