"""DynamoDB storage: one item per order, partition key orderId (layout: table_layout.py).

The create path needs dynamodb:PutItem and nothing else: a conditional put that fails returns
the stored item (ReturnValuesOnConditionCheckFailure=ALL_OLD), so an idempotent replay costs
no GetItem. Reads use GetItem, and Query on an index for lists; nothing here ever scans. A
status change is one conditional UpdateItem that names no attribute but the key, the status
and its timestamp, as the fulfil function's role requires.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from orders_api.adapters.table_layout import (
    CREATED_KEY,
    CUSTOMER_INDEX,
    CUSTOMER_KEY,
    PARTITION_KEY,
    STATUS_CHANGED_KEY,
    STATUS_INDEX,
    STATUS_KEY,
    STREAM_VIEW_TYPE,
)
from orders_api.domain import (
    Order,
    OrderPage,
    OrderStatus,
    PageCursor,
    StatusUpdate,
    StorageError,
    StorageUnavailable,
)
from orders_api.domain.order import rfc3339_milliseconds, to_milliseconds

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


def plain_numbers(value: Any) -> Any:
    """A deserialised DynamoDB value with its numbers (Decimal) as the integers an order's are."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: plain_numbers(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [plain_numbers(inner) for inner in value]
    return value


def _from_item(item: dict[str, Any]) -> Order:
    return Order.from_record(
        {key: plain_numbers(_deserializer.deserialize(value)) for key, value in item.items()}
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
                ConditionExpression=f"attribute_not_exists({PARTITION_KEY})",
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
                TableName=self._table_name, Key={PARTITION_KEY: {"S": order_id}}
            )
        except (ClientError, BotoCoreError, HTTPClientError) as exc:
            raise _translate(exc) from exc
        item = response.get("Item")
        return None if item is None else _from_item(item)

    def list_by_customer(
        self, customer_id: str, limit: int, after: PageCursor | None = None
    ) -> OrderPage:
        return self._query(CUSTOMER_INDEX, CUSTOMER_KEY, customer_id, limit, after)

    def list_by_status(
        self,
        status: OrderStatus,
        limit: int,
        after: PageCursor | None = None,
        since: datetime | None = None,
    ) -> OrderPage:
        return self._query(STATUS_INDEX, STATUS_KEY, status.value, limit, after, since)

    def _query(
        self,
        index: str,
        key: str,
        value: str,
        limit: int,
        after: PageCursor | None,
        since: datetime | None = None,
    ) -> OrderPage:
        """One Query of `limit + 1` items on the index, newest first: the extra item tells
        whether another page exists, so a full last page never leads to an empty one."""
        condition = "#key = :key"
        values: dict[str, Any] = {":key": {"S": value}}
        if since is not None:
            condition += " AND #created >= :since"
            values[":since"] = {"S": rfc3339_milliseconds(to_milliseconds(since))}
        arguments: dict[str, Any] = {
            "TableName": self._table_name,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#key": key, "#created": CREATED_KEY}
            if since is not None
            else {"#key": key},
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit + 1,
        }
        if after is not None:
            arguments["ExclusiveStartKey"] = {
                key: {"S": value},
                CREATED_KEY: {"S": after.created_at},
                PARTITION_KEY: {"S": after.order_id},
            }
        orders: list[Order] = []
        try:
            # A Query stops at 1 MB; orders are under 4 KB, so a page of 101 takes one call,
            # but follow LastEvaluatedKey rather than trust that.
            while len(orders) <= limit:
                response = self._client.query(**arguments)
                orders += [_from_item(item) for item in response.get("Items", [])]
                last = response.get("LastEvaluatedKey")
                if last is None:
                    break
                arguments["ExclusiveStartKey"] = last
                arguments["Limit"] = limit + 1 - len(orders)
        except (ClientError, BotoCoreError, HTTPClientError) as exc:
            raise _translate(exc) from exc
        return OrderPage.of(orders[: limit + 1], limit)

    def update_status(
        self, order_id: str, expected: OrderStatus, status: OrderStatus, changed_at: datetime
    ) -> StatusUpdate | None:
        changed_at = to_milliseconds(changed_at)
        try:
            self._client.update_item(
                TableName=self._table_name,
                Key={PARTITION_KEY: {"S": order_id}},
                UpdateExpression="SET #status = :status, #changed = :changed",
                ConditionExpression="attribute_exists(#id) AND #status = :expected",
                ExpressionAttributeNames={
                    "#id": PARTITION_KEY,
                    "#status": STATUS_KEY,
                    "#changed": STATUS_CHANGED_KEY,
                },
                ExpressionAttributeValues={
                    ":status": {"S": status.value},
                    ":changed": {"S": rfc3339_milliseconds(changed_at)},
                    ":expected": {"S": expected.value},
                },
                ReturnValues="NONE",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise _translate(exc) from exc
            item: dict[str, Any] | None = exc.response.get("Item")  # type: ignore[assignment]
            if not item:
                return None  # attribute_exists failed: ALL_OLD returns the item whenever one is
            stored = _from_item(item)
            return StatusUpdate(order_id, stored.status, stored.status_changed_at, False)
        except (BotoCoreError, HTTPClientError) as exc:
            raise _translate(exc) from exc
        return StatusUpdate(order_id, status, changed_at, True)


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
    """Create the Orders table as the stack defines it (table_layout.py: key, indexes, stream;
    on-demand). Local use only: the deployed functions have no right to do this."""
    try:
        client.create_table(
            TableName=table_name,
            AttributeDefinitions=[
                {"AttributeName": name, "AttributeType": "S"}
                for name in (PARTITION_KEY, CUSTOMER_KEY, STATUS_KEY, CREATED_KEY)
            ],
            KeySchema=[{"AttributeName": PARTITION_KEY, "KeyType": "HASH"}],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": index,
                    "KeySchema": [
                        {"AttributeName": key, "KeyType": "HASH"},
                        {"AttributeName": CREATED_KEY, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
                for index, key in ((CUSTOMER_INDEX, CUSTOMER_KEY), (STATUS_INDEX, STATUS_KEY))
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": STREAM_VIEW_TYPE},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
            raise _translate(exc) from exc
        return
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
