"""At the boto3 boundary: DynamoDB answers become domain results or errors, never boto3 types."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.stub import ANY, Stubber

from orders_api.adapters.dynamodb import CLIENT_CONFIG, DynamoDBOrderRepository
from orders_api.domain import NewOrder, Order, StorageError, StorageUnavailable

ORDER = Order.place(
    "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
    "alice",
    NewOrder.model_validate({"items": [{"sku": "MUG-01", "quantity": 2}], "note": "hi"}),
    datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
)


@pytest.fixture
def stubbed() -> Iterator[tuple[DynamoDBOrderRepository, Stubber]]:
    client = boto3.client("dynamodb", region_name="us-east-1", config=CLIENT_CONFIG)
    with Stubber(client) as stubber:
        yield DynamoDBOrderRepository("Orders", client), stubber


def _conditional_put() -> dict[str, object]:
    return {
        "TableName": "Orders",
        "Item": ANY,
        "ConditionExpression": "attribute_not_exists(orderId)",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def test_a_new_order_is_one_conditional_put_asking_for_the_old_item(
    stubbed: tuple[DynamoDBOrderRepository, Stubber],
) -> None:
    repository, stubber = stubbed
    stubber.add_response("put_item", {}, _conditional_put())
    assert repository.insert(ORDER) is None
    stubber.assert_no_pending_responses()


def test_a_failed_condition_returns_the_stored_order_without_a_get(
    stubbed: tuple[DynamoDBOrderRepository, Stubber],
) -> None:
    repository, stubber = stubbed
    stored_item = {
        "orderId": {"S": ORDER.order_id},
        "customerId": {"S": "alice"},
        "status": {"S": "PLACED"},
        "createdAt": {"S": "2026-11-25T15:00:00.000Z"},
        "items": {"L": [{"M": {"sku": {"S": "MUG-01"}, "quantity": {"N": "2"}}}]},
        "note": {"S": "hi"},
        "requestFingerprint": {"S": ORDER.request_fingerprint},
    }
    stubber.add_client_error(
        "put_item",
        service_error_code="ConditionalCheckFailedException",
        http_status_code=400,
        expected_params=_conditional_put(),
        response_meta={},
        modeled_fields={"Item": stored_item},
    )
    assert repository.insert(ORDER) == ORDER


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ProvisionedThroughputExceededException", 400),
        ("ThrottlingException", 400),
        ("RequestLimitExceeded", 400),
        ("InternalServerError", 500),
        ("ServiceUnavailable", 503),
    ],
)
def test_throttling_and_server_errors_mean_storage_is_unavailable(
    stubbed: tuple[DynamoDBOrderRepository, Stubber], code: str, status: int
) -> None:
    repository, stubber = stubbed
    stubber.add_client_error("put_item", service_error_code=code, http_status_code=status)
    with pytest.raises(StorageUnavailable):
        repository.insert(ORDER)


@pytest.mark.parametrize(
    "code", ["ResourceNotFoundException", "AccessDeniedException", "ValidationException"]
)
def test_configuration_errors_are_storage_errors_not_retryable(
    stubbed: tuple[DynamoDBOrderRepository, Stubber], code: str
) -> None:
    repository, stubber = stubbed
    stubber.add_client_error("get_item", service_error_code=code, http_status_code=400)
    with pytest.raises(StorageError) as raised:
        repository.get(ORDER.order_id)
    assert not isinstance(raised.value, StorageUnavailable)


@pytest.mark.parametrize(
    "failure",
    [
        EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
        ConnectTimeoutError(endpoint_url="http://127.0.0.1:1"),
        ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
    ],
)
def test_connection_failures_and_timeouts_mean_storage_is_unavailable(
    failure: Exception, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.client("dynamodb", region_name="us-east-1", config=CLIENT_CONFIG)

    def fail(**_: object) -> None:
        raise failure

    monkeypatch.setattr(client, "put_item", fail)
    with pytest.raises(StorageUnavailable) as raised:
        DynamoDBOrderRepository("Orders", client).insert(ORDER)
    assert raised.value.__cause__ is failure


def test_the_client_retries_in_standard_mode_with_bounded_attempts_and_timeouts() -> None:
    assert CLIENT_CONFIG.retries == {"mode": "standard", "total_max_attempts": 3}
    assert CLIENT_CONFIG.connect_timeout <= 2
    assert CLIENT_CONFIG.read_timeout <= 3
