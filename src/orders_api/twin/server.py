"""The twin's ASGI application: HTTP in; the web ACL, then a CORS preflight or the gateway.

Raw ASGI rather than a framework: the request path is the hot path, and the gateway already
does all the routing. The app reads the body (bounded by the API's payload limit: the one
place a body's size is checked), builds the `HttpRequest` every stage shares, and answers on
the event loop: the web ACL and the gateway's stages run on it (each bounded: the web ACL reads
a bounded part of the body), and the function is awaited there (`Gateway.respond`), so no
request holds a thread and no thread hands the interpreter lock to another:

    server -> web ACL -> (CORS preflight | gateway)

as AWS WAF stands in front of every method of the deployed API, OPTIONS included.

`GET /__twin/ready` is answered here, outside the API: no filter, no authorizer, no function.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

from orders_api.deployment.gateway_responses import request_too_large
from orders_api.deployment.settings import DEFAULT_SETTINGS
from orders_api.twin.apigateway.cors import ApiCors
from orders_api.twin.apigateway.gateway import Gateway
from orders_api.twin.http import HttpRequest, HttpResponse

READY_PATH = "/__twin/ready"
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_DRAIN_FACTOR = 2
"""An oversized body is read (and dropped) up to this multiple of the limit, so that the client
sees the 413 instead of a reset connection; past it the connection is closed."""


class RequestFilter(Protocol):
    """A filter in front of the API, evaluated first, as AWS WAF is in front of API Gateway.

    `inspect` returns None to let the request through, or the response to send instead (a WAF
    block, say); nothing behind the filter runs then. The server calls it on its event loop, so
    it must not block on I/O. `stats` returns JSON-serialisable counters, shown by the twin's
    readiness endpoint.
    """

    def inspect(self, request: HttpRequest) -> HttpResponse | None: ...

    def stats(self) -> dict[str, object]: ...


class TwinApp:
    def __init__(
        self,
        gateway: Gateway,
        readiness: Callable[[], dict[str, object]],
        cors: ApiCors | None = None,
        web_acl: RequestFilter | None = None,
        max_body_bytes: int = DEFAULT_SETTINGS.api.max_body_bytes,
    ) -> None:
        self._gateway = gateway
        self._cors = cors
        self._web_acl = web_acl
        self._readiness = readiness
        self._max_body = max_body_bytes
        self._too_large = HttpResponse.from_gateway(request_too_large(max_body_bytes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["path"] == READY_PATH and scope["method"] in ("GET", "HEAD"):
            await _send(send, HttpResponse.json(200, self._readiness()), scope["method"])
            return
        read = await self._read_body(scope, receive)
        if read is None:
            return  # the client left mid-body: API Gateway never invokes for half a request
        body, too_large = read
        if too_large:
            # As deployed: API Gateway's 413 cannot be customised, so it has no CORS headers.
            await _send(send, self._gateway.answer_before_routing(self._too_large))
            return
        response = await self._handle(_request(scope, body))
        await _send(send, response, scope["method"])

    async def _handle(self, request: HttpRequest) -> HttpResponse:
        blocked = self._web_acl.inspect(request) if self._web_acl is not None else None
        if blocked is not None:
            response = self._gateway.answer_before_routing(blocked)
        else:
            preflight = self._cors.preflight(request) if self._cors is not None else None
            response = preflight if preflight is not None else await self._gateway.respond(request)
        return self._with_cors(request, response)

    def _with_cors(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return self._cors.decorate(request, response) if self._cors is not None else response

    async def _read_body(self, scope: Scope, receive: Receive) -> tuple[bytes, bool] | None:
        """The body and whether it is over the limit; None when the client disconnected first."""
        declared = _content_length(scope)
        too_large = declared is not None and declared > self._max_body
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self._max_body:
                too_large = True
            if too_large:
                chunks.clear()
                if size > self._max_body * _DRAIN_FACTOR:
                    break
            elif chunk:
                chunks.append(chunk)
        return b"".join(chunks), too_large


def _request(scope: Scope, body: bytes) -> HttpRequest:
    client = scope.get("client")
    raw_path: bytes | None = scope.get("raw_path")
    return HttpRequest(
        method=scope["method"],
        path=raw_path.decode("latin-1") if raw_path else scope["path"],
        raw_query=scope["query_string"].decode("latin-1"),
        headers=tuple(
            (name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]
        ),
        body=body,
        client_ip=client[0] if client else "127.0.0.1",
    )


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send(send: Send, response: HttpResponse, method: str = "GET") -> None:
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in response.headers
        if name.lower() not in _FRAMING_HEADERS
    ]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else response.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
