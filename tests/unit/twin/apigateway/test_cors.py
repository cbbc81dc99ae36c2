"""The twin's CORS: API Gateway's preflight answer, and CORS headers on its own responses."""

from __future__ import annotations

from typing import Any

import pytest

from orders_api.twin.apigateway.authorizer import UNAUTHORIZED, AuthorizerDenied
from orders_api.twin.apigateway.cors import ApiCors
from orders_api.twin.apigateway.gateway import Gateway
from orders_api.twin.http import HttpRequest, HttpResponse
from tests.fakes import UncachedAuthorizer


class Refusing(UncachedAuthorizer):
    def authorize(self, authorization_header: str | None, scopes: tuple[str, ...] = ()) -> Any:
        raise AuthorizerDenied(UNAUTHORIZED, "no token")


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


def test_a_preflight_from_a_foreign_origin_gets_no_cors_headers() -> None:
    response = ApiCors(stage="prod").preflight(
        request("OPTIONS", "/prod/orders", "https://evil.example")
    )
    assert response is not None

    assert response.status == 204
    assert not [name for name, _ in response.headers if name.lower().startswith("access-control")]


@pytest.mark.parametrize(
    ("path", "message"),
    [("/dev/orders", "Forbidden"), ("/prod/nothing", "Missing Authentication Token")],
)
def test_options_outside_the_apis_resources_is_left_to_the_gateway(path: str, message: str) -> None:
    options = request("OPTIONS", path, "http://localhost:3000")
    assert ApiCors(stage="prod").preflight(options) is None
    response = ApiCors(stage="prod").decorate(options, gateway().handle(options))

    assert response.status == 403
    assert message in response.body.decode()
    assert "Access-Control-Allow-Methods" not in dict(response.headers)


def test_a_refusal_is_readable_by_an_allowed_origin() -> None:
    post = request("POST", "/prod/orders", "http://127.0.0.1:5173")
    response = ApiCors(stage="prod").decorate(post, gateway().handle(post))

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
