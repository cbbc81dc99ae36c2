"""DynamoDB storage: one item per order, partition key orderId.

The create path needs dynamodb:PutItem and nothing else: a conditional put that fails returns
the stored item (ReturnValuesOnConditionCheckFailure=ALL_OLD), so an idempotent replay costs
no GetItem. Reads use GetItem alone.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from orders_api.domain import Order, StorageError, StorageUnavailable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# Codes DynamoDB uses when retrying later may succeed.
_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
    }
)

# Bounded, standard-mode retries; the Lambda timeout (configured in infra) exceeds their sum.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=2,
    read_timeout=3,
    tcp_keepalive=True,
)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def make_client(endpoint_url: str | None = None, region: str | None = None) -> DynamoDBClient:
    """One client per process: creating it costs milliseconds that warm invokes must not pay."""
    return boto3.client(
        "dynamodb", endpoint_url=endpoint_url, region_name=region, config=CLIENT_CONFIG
    )


def _to_item(record: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in record.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


def _from_item(item: dict[str, Any]) -> Order:
    return Order.from_record(
        {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}
    )


class DynamoDBOrderRepository:
    def __init__(self, table_name: str, client: DynamoDBClient) -> None:
        self._table_name = table_name
        self._client = client

    def insert(self, order: Order) -> Order | None:
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item=_to_item(order.to_record()),
                ConditionExpression="attribute_not_exists(orderId)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                item: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
                if item is None:
                    raise StorageError(
                        "conditional put failed without returning the stored item"
                    ) from exc
                return _from_item(item)
            raise _translate(exc) from exc
        except (BotoCoreError, HTTPClientError) as exc:
            raise _translate(exc) from exc
        return None

    def get(self, order_id: str) -> Order | None:
        try:
            response = self._client.get_item(
                TableName=self._table_name, Key={"orderId": {"S": order_id}}
            )
        except (ClientError, BotoCoreError, HTTPClientError) as exc:
            raise _translate(exc) from exc
        item = response.get("Item")
        return None if item is None else _from_item(item)


def _translate(exc: Exception) -> StorageError:
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _TRANSIENT_CODES:
            return StorageUnavailable(f"dynamodb: {code}")
        return StorageError(f"dynamodb: {code or 'unknown error'}")
    if isinstance(exc, BotoConnectionError | HTTPClientError):
        return StorageUnavailable(f"dynamodb: {exc.__class__.__name__}")
    return StorageError(f"dynamodb: {exc.__class__.__name__}")


def create_table_if_missing(client: DynamoDBClient, table_name: str) -> None:
    """Create the Orders table as the stack defines it (pk orderId, on-demand). Local use only:
    the deployed functions have no right to do this."""
    try:
        client.create_table(
            TableName=table_name,
            AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
            raise _translate(exc) from exc
        return
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
