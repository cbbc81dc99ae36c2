"""The function's own responses carry the API's CORS headers for an allowed origin.

API Gateway passes a proxy integration's headers through untouched, so without these a browser
page could not read an order. The handler is configured by the environment infra sets from
`API_CORS`; here that environment is applied to the handler module as Lambda would import it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.deployment.cors_policy import API_CORS
from orders_api.function import bootstrap, handler
from orders_api.function.cors_headers import EXPOSE_HEADERS, ORIGIN_PATTERN, ResponseCors
from orders_api.service import OrderService
from tests.fakes import FakeLambdaContext, get_event, post_event

DEV_ORIGIN = "http://localhost:5173"
FOREIGN_ORIGIN = "https://evil.example"


@pytest.fixture
def deployed_cors(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The handler configured with the environment the stack gives the functions."""
    monkeypatch.setattr(
        handler, "response_cors", ResponseCors.from_environment(API_CORS.function_environment())
    )
    bootstrap.install(OrderService(InMemoryOrderRepository()))
    yield
    bootstrap.install(None)


def with_origin(event: dict[str, Any], origin: str) -> dict[str, Any]:
    event["headers"]["Origin"] = origin
    event["multiValueHeaders"]["Origin"] = [origin]
    return event


def response_headers(event: dict[str, Any]) -> tuple[int, dict[str, list[str]]]:
    result = handler.lambda_handler(event, FakeLambdaContext())  # type: ignore[arg-type]
    headers = {name.lower(): values for name, values in result["multiValueHeaders"].items()}
    return result["statusCode"], headers


def cors_names(headers: dict[str, list[str]]) -> set[str]:
    return {name for name in headers if name.startswith("access-control-")}


def test_a_new_order_is_readable_by_an_allowed_origin(deployed_cors: None) -> None:
    status, headers = response_headers(with_origin(post_event(), DEV_ORIGIN))

    assert status == 201
    assert headers["access-control-allow-origin"] == [DEV_ORIGIN]
    assert headers["access-control-expose-headers"] == ["Location,Retry-After"]
    assert headers["vary"] == ["Origin"]
    assert headers["location"], "the function's own headers are kept"


def test_a_foreign_origin_gets_the_answer_without_cors_headers(deployed_cors: None) -> None:
    status, headers = response_headers(with_origin(post_event(), FOREIGN_ORIGIN))

    assert status == 201
    assert cors_names(headers) == set()
    assert "vary" not in headers


def test_an_error_mapped_by_an_exception_handler_is_readable_by_an_allowed_origin(
    deployed_cors: None,
) -> None:
    status, headers = response_headers(with_origin(get_event("o-unknown"), "http://127.0.0.1:8080"))

    assert status == 404
    assert headers["access-control-allow-origin"] == ["http://127.0.0.1:8080"]


def test_a_request_without_origin_gets_no_cors_headers(deployed_cors: None) -> None:
    status, headers = response_headers(post_event())

    assert status == 201
    assert cors_names(headers) == set()


def test_without_the_environment_the_handler_adds_no_cors_headers(
    monkeypatch: pytest.MonkeyPatch, deployed_cors: None
) -> None:
    monkeypatch.setattr(handler, "response_cors", None)

    _, headers = response_headers(with_origin(post_event(), DEV_ORIGIN))

    assert cors_names(headers) == set()


def test_the_environment_carries_the_policy_pattern_and_exposed_headers() -> None:
    environment = API_CORS.function_environment()

    assert environment == {
        ORIGIN_PATTERN: API_CORS.origin_pattern,
        EXPOSE_HEADERS: ",".join(API_CORS.expose_headers),
    }
    assert ResponseCors.from_environment({}) is None


@pytest.mark.parametrize(
    "origin",
    ["http://localhost:5173", "http://localhost", "http://127.0.0.1:1", "http://localhost:5173.x"],
)
def test_the_function_allows_exactly_the_origins_the_policy_allows(origin: str) -> None:
    cors = ResponseCors.from_environment(API_CORS.function_environment())
    assert cors is not None

    assert bool(cors.headers_for(origin)) is API_CORS.allows(origin)


def test_a_single_value_headers_response_has_its_cors_headers_replaced_not_doubled() -> None:
    cors = ResponseCors.from_environment(API_CORS.function_environment())
    assert cors is not None
    result = {"statusCode": 200, "headers": {"access-control-allow-origin": "*"}, "body": ""}

    applied = cors.apply({"headers": {"origin": DEV_ORIGIN}}, result)

    assert applied["headers"] == {
        "Access-Control-Allow-Origin": DEV_ORIGIN,
        "Vary": "Origin",
        "Access-Control-Expose-Headers": "Location,Retry-After",
    }
    assert result["headers"] == {"access-control-allow-origin": "*"}, "the input is not changed"
