"""The pipe's enrichment turns DynamoDB stream records into the orders they carry.

tests/events/pipes_dynamodb_stream.json is the first record of AWS's own sample of what a pipe
receives from a DynamoDB stream
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from boto3.dynamodb.types import TypeSerializer

from orders_api.domain import Order
from orders_api.domain.ids import new_order_id
from orders_api.function.order_events import enrich
from tests.fakes import TWO_MUGS
from tests.paths import EVENTS

AWS_SAMPLE: list[dict[str, Any]] = json.loads((EVENTS / "pipes_dynamodb_stream.json").read_text())
ORDER = Order.place(new_order_id(), "alice", TWO_MUGS, datetime(2026, 12, 1, tzinfo=UTC))


def _with_image(record: dict[str, Any], order: Order) -> dict[str, Any]:
    """AWS's sample record, carrying an order's item instead of its own."""
    changed = copy.deepcopy(record)
    image = {k: TypeSerializer().serialize(v) for k, v in order.to_record().items()}
    changed["dynamodb"]["NewImage"] = image
    changed["dynamodb"]["Keys"] = {"orderId": image["orderId"]}
    return changed


def test_the_detail_is_the_order_as_the_api_returns_it() -> None:
    (detail,) = enrich([_with_image(AWS_SAMPLE[0], ORDER)])
    assert detail == ORDER.model_dump(mode="json", by_alias=True)
    assert "requestFingerprint" not in detail


def test_a_record_that_is_no_order_is_refused_not_passed_on() -> None:
    with pytest.raises(ValueError, match="validation error"):
        enrich(AWS_SAMPLE)
