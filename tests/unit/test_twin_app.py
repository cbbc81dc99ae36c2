"""The twin's ASGI app driven directly, without a socket: how it reads bodies off the wire."""

from __future__ import annotations

import asyncio
from typing import Any

from orders_api.edge.gateway import Gateway
from orders_api.edge.server import TwinApp

ORDER_BODY = b'{"items":[{"sku":"MUG-01","quantity":2}]}'


class AcceptingAuthorizer:
    def authorize(self, header: str | None, scopes: tuple[str, ...] = ()) -> dict[str, str]:
        return {"sub": "someone"}


class RecordingFunction:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        return {"statusCode": 201, "body": "{}"}


def post_orders(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Run one POST /prod/orders through the app; what it sent, and the function's events."""
    function = RecordingFunction()
    app = TwinApp(
        Gateway(handler=function, authorizer=AcceptingAuthorizer(), api_id="a1b2c3d4e5"),
        readiness=dict,
    )
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/prod/orders",
        "raw_path": b"/prod/orders",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:3000"),
            (b"content-length", str(len(ORDER_BODY)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
    }
    incoming = iter(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: Any) -> None:
        sent.append(message)

    try:
        asyncio.run(app(scope, receive, send))
    finally:
        app.close()
    return sent, function.events


def test_a_body_that_arrives_in_chunks_reaches_the_function_whole() -> None:
    sent, events = post_orders(
        [
            {"type": "http.request", "body": ORDER_BODY[:10], "more_body": True},
            {"type": "http.request", "body": ORDER_BODY[10:], "more_body": False},
        ]
    )
    assert [event["body"] for event in events] == [ORDER_BODY.decode()]
    assert sent[0]["status"] == 201


def test_a_client_that_disconnects_mid_body_never_reaches_the_function() -> None:
    sent, events = post_orders(
        [
            {"type": "http.request", "body": ORDER_BODY[:10], "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    assert events == []
    assert sent == []
