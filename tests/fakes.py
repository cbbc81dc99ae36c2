"""Shared stand-ins for what AWS hands the function: the Lambda context object, API Gateway's
proxy events (the samples in tests/events/) and a sample order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from orders_api.domain import NewOrder
from tests.paths import EVENTS

TWO_MUGS = NewOrder.model_validate({"items": [{"sku": "MUG-01", "quantity": 2}]})
"""The sample order: two mugs, nothing else."""


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes of Lambda's context object that Powertools and the handler read."""

    function_name: str = "orders-api-create"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:orders-api-create"
    aws_request_id: str = "52fdfc07-2182-454f-963f-5f0f9a621d72"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


def proxy_event(name: str) -> dict[str, Any]:
    """A fresh copy of a sample event in tests/events/."""
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def post_event(
    body: str | None = None, headers: dict[str, str] | None = None, **changes: Any
) -> dict[str, Any]:
    """The sample POST /orders event, with another body, more headers or other top-level keys."""
    event = proxy_event("post_orders.json")
    if body is not None:
        event["body"] = body
    for name, value in (headers or {}).items():
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]
    event.update(changes)
    return event


def get_event(order_id: str) -> dict[str, Any]:
    """The sample GET /orders/{orderId} event, for this order id."""
    event = proxy_event("get_order.json")
    event["pathParameters"] = {"orderId": order_id}
    event["path"] = f"/orders/{order_id}"
    event["requestContext"]["path"] = f"/prod/orders/{order_id}"
    return event


def list_event(customer: str | None = None, **query: str) -> dict[str, Any]:
    """The sample GET /orders event with this query string (none: no query string), for the
    sample's caller or another `customer` (the token's sub)."""
    event = proxy_event("list_orders.json")
    event["queryStringParameters"] = dict(query) or None
    event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()} or None
    if customer is not None:
        event["requestContext"]["authorizer"]["claims"]["sub"] = customer
    return event


class UncachedAuthorizer:
    """Base of fake authorizers: no verdict is ever cached, so the gateway always calls
    `authorize` (which the fake defines)."""

    def authorize_from_cache(
        self, authorization_header: str | None, scopes: tuple[str, ...] = ()
    ) -> dict[str, str] | None:
        return None


IRISH_ADDRESS: dict[str, str] = {
    "name": "Aoife O'Brien",
    "line1": "12 Harbour Road",
    "city": "Cork",
    "postalCode": "T12 X2Y3",
    "country": "IE",
}
"""A shipping address the request model accepts (an apostrophe in the name, a space in the
postal code), for tests that need one valid order body."""
