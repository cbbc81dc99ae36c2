"""The twin's ASGI app driven directly, without a socket: how it reads bodies off the wire, and
the order in front of the gateway: the payload limit, then the web ACL, then a CORS preflight
or the gateway."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orders_api.deployment.gateway_responses import DEPLOYED_TYPES
from orders_api.twin.apigateway.authorizer import UNAUTHORIZED, AuthorizerDenied
from orders_api.twin.apigateway.cors import ApiCors
from orders_api.twin.apigateway.gateway import Gateway
from orders_api.twin.http import HttpRequest, HttpResponse
from orders_api.twin.server import TwinApp
from tests.asgi import exchange, whole
from tests.fakes import UncachedAuthorizer

ORDER_BODY = b'{"items":[{"sku":"MUG-01","quantity":2}]}'


class AcceptingAuthorizer(UncachedAuthorizer):
    def authorize(self, header: str | None, scopes: tuple[str, ...] = ()) -> dict[str, str]:
        return {"sub": "someone"}


class RecordingFunction:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        return {"statusCode": 201, "body": "{}"}


def drive(
    app: TwinApp,
    method: str,
    path: str,
    messages: list[dict[str, Any]],
    headers: list[tuple[bytes, bytes]],
) -> list[dict[str, Any]]:
    """Run one request through the app, fed `messages`; the messages it sent back."""
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:3000"), *headers],
        "client": ("127.0.0.1", 50000),
    }
    return exchange(app, scope, messages)


def post_orders(messages: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Any]]:
    """Run one POST /prod/orders through the app; what it sent, and the function's events."""
    function = RecordingFunction()
    app = TwinApp(
        Gateway(handler=function, authorizer=AcceptingAuthorizer(), api_id="a1b2c3d4e5"),
        readiness=dict,
    )
    length = (b"content-length", str(len(ORDER_BODY)).encode())
    return drive(app, "POST", "/prod/orders", messages, [length]), function.events


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


class RefusingAuthorizer(UncachedAuthorizer):
    def __init__(self) -> None:
        self.calls: list[str | None] = []

    def authorize(self, header: str | None, scopes: tuple[str, ...] = ()) -> dict[str, str]:
        self.calls.append(header)
        raise AuthorizerDenied(UNAUTHORIZED, "no token")


class WebAcl:
    """Blocks every request (or none) with API Gateway's WAF_FILTERED answer; records each."""

    def __init__(self, block: bool = True) -> None:
        self.block = block
        self.seen: list[HttpRequest] = []

    def inspect(self, request: HttpRequest) -> HttpResponse | None:
        self.seen.append(request)
        if not self.block:
            return None
        return HttpResponse.message(403, "Forbidden", ("x-amzn-ErrorType", "ForbiddenException"))

    def stats(self) -> dict[str, object]:
        return {"inspected": len(self.seen)}


def answer(
    app: TwinApp, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request through the app, whole; its status, headers (names lower-cased) and body."""
    wire_headers = [(b"content-length", str(len(body)).encode())]
    wire_headers += [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
    start, content = drive(app, method, path, whole(body), wire_headers)
    response_headers = [(name.decode().lower(), value.decode()) for name, value in start["headers"]]
    return start["status"], response_headers, content["body"]


def front(
    web_acl: WebAcl | None = None,
    function: RecordingFunction | None = None,
    authorizer: Any = None,
    max_body_bytes: int = 10 * 1024 * 1024,
) -> TwinApp:
    gateway = Gateway(
        handler=function or RecordingFunction(),
        authorizer=authorizer or AcceptingAuthorizer(),
        api_id="a1b2c3d4e5",
    )
    return TwinApp(
        gateway,
        readiness=dict,
        cors=ApiCors(stage="prod"),
        web_acl=web_acl,
        max_body_bytes=max_body_bytes,
    )


def test_the_web_acl_runs_first_even_for_unknown_routes_and_missing_tokens() -> None:
    web_acl, authorizer = WebAcl(), RefusingAuthorizer()

    status, _, body = answer(front(web_acl, authorizer=authorizer), "GET", "/nowhere")

    assert (status, json.loads(body)) == (403, {"message": "Forbidden"})
    assert len(web_acl.seen) == 1
    assert authorizer.calls == []


def test_a_request_the_web_acl_allows_goes_on_to_the_function() -> None:
    web_acl, function = WebAcl(block=False), RecordingFunction()

    status, _, _ = answer(front(web_acl, function), "POST", "/prod/orders", body=ORDER_BODY)

    assert status == 201
    assert len(web_acl.seen) == 1
    assert len(function.events) == 1


def test_a_body_over_the_payload_limit_gets_413_before_anything_else() -> None:
    web_acl, function = WebAcl(), RecordingFunction()

    status, headers, body = answer(
        front(web_acl, function, max_body_bytes=10), "POST", "/prod/orders", body=b"x" * 11
    )

    assert status == 413
    assert body == b"HTTP content length exceeded 10 bytes."
    assert dict(headers)["x-amzn-errortype"] == "RequestTooLarge"
    assert web_acl.seen == []
    assert function.events == []
    at_the_limit = answer(front(web_acl, max_body_bytes=10), "POST", "/prod/orders", body=b"x" * 10)
    assert at_the_limit[0] == 403, "at the limit: on to the web ACL"


def test_a_preflight_passes_the_web_acl_first() -> None:
    web_acl = WebAcl()

    status, headers, _ = answer(
        front(web_acl), "OPTIONS", "/prod/orders", {"Origin": "http://localhost:3000"}
    )

    assert [request.method for request in web_acl.seen] == ["OPTIONS"]
    assert status == 403
    assert dict(headers)["access-control-allow-origin"] == "http://localhost:3000"


@pytest.mark.parametrize("block", [False, True], ids=["answered", "blocked"])
def test_every_preflight_answer_carries_one_request_id(block: bool) -> None:
    app = front(WebAcl(block=block))

    status, headers, _ = answer(app, "OPTIONS", "/prod/orders", {"Origin": "http://localhost:3000"})

    assert status == (403 if block else 204)
    assert [name for name, _ in headers].count("x-amzn-requestid") == 1


def test_the_413_carries_no_cors_header_as_api_gateway_cannot_customise_it() -> None:
    status, headers, _ = answer(
        front(max_body_bytes=10),
        "POST",
        "/prod/orders",
        {"Origin": "http://localhost:5173"},
        body=b"x" * 11,
    )
    assert status == 413
    assert not [name for name, _ in headers if name.startswith("access-control-")]
    assert "REQUEST_TOO_LARGE" not in DEPLOYED_TYPES
