"""The twin's load baseline: the least a server must do for an authenticated, durable order.

A minimal Starlette app on uvicorn: `POST /prod/orders` verifies the RS256 ID token with PyJWT
against the same JWKS key (fetched once at start-up), reads the JSON body, and inserts the order
into SQLite (WAL, synchronous=FULL), one commit per request, before answering 201, all inline
on the event loop of one process (no thread pool). No WAF, no proxy event, no validation model,
no authorizer cache: what the twin adds must pay for itself.

    python -m bench.baseline_server --port P --jwks-url URL --issuer ISS --client-id ID --db PATH
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import threading
import time
import uuid
from typing import Any

import jwt
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


def make_app(*, jwks_url: str, issuer: str, client_id: str, db_path: str) -> Starlette:
    """The baseline app; the JWKS is fetched here, not per request."""
    keys = jwt.PyJWKClient(jwks_url, cache_keys=True)
    connection = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL,"
        " created_at TEXT NOT NULL, record TEXT NOT NULL) WITHOUT ROWID"
    )
    lock = threading.Lock()

    def place_order(token: str, body: bytes) -> Response:
        try:
            key = keys.get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token, key, algorithms=["RS256"], audience=client_id, issuer=issuer
            )
        except jwt.PyJWTError:
            return JSONResponse({"message": "Unauthorized"}, status_code=401)
        try:
            order = json.loads(body)
        except ValueError:
            return JSONResponse({"message": "Invalid request body"}, status_code=400)
        order_id = uuid.uuid4().hex
        created_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        record = {"orderId": order_id, "customerId": claims["sub"], "createdAt": created_at}
        record.update(order)
        with lock:
            connection.execute(
                "INSERT INTO orders VALUES (?, ?, ?, ?)",
                (order_id, claims["sub"], created_at, json.dumps(record)),
            )
        return JSONResponse(record, status_code=201, headers={"Location": f"/orders/{order_id}"})

    async def orders(request: Request) -> Response:
        body = await request.body()
        token = request.headers.get("authorization", "")
        # Inline, as issue 17 defines the baseline: one process, verification and the fsync'd
        # commit on the event loop, no thread pool.
        return place_order(token, body)

    async def ready(_: Request) -> Response:
        return JSONResponse({"status": "ready"})

    return Starlette(
        routes=[
            Route("/prod/orders", orders, methods=["POST"]),
            Route("/__twin/ready", ready, methods=["GET"]),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--jwks-url", required=True)
    parser.add_argument("--issuer", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--db", required=True)
    arguments = parser.parse_args()
    app = make_app(
        jwks_url=arguments.jwks_url,
        issuer=arguments.issuer,
        client_id=arguments.client_id,
        db_path=arguments.db,
    )
    uvicorn.run(app, host="127.0.0.1", port=arguments.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
