"""Driving an ASGI app without a socket: one request in, the messages it sends back."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

App = Callable[..., Awaitable[None]]


def whole(body: bytes) -> list[dict[str, Any]]:
    """The messages of a request body that arrives at once."""
    return [{"type": "http.request", "body": body, "more_body": False}]


def exchange(
    app: App, scope: MutableMapping[str, Any], messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Run one request through `app`, fed `messages`; what it sent."""
    incoming = iter(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(incoming)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent
