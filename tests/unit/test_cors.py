"""The API's CORS policy as data, and the twin's CORS around the gateway."""

from __future__ import annotations

import re
from typing import Any

import pytest

from orders_api.deployment.cors import API_CORS, CorsPolicy
from orders_api.edge.authorizer import AuthorizerDenied
from orders_api.edge.cors import ApiCors
from orders_api.edge.gateway import Gateway
from orders_api.edge.http import HttpRequest, HttpResponse


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:5173", "http://127.0.0.1:8080", "http://localhost", "http://localhost:1"],
)
def test_dev_servers_on_this_machine_are_allowed_origins(origin: str) -> None:
    assert API_CORS.allows(origin)


@pytest.mark.parametrize(
    "origin",
    [
        "https://localhost:5173",  # another scheme is another origin
        "http://localhost:5173.evil.example",
        "http://localhost.evil.example",
        "http://127.0.0.1.nip.io:80",
        "http://localhost:123456",
        "http://[::1]:3000",
        "null",
        "*",
        "",
    ],
)
def test_other_origins_are_not_allowed(origin: str) -> None:
    assert not API_CORS.allows(origin)


def test_exact_origins_match_exactly() -> None:
    policy = CorsPolicy(allow_origins=("https://app.example.com",))

    assert policy.allows("https://app.example.com")
    assert not policy.allows("https://app.example.com:8443")
    assert not policy.allows("https://appxexample.com")


def test_the_origin_pattern_is_a_plain_regular_expression_for_api_gateways_vtl() -> None:
    # Java's String.matches understands this subset: groups, alternation, escapes, {m,n}, ?.
    assert re.fullmatch(r"[\w:/.\\()|?{},\[\]-]+", API_CORS.origin_pattern)


def test_the_allowed_methods_follow_the_routes() -> None:
    assert API_CORS.allow_methods == ("GET", "OPTIONS", "POST")


class Refusing:
    def authorize(self, authorization_header: str | None, scopes: tuple[str, ...] = ()) -> Any:
        raise AuthorizerDenied(HttpResponse.message(401, "Unauthorized"), "no token")


class Blocker:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def inspect(self, request: HttpRequest) -> HttpResponse | None:
        self.seen.append(request.method)
        # What the web ACL's block becomes: API Gateway's WAF_FILTERED gateway response.
        return HttpResponse.message(403, "Forbidden", ("x-amzn-ErrorType", "ForbiddenException"))

    def stats(self) -> dict[str, object]:
        return {}


def gateway(**overrides: Any) -> Gateway:
    return Gateway(
        handler=lambda event, context: {"statusCode": 200, "body": "{}"},
        authorizer=Refusing(),
        api_id="a1b2c3d4e5",
        **overrides,
    )


def request(method: str, path: str, origin: str | None) -> HttpRequest:
    headers = (("Origin", origin),) if origin else ()
    return HttpRequest(method, path, "", (("Host", "127.0.0.1"), *headers), b"", "127.0.0.1")


def test_a_preflight_passes_the_web_acl_first() -> None:
    blocker = Blocker()

    response = ApiCors(stage="prod").respond(
        request("OPTIONS", "/prod/orders", "http://localhost:3000"),
        gateway(request_filter=blocker),
    )

    assert blocker.seen == ["OPTIONS"]
    assert response.status == 403
    assert ("Access-Control-Allow-Origin", "http://localhost:3000") in response.headers


@pytest.mark.parametrize("request_filter", [None, Blocker()], ids=["answered", "blocked"])
def test_every_preflight_answer_carries_a_request_id(request_filter: Blocker | None) -> None:
    response = ApiCors(stage="prod").respond(
        request("OPTIONS", "/prod/orders", "http://localhost:3000"),
        gateway(request_filter=request_filter),
    )

    assert [name for name, _ in response.headers].count("x-amzn-RequestId") == 1


def test_a_preflight_from_a_foreign_origin_gets_no_cors_headers() -> None:
    response = ApiCors(stage="prod").respond(
        request("OPTIONS", "/prod/orders", "https://evil.example"), gateway()
    )

    assert response.status == 204
    assert not [name for name, _ in response.headers if name.lower().startswith("access-control")]


@pytest.mark.parametrize(
    ("path", "message"),
    [("/dev/orders", "Forbidden"), ("/prod/nothing", "Missing Authentication Token")],
)
def test_options_outside_the_apis_resources_is_left_to_the_gateway(path: str, message: str) -> None:
    response = ApiCors(stage="prod").respond(
        request("OPTIONS", path, "http://localhost:3000"), gateway()
    )

    assert response.status == 403
    assert message in response.body.decode()
    assert "Access-Control-Allow-Methods" not in dict(response.headers)


def test_a_refusal_is_readable_by_an_allowed_origin() -> None:
    response = ApiCors(stage="prod").respond(
        request("POST", "/prod/orders", "http://127.0.0.1:5173"), gateway()
    )

    assert response.status == 401
    assert dict(response.headers)["Access-Control-Allow-Origin"] == "http://127.0.0.1:5173"
    assert dict(response.headers)["Vary"] == "Origin"


def test_the_functions_own_response_passes_through_untouched() -> None:
    function_headers = {"Access-Control-Allow-Origin": "http://localhost:5173", "Vary": "Origin"}
    response = ApiCors(stage="prod").decorate(
        request("GET", "/prod/orders/o-1", "http://localhost:5173"),
        HttpResponse(status=200, headers=tuple(function_headers.items())),
    )

    assert response.headers == tuple(function_headers.items()), "not added twice"


def test_a_web_acl_custom_response_gets_no_cors_headers_as_deployed() -> None:
    too_many = HttpResponse(status=429, headers=(("Retry-After", "60"),))

    response = ApiCors(stage="prod").decorate(
        request("POST", "/prod/orders", "http://localhost:5173"), too_many
    )

    assert response == too_many
