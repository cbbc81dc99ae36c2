"""GET /orders: the caller's own orders, newest first, a page at a time."""

from __future__ import annotations

import json
from typing import Any

import pytest

from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.function import handler
from tests.fakes import FakeLambdaContext, list_event, post_event


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = handler.lambda_handler(event, FakeLambdaContext())  # type: ignore[arg-type]
    return result["statusCode"], json.loads(result["body"])


def _place(count: int) -> list[str]:
    ids = []
    for _ in range(count):
        status, body = invoke(post_event())
        assert status == 201
        ids.append(body["orderId"])
    return ids


def test_the_caller_gets_their_orders_newest_first_and_a_token_for_the_rest(
    repository: InMemoryOrderRepository,
) -> None:
    placed = _place(3)
    status, first = invoke(list_event(limit="2"))
    assert status == 200
    assert len(first["orders"]) == 2
    status, rest = invoke(list_event(limit="2", nextToken=first["nextToken"]))
    assert status == 200
    assert rest["nextToken"] is None
    listed = [order["orderId"] for order in first["orders"] + rest["orders"]]
    assert sorted(listed) == sorted(placed)
    created = [order["createdAt"] for order in first["orders"] + rest["orders"]]
    assert created == sorted(created, reverse=True)


def test_without_a_query_string_the_first_page_holds_up_to_twenty(
    repository: InMemoryOrderRepository,
) -> None:
    _place(21)
    status, body = invoke(list_event())
    assert status == 200
    assert len(body["orders"]) == 20
    assert body["nextToken"]


def test_nobody_sees_another_customers_orders(repository: InMemoryOrderRepository) -> None:
    _place(2)
    status, body = invoke(list_event(customer="someone-else"))
    assert (status, body) == (200, {"orders": [], "nextToken": None})


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", "\u0661", "9" * 40, ""])
def test_a_limit_outside_one_to_a_hundred_is_400_naming_it(
    repository: InMemoryOrderRepository, limit: str
) -> None:
    status, body = invoke(list_event(limit=limit))
    assert status == 400
    assert body["errors"][0]["field"] == "limit"


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "W10",  # base64url of []
        "WyIyMDI2IiwieCJd",  # ["2026","x"]
        "x" * 300,
        "\u00e9t\u00e9",
    ],
)
def test_a_token_this_api_never_gave_is_400_naming_it(
    repository: InMemoryOrderRepository, token: str
) -> None:
    status, body = invoke(list_event(nextToken=token))
    assert status == 400
    assert body["errors"][0]["field"] == "nextToken"


def test_a_repeated_parameter_counts_once_its_last_value_as_api_gateway_reads_it(
    repository: InMemoryOrderRepository,
) -> None:
    _place(3)
    event = list_event(limit="1")
    event["multiValueQueryStringParameters"] = {"limit": ["\u00e9t\u00e9", "junk", "2"]}
    event["queryStringParameters"] = {"limit": "2"}
    status, body = invoke(event)
    assert status == 200
    assert len(body["orders"]) == 2
