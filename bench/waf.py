"""The web ACL's cost per request: a typical 1 KB order through the twin's gateway with the
engine on, against the very same request with the engine off, in one run.

In-process, no sockets: the twin's ASGI application (body read and payload limit, the request
every stage shares, the web ACL, then the gateway: routing, Cognito authorizer with a real
RS256 token, the Lambda handler in this process on a worker thread, SQLite) gets the request
as uvicorn would hand it over. Three measurements, interleaved so that a busy
machine slows them alike: `WafEngine.inspect` alone, the whole request with the engine, and
without it. Target: the engine under 10 % of the request's total server time. (HTTP parsing
and the socket are left out, which makes the share look larger, not smaller.)

    python -m bench.waf [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt

from bench.common import machine, summary, write_result

CLIENT_ID = "benchclient0000000000000000"
ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_BenchPool"
TARGET_SHARE = 0.10


def typical_order() -> bytes:
    """About 1 KB of JSON: a few lines, an address with accents, a short note."""
    order = {
        "items": [{"sku": f"SKU-{n:04d}-BLUE", "quantity": n % 5 + 1} for n in range(16)],
        "shippingAddress": {
            "name": "Seán O'Brien",
            "line1": "Flat 3/4, 221B Baker Street",
            "line2": "c/o Mrs. Hudson, second floor",
            "city": "London",
            "postalCode": "NW1 6XE",
            "country": "GB",
        },
        "note": "select the blue one; drop it at the door. Ring twice -- thanks! 😊 If nobody "
        "answers, leave it with the neighbours at number 12 (the green door).",
    }
    return json.dumps(order, ensure_ascii=False).encode()


def _gateway(data_dir: Path) -> tuple[Any, str]:
    """A gateway as the twin wires it, and an ID token its authorizer accepts."""
    from orders_api.adapters.sqlite import SQLiteOrderRepository
    from orders_api.function import bootstrap
    from orders_api.service import OrderService
    from orders_api.twin.apigateway.authorizer import CognitoAuthorizer
    from orders_api.twin.apigateway.gateway import Gateway
    from orders_api.twin.cognito.keys import SigningKey
    from orders_api.twin.run import configure_function_output, load_function

    configure_function_output(function_logs=False)
    key = SigningKey.load_or_create(data_dir / "signing-key.pem")
    now = int(time.time())
    token = jwt.encode(
        {
            "sub": "2f6b1c5e-bench-user",
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "token_use": "id",
            "email": "bench@example.com",
            "auth_time": now,
            "iat": now,
            "exp": now + 3600,
        },
        key.private_key,
        algorithm="RS256",
        headers={"kid": key.kid},
    )
    bootstrap.install(OrderService(SQLiteOrderRepository(data_dir / "orders.sqlite3")))
    authorizer = CognitoAuthorizer(
        issuer=ISSUER, client_id=CLIENT_ID, fetch_jwks=lambda _url: key.jwks(), jwks_url="bench"
    )
    gateway = Gateway(
        handler=load_function(),
        authorizer=authorizer,
        api_id="benchapi00",
        port=3000,
    )
    return gateway, token


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


class _Asgi:
    """One HTTP request through an ASGI app, without a socket; returns the status."""

    def __init__(self, app: Any, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/prod/orders",
            "raw_path": b"/prod/orders",
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 3000),
        }
        self.body = body

    async def __call__(self) -> int:
        status = 0

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": self.body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await self.app(dict(self.scope), receive, send)
        return status


def run(requests: int = 2000) -> dict[str, Any]:
    from orders_api.deployment.waf_policy import DEFAULT_POLICY, with_rate_limit
    from orders_api.twin.http import HttpRequest
    from orders_api.twin.server import TwinApp
    from orders_api.twin.waf.engine import WafEngine

    # Every rule evaluates; the rate rule counts but never trips (one client sends them all).
    engine = WafEngine(with_rate_limit(DEFAULT_POLICY, 2_000_000_000))
    body = typical_order()
    with tempfile.TemporaryDirectory() as directory:
        data_dir = Path(directory)
        gateway, token = _gateway(data_dir)  # the same key, storage and handler for both
        headers = [
            (b"host", b"127.0.0.1:3000"),
            (b"user-agent", b"python-httpx/0.28.1"),
            (b"accept", b"*/*"),
            (b"accept-encoding", b"gzip, deflate"),
            (b"connection", b"keep-alive"),
            (b"content-type", b"application/json"),
            (b"authorization", token.encode()),
            (b"content-length", str(len(body)).encode()),
        ]
        request = HttpRequest(
            method="POST",
            path="/prod/orders",
            raw_query="",
            headers=tuple((name.decode(), value.decode()) for name, value in headers),
            body=body,
            client_ip="127.0.0.1",
        )
        app_on = TwinApp(gateway, dict, web_acl=engine)
        app_off = TwinApp(gateway, dict)
        on, off = _Asgi(app_on, body, headers), _Asgi(app_off, body, headers)
        with asyncio.Runner() as runner:
            assert runner.run(on()) == 201
            assert runner.run(off()) == 201
            assert engine.inspect(request) is None
            for _ in range(200):  # warm every path
                runner.run(on())
                runner.run(off())
            inspect_ms: list[float] = []
            on_ms: list[float] = []
            off_ms: list[float] = []
            for _ in range(requests):
                inspect_ms.append(_timed(lambda: engine.inspect(request)))
                on_ms.append(_timed(lambda: runner.run(on())))
                off_ms.append(_timed(lambda: runner.run(off())))
    inspected, with_engine, without_engine = (
        summary(inspect_ms),
        summary(on_ms),
        summary(off_ms),
    )
    result = {
        "machine": machine(),
        "body_bytes": len(body),
        "inspect": inspected,
        "request_with_waf": with_engine,
        "request_without_waf": without_engine,
        "waf_share_of_server_time": inspected["median_ms"] / with_engine["median_ms"],
        "with_over_without_ratio": with_engine["median_ms"] / without_engine["median_ms"],
        "targets": {"waf_share_max": TARGET_SHARE},
    }
    write_result("waf", result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000)
    arguments = parser.parse_args()
    sys.stdout.flush()
    saved = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the handler's EMF lines, as in Lambda
    try:
        result = run(arguments.requests)
    finally:
        sys.stdout.close()
        sys.stdout = saved
    print(
        f"{result['body_bytes']} B order: WAF inspect {result['inspect']['median_ms']:.3f} ms "
        f"of {result['request_with_waf']['median_ms']:.3f} ms server time -> "
        f"{result['waf_share_of_server_time']:.1%} (target < {TARGET_SHARE:.0%})"
    )
    print(
        f"request with WAF {result['request_with_waf']['median_ms']:.3f} ms vs without "
        f"{result['request_without_waf']['median_ms']:.3f} ms -> "
        f"{result['with_over_without_ratio']:.2f}x"
    )


if __name__ == "__main__":
    main()
