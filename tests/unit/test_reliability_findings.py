"""What the fuzzer, the fault proxy and the load tests found (tests/e2e/reliability), pinned
down in-process so that each stays fixed."""

from __future__ import annotations

import base64
import copy
import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from orders_api import bootstrap, handler
from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.adapters.sqlite import SQLiteOrderRepository
from orders_api.domain import IDEMPOTENCY_KEY_PATTERN, LineItem, NewOrder, Order
from orders_api.edge.environments import ExecutionEnvironments, fresh_module_copy
from orders_api.edge.twin import load_function
from orders_api.openapi import document
from orders_api.service import OrderService
from tests.paths import EVENTS

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
NEW_ORDER = NewOrder.model_validate({"items": [{"sku": "MUG-01", "quantity": 2}]})


class _Context:
    function_name = "orders-api-create"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:orders-api-create"
    aws_request_id = "52fdfc07-2182-454f-963f-5f0f9a621d72"


def _post_event(body: str, *, base64_encoded: bool = False, **headers: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "post_orders.json").read_text())
    event["body"] = body
    event["isBase64Encoded"] = base64_encoded
    for name, value in headers.items():
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]
    return event


@pytest.fixture
def in_memory() -> Iterator[InMemoryOrderRepository]:
    repository = InMemoryOrderRepository()
    bootstrap.install(OrderService(repository))
    yield repository
    bootstrap.install(None)


def test_a_body_that_is_not_utf8_gets_400_not_valid_json_rather_than_500(
    in_memory: InMemoryOrderRepository,
) -> None:
    body = base64.b64encode(b',]A\x14\xff\xfe"=').decode()
    result = handler.lambda_handler(_post_event(body, base64_encoded=True), _Context())
    assert result["statusCode"] == 400
    assert json.loads(result["body"]) == {"message": "Request body is not valid JSON"}
    assert len(in_memory) == 0


def test_a_quantity_written_as_an_integral_float_is_that_integer() -> None:
    # JSON Schema's "integer" includes 2.0, so a client generating from openapi.json may send it.
    assert LineItem.model_validate({"sku": "MUG-01", "quantity": 2.0}).quantity == 2


@pytest.mark.parametrize("quantity", [2.5, "2", True, float("nan"), float("inf"), 1e300])
def test_a_quantity_that_is_not_an_integer_is_still_refused(quantity: object) -> None:
    with pytest.raises(ValidationError) as raised:
        LineItem.model_validate({"sku": "MUG-01", "quantity": quantity})
    assert raised.value.errors()[0]["loc"] == ("quantity",)


def test_the_documented_idempotency_key_pattern_is_the_one_the_service_enforces() -> None:
    parameters = document()["paths"]["/orders"]["post"]["parameters"]
    (key,) = [p for p in parameters if p["name"].lower() == "idempotency-key"]
    assert key["schema"]["pattern"] == IDEMPOTENCY_KEY_PATTERN.pattern


class _LostReplyRepository(InMemoryOrderRepository):
    """Storage that applied the first attempt of a put whose reply was lost, then saw the
    retry: the retry finds the very item it carries."""

    def insert(self, order: Order) -> Order | None:
        super().insert(order)
        return order


def test_a_keyless_write_whose_first_reply_was_lost_is_created_not_a_500() -> None:
    service = OrderService(_LostReplyRepository(), clock=lambda: NOW)
    assert service.place_order("alice", NEW_ORDER).created


def test_a_keyed_write_whose_first_reply_was_lost_returns_the_order_as_a_replay() -> None:
    # Storage cannot tell its own retry from the client's: either way the caller gets its order.
    service = OrderService(_LostReplyRepository(), clock=lambda: NOW)
    placement = service.place_order("alice", NEW_ORDER, "lost-reply-1")
    assert (placement.created, placement.order.customer_id) == (False, "alice")


def test_a_client_retry_with_the_same_key_later_is_still_a_replay() -> None:
    times = iter([NOW, NOW + timedelta(seconds=5)])
    service = OrderService(InMemoryOrderRepository(), clock=lambda: next(times))
    first = service.place_order("alice", NEW_ORDER, "retry-1")
    retry = service.place_order("alice", NEW_ORDER, "retry-1")
    assert (first.created, retry.created) == (True, False)
    assert retry.order == first.order


def test_concurrent_invocations_in_several_environments_never_see_each_others_requests(
    tmp_path: Path,
) -> None:
    environments = ExecutionEnvironments(
        lambda: load_function(fresh_module_copy("orders_api.handler")), count=8
    )
    # As in the twin: an invocation waiting for its commit lets the others run meanwhile.
    repository = SQLiteOrderRepository(tmp_path / "orders.sqlite3", environments.others_may_run)
    bootstrap.install(OrderService(repository))
    template = _post_event("")

    def place(number: int) -> tuple[str, str, dict[str, Any]]:
        customer, key = f"customer-{number % 2}", f"key-{number}"
        event = copy.deepcopy(template)
        event["requestContext"]["authorizer"]["claims"]["sub"] = customer
        event["headers"]["Idempotency-Key"] = key
        event["multiValueHeaders"]["Idempotency-Key"] = [key]
        event["body"] = json.dumps({"items": [{"sku": "MUG-01", "quantity": 1}], "note": key})
        # A path of its own, so that a Location built from another request's event shows.
        event["requestContext"]["path"] = f"/{key}/orders"
        return customer, key, environments(event, _Context())

    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch often, so that any shared request state shows
    try:
        futures = [environments.executor.submit(place, number) for number in range(200)]
        answers = [future.result(timeout=60) for future in futures]
    finally:
        sys.setswitchinterval(switch_interval)
        environments.close()
        bootstrap.install(None)
        repository.close()
    mixed_up = [
        (customer, key, result["statusCode"], json.loads(result["body"]).get("note"))
        for customer, key, result in answers
        if result["statusCode"] != 201
        or json.loads(result["body"])["customerId"] != customer
        or json.loads(result["body"])["note"] != key
        or not result["multiValueHeaders"]["Location"][0].startswith(f"/{key}/orders/")
    ]
    assert mixed_up == []
