"""The Lambda handler answers API Gateway proxy events (payload 1.0) as the API promises."""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.domain import StorageError, StorageUnavailable
from orders_api.function import handler
from tests.fakes import FakeLambdaContext, get_event, post_event

CUSTOMER = "7d0e20a8-374a-4b70-8c62-1b2d5a6f0b1e"


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, list[str]], dict[str, Any]]:
    result = handler.lambda_handler(event, FakeLambdaContext())  # type: ignore[arg-type]
    headers = {name.lower(): values for name, values in result["multiValueHeaders"].items()}
    return result["statusCode"], headers, json.loads(result["body"])


def test_posting_an_order_returns_201_with_its_location(
    repository: InMemoryOrderRepository,
) -> None:
    status, headers, body = invoke(post_event())
    assert status == 201
    assert body["customerId"] == CUSTOMER
    assert body["status"] == "PLACED"
    assert headers["location"] == [f"/prod/orders/{body['orderId']}"]
    assert headers["content-type"] == ["application/json"]
    assert len(repository) == 1


def test_the_customer_is_the_token_subject_whatever_the_body_says(
    repository: InMemoryOrderRepository,
) -> None:
    body = json.dumps({"items": [{"sku": "A", "quantity": 1}], "customerId": "mallory"})
    status, _, response = invoke(post_event(body))
    assert status == 422
    assert response["errors"] == [
        {"field": "customerId", "message": "Extra inputs are not permitted"}
    ]
    assert len(repository) == 0


def test_a_placed_order_is_read_back_with_get(repository: InMemoryOrderRepository) -> None:
    _, _, placed = invoke(post_event())
    status, _, body = invoke(get_event(placed["orderId"]))
    assert status == 200
    assert body == placed


def test_an_unknown_order_is_404(repository: InMemoryOrderRepository) -> None:
    status, _, body = invoke(get_event("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"))
    assert (status, body) == (404, {"message": "Order not found"})


def test_another_customers_order_is_404(repository: InMemoryOrderRepository) -> None:
    _, _, placed = invoke(post_event())
    event = get_event(placed["orderId"])
    event["requestContext"]["authorizer"]["claims"]["sub"] = "someone-else"
    status, _, _ = invoke(event)
    assert status == 404


def test_an_idempotent_replay_returns_200_with_the_same_order(
    repository: InMemoryOrderRepository,
) -> None:
    first_status, _, first = invoke(post_event(headers={"Idempotency-Key": "order-42"}))
    replay_status, _, replay = invoke(post_event(headers={"Idempotency-Key": "order-42"}))
    assert (first_status, replay_status) == (201, 200)
    assert replay == first
    assert len(repository) == 1


def test_reusing_an_idempotency_key_with_another_body_is_409(
    repository: InMemoryOrderRepository,
) -> None:
    invoke(post_event(headers={"Idempotency-Key": "order-42"}))
    other = json.dumps({"items": [{"sku": "OTHER", "quantity": 1}]})
    status, _, body = invoke(post_event(other, headers={"Idempotency-Key": "order-42"}))
    assert status == 409
    assert "Idempotency-Key" in body["message"]
    assert len(repository) == 1


def test_a_malformed_idempotency_key_is_400(repository: InMemoryOrderRepository) -> None:
    status, _, body = invoke(post_event(headers={"Idempotency-Key": "x" * 129}))
    assert status == 400
    assert body["errors"][0]["field"] == "Idempotency-Key"


def test_malformed_json_is_400(repository: InMemoryOrderRepository) -> None:
    status, _, body = invoke(post_event('{"items": ['))
    assert (status, body) == (400, {"message": "Request body is not valid JSON"})


def test_every_invalid_field_is_named_in_a_422(repository: InMemoryOrderRepository) -> None:
    body = json.dumps({"items": [{"sku": "bad sku", "quantity": 0}], "note": "n" * 501})
    status, _, response = invoke(post_event(body))
    assert status == 422
    assert {error["field"] for error in response["errors"]} == {
        "items[0].sku",
        "items[0].quantity",
        "note",
    }


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; b=x"]
)
def test_a_body_that_is_not_json_is_415(
    repository: InMemoryOrderRepository, content_type: str
) -> None:
    status, _, body = invoke(post_event(headers={"Content-Type": content_type}))
    assert status == 415
    assert body == {"message": "Content-Type must be application/json"}
    assert len(repository) == 0


def test_json_with_a_charset_is_accepted(repository: InMemoryOrderRepository) -> None:
    status, _, _ = invoke(post_event(headers={"Content-Type": "application/json; charset=utf-8"}))
    assert status == 201


def test_an_event_without_authorizer_claims_is_401(repository: InMemoryOrderRepository) -> None:
    event = post_event()
    del event["requestContext"]["authorizer"]
    status, _, body = invoke(event)
    assert (status, body) == (401, {"message": "Unauthorized"})
    assert len(repository) == 0


def test_unavailable_storage_is_503_with_retry_after(
    repository: InMemoryOrderRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    def throttled(_: object) -> None:
        raise StorageUnavailable("dynamodb: ThrottlingException", retry_after_seconds=2)

    monkeypatch.setattr(repository, "insert", throttled)
    status, headers, body = invoke(post_event())
    assert status == 503
    assert headers["retry-after"] == ["2"]
    assert body == {"message": "Service temporarily unavailable"}


def test_a_storage_misconfiguration_is_500_without_details(
    repository: InMemoryOrderRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: object) -> None:
        raise StorageError("dynamodb: ResourceNotFoundException")

    monkeypatch.setattr(repository, "insert", broken)
    status, _, body = invoke(post_event())
    assert (status, body) == (500, {"message": "Internal error"})


def test_an_unexpected_error_is_500_without_a_stack_trace(
    repository: InMemoryOrderRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(_: object) -> None:
        raise ZeroDivisionError("secret detail")

    monkeypatch.setattr(repository, "insert", failing)
    status, _, body = invoke(post_event())
    assert (status, body) == (500, {"message": "Internal error"})


def test_logs_carry_the_correlation_id_but_no_token_or_address(
    repository: InMemoryOrderRepository, caplog: pytest.LogCaptureFixture
) -> None:
    event = post_event()
    with caplog.at_level("DEBUG", logger="orders-api"):
        invoke(event)
    formatter = handler.logger.registered_formatter
    output = "\n".join(formatter.format(record) for record in caplog.records)
    log_lines = [json.loads(line) for line in output.splitlines()]
    placed = [line for line in log_lines if line.get("message") == "order placed"]
    assert placed
    assert placed[0]["correlation_id"] == event["requestContext"]["requestId"]
    token = event["headers"]["Authorization"]
    for forbidden in (token, "Harbour Road", "O'Brien", "203.0.113.10"):
        assert forbidden not in output


def test_an_order_placed_metric_is_emitted_in_embedded_metric_format(
    repository: InMemoryOrderRepository, capsys: pytest.CaptureFixture[str]
) -> None:
    invoke(post_event())
    output = capsys.readouterr().out
    metrics = [json.loads(line) for line in output.splitlines() if '"_aws"' in line]
    assert any(
        line.get("OrdersPlaced") == [1.0] or line.get("OrdersPlaced") == 1.0 for line in metrics
    )


def test_the_sample_events_are_not_modified_by_an_invocation(
    repository: InMemoryOrderRepository,
) -> None:
    event = post_event()
    before = copy.deepcopy(event)
    invoke(event)
    assert event == before


def test_a_body_that_is_not_utf8_gets_400_not_valid_json_rather_than_500(
    repository: InMemoryOrderRepository,
) -> None:
    body = base64.b64encode(b',]A\x14\xff\xfe"=').decode()
    result = handler.lambda_handler(
        post_event(body, isBase64Encoded=True),
        FakeLambdaContext(),  # type: ignore[arg-type]
    )
    assert result["statusCode"] == 400
    assert json.loads(result["body"]) == {"message": "Request body is not valid JSON"}
    assert len(repository) == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ('{"items":[{"sku":"MUG-01","quantity":1' + "0" * 5000 + "}]}", 422),
        ('{"items":' + "[" * 4000 + "]" * 4000 + "}", 400),
        ('{"items":[{"sku":"MUG-01","quantity":1e400}]}', 422),
    ],
    ids=["5000-digit quantity", "4000-deep items", "infinite quantity"],
)
def test_a_body_no_request_model_would_pass_is_a_4xx_never_a_500(
    repository: InMemoryOrderRepository, body: str, status: int
) -> None:
    got, _, response = invoke(post_event(body))
    assert got == status, response
    assert len(repository) == 0


def test_nothing_after_the_write_can_fail_even_without_request_context_path(
    repository: InMemoryOrderRepository,
) -> None:
    # The path was read after the PutItem: a 500 then, and a keyless retry placed a duplicate.
    event = post_event()
    del event["requestContext"]["path"]
    status, headers, body = invoke(event)
    assert status == 201, body
    assert headers["location"] == [f"/orders/{body['orderId']}"]
    assert len(repository) == 1


@pytest.mark.parametrize(
    "content_type", ["APPLICATION/JSON", "Application/Json;charset=UTF-8", "application/json"]
)
def test_media_types_are_case_insensitive(
    repository: InMemoryOrderRepository, content_type: str
) -> None:
    status, _, body = invoke(post_event(headers={"Content-Type": content_type}))
    assert status == 201, body


@pytest.mark.parametrize("note", ["\x1b[2J", "beep\x07", "\x9b31m", "nul\x00"])
def test_a_note_with_control_characters_is_refused_naming_the_field(
    repository: InMemoryOrderRepository, note: str
) -> None:
    body = json.dumps({"items": [{"sku": "MUG-01", "quantity": 1}], "note": note})
    status, _, response = invoke(post_event(body))
    assert status == 422
    assert [problem["field"] for problem in response["errors"]] == ["note"]


def test_a_note_may_run_over_lines(repository: InMemoryOrderRepository) -> None:
    note = "Leave it with number 12.\r\nThe green door.\tThanks!"
    body = json.dumps({"items": [{"sku": "MUG-01", "quantity": 1}], "note": note})
    status, _, response = invoke(post_event(body))
    assert (status, response["note"]) == (201, note)


def test_powertools_debug_message_of_the_route_arguments_shows_no_personal_data(
    repository: InMemoryOrderRepository, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("DEBUG", logger="aws_lambda_powertools"):
        invoke(post_event())
    (arguments,) = [
        record.getMessage()
        for record in caplog.records
        if record.getMessage().startswith("Calling API Route Handler")
    ]
    assert "LineItem(sku='TSHIRT-RED-M', quantity=2)" in arguments
    for personal in ("Harbour Road", "O'Brien", "Cork", "Leave at the door"):
        assert personal not in arguments


def _import_handler_in_a_fresh_interpreter(environment: dict[str, str]) -> str:
    program = (
        "import gc\n"
        "try:\n"
        "    import orders_api.function.handler\n"
        "except Exception as error:\n"
        "    print(type(error).__name__)\n"
        "print(gc.isenabled(), gc.get_freeze_count() > 0)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", program],
        env={
            **{name: value for name, value in os.environ.items() if not name.startswith("AWS_")},
            **environment,
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return completed.stdout.strip()


def test_init_leaves_the_garbage_collector_on_with_what_init_built_frozen() -> None:
    assert _import_handler_in_a_fresh_interpreter({}) == "True True"


def test_a_failed_init_leaves_the_garbage_collector_on_too() -> None:
    environment = {"AWS_LAMBDA_FUNCTION_NAME": "OrdersApi-create", "ORDERS_TABLE_NAME": ""}
    assert _import_handler_in_a_fresh_interpreter(environment).splitlines() == [
        "ConfigurationError",
        "True True",
    ]
