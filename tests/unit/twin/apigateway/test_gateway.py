"""API Gateway's REST semantics in-process: routes, the proxy event it builds, the response it
makes of a function's result, and the order of its stages. No sockets."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import APIGatewayProxyEventModel

from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.deployment.routes import ROUTES, Route
from orders_api.deployment.settings import DEFAULT_SETTINGS
from orders_api.function import bootstrap
from orders_api.service import OrderService
from orders_api.twin.apigateway.authorizer import UNAUTHORIZED, AuthorizerDenied
from orders_api.twin.apigateway.gateway import Gateway
from orders_api.twin.apigateway.proxy import MalformedProxyResult, response_from_result
from orders_api.twin.apigateway.routing import RouteTable
from orders_api.twin.http import HttpRequest
from tests.fakes import UncachedAuthorizer
from tests.paths import EVENTS

SUB = "7d0e20a8-374a-4b70-8c62-1b2d5a6f0b1e"
CLAIMS = {"sub": SUB, "token_use": "id", "email_verified": "true", "auth_time": "1732550400"}
ORDER_BODY = b'{"items":[{"sku":"MUG-01","quantity":2}]}'
ORDER_ID = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


class StubAuthorizer(UncachedAuthorizer):
    """Accepts exactly one token; records the scopes each call asked for."""

    def __init__(self, token: str = "good-token") -> None:
        self.token = token
        self.calls: list[tuple[str | None, tuple[str, ...]]] = []

    def authorize(self, header: str | None, scopes: tuple[str, ...] = ()) -> dict[str, str]:
        self.calls.append((header, scopes))
        if header != self.token:
            raise AuthorizerDenied(UNAUTHORIZED, "test")
        return dict(CLAIMS)


OK_RESULT = {"statusCode": 200, "body": "{}"}


class RecordingFunction:
    def __init__(self, result: Any = OK_RESULT, error: Exception | None = None) -> None:
        self.result = result
        self.error = error
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []

    def __call__(self, event: dict[str, Any], context: Any) -> Any:
        self.events.append(event)
        self.contexts.append(context)
        if self.error is not None:
            raise self.error
        return self.result


def request(
    method: str = "POST",
    path: str = "/prod/orders",
    *,
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (
        ("Host", "127.0.0.1:3000"),
        ("User-Agent", "pytest"),
        ("Content-Type", "application/json"),
        ("Authorization", "good-token"),
    ),
    body: bytes = ORDER_BODY,
) -> HttpRequest:
    return HttpRequest(method, path, query, headers, body, client_ip="127.0.0.1")


def gateway(function: Any = None, **overrides: Any) -> Gateway:
    return Gateway(
        handler=function or RecordingFunction(),
        authorizer=overrides.pop("authorizer", StubAuthorizer()),
        api_id="a1b2c3d4e5",
        port=3000,
        **overrides,
    )


def event_for(http_request: HttpRequest) -> dict[str, Any]:
    function = RecordingFunction()
    gateway(function).handle(http_request)
    assert function.events, "the function was not invoked"
    return function.events[0]


@pytest.fixture
def real_handler() -> Iterator[Any]:
    from orders_api.function.handler import lambda_handler

    bootstrap.install(OrderService(InMemoryOrderRepository()))
    yield lambda_handler
    bootstrap.install(None)


# The proxy event


def test_the_event_has_the_same_shape_as_a_real_api_gateway_event() -> None:
    real = json.loads((EVENTS / "post_orders.json").read_text())
    built = event_for(request())
    assert set(built) == set(real)
    assert set(built["requestContext"]) == set(real["requestContext"])
    assert set(built["requestContext"]["identity"]) == set(real["requestContext"]["identity"])


@pytest.mark.parametrize(
    "http_request",
    [
        request(),
        request("GET", f"/prod/orders/{ORDER_ID}", body=b""),
        request("GET", f"/prod/orders/{ORDER_ID}", query="a=1&a=2&b=&c", body=b""),
        # Not JSON, so no request model applies: the body reaches the function, base64-encoded.
        request(
            headers=(
                ("Host", "127.0.0.1:3000"),
                ("Content-Type", "application/octet-stream"),
                ("Authorization", "good-token"),
            ),
            body=b"\xff\xfe binary",
        ),
        request(headers=(("Authorization", "good-token"),)),
    ],
    ids=["post", "get", "query-strings", "binary-body", "few-headers"],
)
def test_every_event_validates_against_powertools_api_gateway_model(
    http_request: HttpRequest,
) -> None:
    event = event_for(http_request)
    parsed = APIGatewayProxyEventModel.model_validate(event)
    assert parsed.httpMethod == http_request.method
    assert parsed.requestContext.path == http_request.path
    assert parsed.isBase64Encoded == event["isBase64Encoded"]


def test_the_event_names_the_resource_the_stage_relative_path_and_the_full_path() -> None:
    event = event_for(request("GET", f"/prod/orders/{ORDER_ID}", body=b""))
    assert event["resource"] == "/orders/{orderId}"
    assert event["path"] == f"/orders/{ORDER_ID}"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"orderId": ORDER_ID}
    context = event["requestContext"]
    assert context["resourcePath"] == "/orders/{orderId}"
    assert context["path"] == f"/prod/orders/{ORDER_ID}"
    assert context["stage"] == "prod"
    assert context["apiId"] == "a1b2c3d4e5"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "pytest"
    assert context["domainName"] == "127.0.0.1"
    assert isinstance(context["requestTimeEpoch"], int)


def test_absent_maps_are_null() -> None:
    event = event_for(request())
    assert event["queryStringParameters"] is None
    assert event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None


def test_the_authorizers_claims_reach_the_function_as_strings() -> None:
    claims = event_for(request())["requestContext"]["authorizer"]["claims"]
    assert claims == CLAIMS
    assert all(isinstance(value, str) for value in claims.values())


def test_repeated_headers_keep_every_value_in_multi_value_headers_and_the_last_in_headers() -> None:
    headers = (("Authorization", "good-token"), ("X-Tag", "one"), ("x-tag", "two"))
    event = event_for(request(headers=headers))
    assert event["multiValueHeaders"]["x-tag"] == ["one", "two"]
    assert event["headers"]["x-tag"] == "two"


def test_the_gateway_adds_forwarding_and_trace_headers_spelled_as_aws_spells_them() -> None:
    headers = (("Authorization", "good-token"), ("x-forwarded-for", "203.0.113.9"))
    event = event_for(request(headers=headers))
    real = json.loads((EVENTS / "post_orders.json").read_text())["headers"]
    added = ("X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto", "X-Amzn-Trace-Id")
    assert set(added) <= set(real), "AWS's sample event spells them so"
    assert set(added) <= set(event["headers"])
    assert event["headers"]["X-Forwarded-For"] == "203.0.113.9, 127.0.0.1"
    assert event["headers"]["X-Forwarded-Port"] == "3000"
    assert event["headers"]["X-Amzn-Trace-Id"].startswith("Root=1-")
    assert "x-forwarded-for" not in event["headers"]


def test_query_strings_are_decoded_with_the_last_value_single_and_all_values_multi() -> None:
    event = event_for(
        request(
            "GET",
            f"/prod/orders/{ORDER_ID}",
            query="tag=a%20b&tag=c&empty=&bare&plus=1+1",
            body=b"",
        )
    )
    assert event["multiValueQueryStringParameters"] == {
        "tag": ["a b", "c"],
        "empty": [""],
        "bare": [""],
        "plus": ["1+1"],
    }
    assert event["queryStringParameters"]["tag"] == "c"


def test_a_utf8_body_is_text_and_a_binary_body_is_base64() -> None:
    # Plain text: no request model applies, so any body reaches the function.
    headers = (("Content-Type", "text/plain"), ("Authorization", "good-token"))
    text = event_for(request(headers=headers, body='{"note":"café"}'.encode()))
    assert (text["body"], text["isBase64Encoded"]) == ('{"note":"café"}', False)
    binary = event_for(request(headers=headers, body=b"\xff\x00\x01"))
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\x00\x01"


def test_an_empty_body_is_null() -> None:
    event = event_for(request("GET", f"/prod/orders/{ORDER_ID}", body=b""))
    assert (event["body"], event["isBase64Encoded"]) == (None, False)


def test_each_request_gets_its_own_request_id_echoed_to_the_client() -> None:
    function = RecordingFunction()
    api = gateway(function)
    first, second = api.handle(request()), api.handle(request())
    ids = [event["requestContext"]["requestId"] for event in function.events]
    assert ids[0] != ids[1]
    assert dict(first.headers)["x-amzn-RequestId"] == ids[0]
    assert dict(second.headers)["x-amzn-RequestId"] == ids[1]


def test_the_function_gets_a_lambda_context_named_after_its_route() -> None:
    function = RecordingFunction()
    gateway(function).handle(request())
    context = function.contexts[0]
    assert context.function_name == "OrdersApi-create"
    assert context.memory_limit_in_mb == DEFAULT_SETTINGS.function.memory_mb
    assert context.invoked_function_arn.endswith(":function:OrdersApi-create")
    assert 0 < context.get_remaining_time_in_millis() <= 10_000


# Routes


def test_path_parameters_are_decoded_and_match_one_segment_only() -> None:
    table = RouteTable(ROUTES)
    matched = table.match("GET", "/orders/a%2Fb%20c")
    assert matched is not None
    assert matched.path_parameters == {"orderId": "a/b c"}
    assert table.match("GET", "/orders/a/b") is None
    assert table.match("GET", "/orders/") is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/prod/orders"),
        ("PUT", "/prod/orders"),
        ("POST", "/prod/orders/"),
        ("GET", "/prod/"),
        ("GET", "/prod"),
        ("GET", "/prod/nothing"),
    ],
)
def test_no_route_gets_403_missing_authentication_token_before_the_authorizer_runs(
    method: str, path: str
) -> None:
    authorizer = StubAuthorizer()
    response = gateway(authorizer=authorizer).handle(request(method, path))
    assert (response.status, json.loads(response.body)) == (
        403,
        {"message": "Missing Authentication Token"},
    )
    assert authorizer.calls == []


@pytest.mark.parametrize("path", ["/orders", "/", "/production/orders", "/Prod/orders"])
def test_a_path_outside_the_stage_gets_403_forbidden(path: str) -> None:
    response = gateway().handle(request(path=path))
    assert (response.status, json.loads(response.body)) == (403, {"message": "Forbidden"})


def test_a_routes_scopes_are_handed_to_the_authorizer() -> None:
    authorizer = StubAuthorizer()
    routes = (Route("POST", "/orders", "create", scopes=("orders/write",)),)
    gateway(authorizer=authorizer, routes=routes).handle(request())
    assert authorizer.calls == [("good-token", ("orders/write",))]


# Stage order


def test_the_authorizers_refusal_is_the_response_and_the_function_never_runs() -> None:
    function = RecordingFunction()
    response = gateway(function).handle(request(headers=(("Authorization", "bad"),)))
    assert (response.status, json.loads(response.body)) == (401, {"message": "Unauthorized"})
    assert dict(response.headers)["x-amzn-ErrorType"] == "UnauthorizedException"
    assert function.events == []


# The function's result


def test_headers_and_multi_value_headers_merge_with_shared_values_once() -> None:
    response = response_from_result(
        {
            "statusCode": 201,
            "headers": {"Location": "/prod/orders/1", "X-One": "a"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-One": ["a", "b"]},
            "body": "{}",
            "isBase64Encoded": False,
        }
    )
    assert response.status == 201
    assert [value for name, value in response.headers if name == "Set-Cookie"] == ["a=1", "b=2"]
    assert [value for name, value in response.headers if name == "X-One"] == ["a", "b"]
    assert ("Location", "/prod/orders/1") in response.headers


def test_a_base64_body_is_decoded_for_the_client() -> None:
    encoded = base64.b64encode(b"\x89PNG").decode()
    response = response_from_result({"statusCode": 200, "body": encoded, "isBase64Encoded": True})
    assert response.body == b"\x89PNG"


@pytest.mark.parametrize(
    "result",
    [
        None,
        "a string",
        [],
        {"body": "{}"},
        {"statusCode": "200", "body": "{}"},
        {"statusCode": True, "body": "{}"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": 200, "body": "{}", "extra": 1},
        {"statusCode": 200, "headers": ["x"]},
        {"statusCode": 200, "headers": {"X-A": {"nested": 1}}},
        {"statusCode": 200, "multiValueHeaders": {"X-A": "not a list"}},
        {"statusCode": 200, "body": "!!", "isBase64Encoded": True},
        {"statusCode": 200, "isBase64Encoded": "yes"},
    ],
)
def test_a_malformed_result_gets_502_internal_server_error(result: Any) -> None:
    with pytest.raises(MalformedProxyResult):
        response_from_result(result)
    response = gateway(RecordingFunction(result=result)).handle(request())
    assert (response.status, json.loads(response.body)) == (
        502,
        {"message": "Internal server error"},
    )


def test_an_exception_in_the_function_gets_502_internal_server_error() -> None:
    response = gateway(RecordingFunction(error=RuntimeError("boom"))).handle(request())
    assert (response.status, json.loads(response.body)) == (
        502,
        {"message": "Internal server error"},
    )
    assert b"boom" not in response.body


# With the real handler


def test_the_real_handler_places_an_order_through_the_gateway(real_handler: Any) -> None:
    response = gateway(real_handler).handle(request())
    assert response.status == 201
    order = json.loads(response.body)
    assert order["customerId"] == SUB
    assert dict(response.headers)["Location"] == f"/prod/orders/{order['orderId']}"

    read = gateway(real_handler).handle(
        request("GET", f"/prod/orders/{order['orderId']}", body=b"")
    )
    assert (read.status, json.loads(read.body)) == (200, order)


@pytest.mark.parametrize(
    ("first", "last", "status"),
    [("good-token", "forged", 401), ("forged", "good-token", 200)],
    ids=["good-then-forged", "forged-then-good"],
)
def test_the_authorizer_checks_the_authorization_value_the_function_is_given(
    first: str, last: str, status: int
) -> None:
    # With two Authorization headers the authorizer read the first, the event the last.
    function = RecordingFunction()
    headers = (("Host", "127.0.0.1:3000"), ("Authorization", first), ("Authorization", last))
    response = gateway(function).handle(request(headers=headers))
    assert response.status == status
    for event in function.events:
        by_name = {name.lower(): value for name, value in event["headers"].items()}
        assert by_name["authorization"] == "good-token"


@pytest.mark.parametrize(
    "body",
    [
        b'{"items": []}',
        b'{"items": [{"sku": "MUG-01", "quantity": 1}], "customerId": "mallory"}',
        b'{"items": [{"sku": "mug", "quantity": 1}]}',
        b"not json",
        b"",
    ],
    ids=["no items", "unknown field", "bad sku", "not json", "empty"],
)
def test_a_body_that_breaks_the_deployed_request_model_gets_400_before_the_function(
    body: bytes,
) -> None:
    # As the deployed request validator answers, with the model the stack deploys.
    function = RecordingFunction()
    response = gateway(function).handle(request(body=body))
    assert (response.status, json.loads(response.body)) == (
        400,
        {"message": "Invalid request body"},
    )
    assert dict(response.headers)["x-amzn-ErrorType"] == "BadRequestException"
    assert function.events == []


def test_the_authorizer_refuses_before_the_model_is_applied() -> None:
    headers = (("Host", "127.0.0.1:3000"), ("Content-Type", "application/json"))
    response = gateway().handle(request(headers=headers, body=b'{"items": []}'))
    assert response.status == 401


@pytest.mark.parametrize("content_type", ["APPLICATION/JSON", "application/json; charset=utf-8"])
def test_a_body_that_fits_the_model_reaches_the_function_whatever_the_media_types_case(
    content_type: str,
) -> None:
    function = RecordingFunction()
    headers = (("Content-Type", content_type), ("Authorization", "good-token"))
    assert gateway(function).handle(request(headers=headers)).status == 200
    assert len(function.events) == 1
