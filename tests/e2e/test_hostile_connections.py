"""Connections that would cost the twin without end: oversized heads and requests that never
finish are cut off with an HTTP answer; honest requests meanwhile go on being served.

The header limit is checked on a running twin; the deadline on uvicorn serving a small app
with the twin's protocol and a short deadline (a real server on loopback, raw sockets).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from orders_api.twin import connection_limits
from orders_api.twin.connection_limits import MAX_HEAD_BYTES, BoundedHttpProtocol
from tests.e2e.conftest import Twin

DEADLINE_SECONDS = 0.5
READ_SECONDS = 10.0


def answer_of(connection: socket.socket) -> tuple[int, dict[str, Any]]:
    """The status and JSON body the server sends before it closes the connection."""
    connection.settimeout(READ_SECONDS)
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def open_to(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=READ_SECONDS)


def test_a_header_bigger_than_api_gateway_takes_gets_431_and_the_twin_goes_on(twin: Twin) -> None:
    with open_to(twin.api_url) as connection:
        connection.sendall(
            b"GET /prod/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
            + b"a" * (4 * MAX_HEAD_BYTES)
            + b"\r\n\r\n"
        )
        status, body = answer_of(connection)
    assert (status, body) == (431, {"message": "Request Header Fields Too Large"})
    assert httpx.get(twin.base_url + "/__twin/ready", timeout=10).json()["status"] == "ready"


def test_headers_within_api_gateways_quota_are_taken(twin: Twin) -> None:
    values = {"X-Padding": "p" * 9000}  # under the 10,240 bytes of values API Gateway allows
    response = httpx.get(twin.url("orders/o-1"), headers=values, timeout=10)
    assert response.status_code == 401  # past the edge, to the authorizer


async def _echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture
def short_deadline_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setattr(connection_limits, "REQUEST_SECONDS", DEADLINE_SECONDS)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(
        _echo_app, lifespan="off", log_level="warning", http=BoundedHttpProtocol, ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[listener])), daemon=True
    )
    thread.start()
    deadline = time.monotonic() + READ_SECONDS
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.should_exit = True
        thread.join(READ_SECONDS)
        listener.close()


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        b"POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{",
    ],
    ids=["nothing", "half a head", "half a body"],
)
def test_a_request_that_never_finishes_gets_408_when_its_time_is_up(
    short_deadline_server: str, sent: bytes
) -> None:
    with open_to(short_deadline_server) as connection:
        connection.sendall(sent)
        started = time.monotonic()
        status, body = answer_of(connection)
        waited = time.monotonic() - started
    assert (status, body) == (408, {"message": "Request Timeout"})
    assert waited < READ_SECONDS, "cut off by the server, not by the client's patience"


def test_slow_clients_do_not_keep_others_waiting(short_deadline_server: str) -> None:
    stalled = [open_to(short_deadline_server) for _ in range(20)]
    try:
        for connection in stalled:
            connection.sendall(b"POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert httpx.post(short_deadline_server + "orders", content=b"{}", timeout=10).text == "ok"
        assert {answer_of(connection)[0] for connection in stalled} == {408}
    finally:
        for connection in stalled:
            connection.close()
