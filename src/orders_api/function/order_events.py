"""The event pipe's enrichment: DynamoDB stream records in, the orders they carry out.

EventBridge Pipes reads the Orders table's stream, keeps the records its filter selects (an
INSERT: an order placed; a MODIFY: a status changed), and invokes this function with a batch of
them as a JSON array; each element of the array it returns becomes the `detail` of one event
on the bus, in order
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-enrichment.html). The detail
is the order as the API returns it: never the request fingerprint. The local twin runs this
same code on its own change log.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import (
    DynamoDBRecord,
    DynamoDBStreamEvent,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_api.adapters.dynamodb import plain_numbers
from orders_api.domain import Order

logger = Logger(service="orders-api")


def order_of(record: DynamoDBRecord) -> dict[str, Any]:
    """The order a stream record's new image holds, field for field as the API's responses
    carry it (absent fields as null)."""
    image = record.dynamodb.new_image if record.dynamodb is not None else None
    if not image:
        raise ValueError(f"stream record {record.event_id} has no new image")
    return Order.from_record(plain_numbers(image)).model_dump(mode="json", by_alias=True)


def enrich(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One event detail per stream record, in the records' order."""
    return [order_of(record) for record in DynamoDBStreamEvent({"Records": records}).records]


@logger.inject_lambda_context
def lambda_handler(event: list[dict[str, Any]], context: LambdaContext) -> list[dict[str, Any]]:
    return enrich(event)
