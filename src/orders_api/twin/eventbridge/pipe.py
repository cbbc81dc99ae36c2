"""The pipe from the orders' change log to the bus: EventBridge Pipes, locally.

As the deployed pipes do (infra/events.py), it reads the table's stream in order, gives each
INSERT the detail-type OrderPlaced and each MODIFY OrderStatusChanged, passes the records to
the same enrichment code the deployed pipes invoke (`orders_api.function.order_events`) and
puts what it returns on the bus. The stream records have DynamoDB Streams' shape, as Pipes
hands them to an enrichment
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html). Delivery is
at least once: the checkpoint moves after the bus has logged the events.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from orders_api.adapters.sqlite_changes import Change, ChangeLog
from orders_api.adapters.table_layout import PARTITION_KEY, STREAM_VIEW_TYPE
from orders_api.domain.events import ORDER_PLACED, ORDER_STATUS_CHANGED
from orders_api.twin.eventbridge.bus import EventBus

DETAIL_TYPE_OF = {"INSERT": ORDER_PLACED, "MODIFY": ORDER_STATUS_CHANGED}
"""What each pipe's filter selects (eventName), and the detail-type its target sets."""
PIPE_NAME = "order-events"
POLL_SECONDS = 0.25
BATCH_SIZE = 100
MAXIMUM_RETRY_ATTEMPTS = 3
"""Attempts at one batch before it goes to the dead-letter file (a pipe's
MaximumRetryAttempts)."""

logger = logging.getLogger(__name__)
_serializer = TypeSerializer()


def _image(record: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(value) for key, value in record.items()}


def stream_record(change: Change, *, region: str, stream_arn: str) -> dict[str, Any]:
    """The change as DynamoDB Streams records it (view type NEW_AND_OLD_IMAGES)."""
    new_image = _image(change.new_record)
    dynamodb: dict[str, Any] = {
        "ApproximateCreationDateTime": int(change.created),
        "Keys": {PARTITION_KEY: {"S": change.order_id}},
        "NewImage": new_image,
        "SequenceNumber": f"{change.sequence_number:021d}",
        "SizeBytes": len(json.dumps(new_image).encode()),
        "StreamViewType": STREAM_VIEW_TYPE,
    }
    if change.old_record is not None:
        dynamodb["OldImage"] = _image(change.old_record)
    return {
        "eventID": f"{change.sequence_number:032x}",
        "eventName": change.event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }


class OrderEventsPipe:
    def __init__(
        self,
        change_log: ChangeLog,
        bus: EventBus,
        enrich: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
        *,
        region: str,
        stream_arn: str,
    ) -> None:
        self._changes = change_log
        self._bus = bus
        self._enrich = enrich
        self._region = region
        self._stream_arn = stream_arn
        self._failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="order-events-pipe", daemon=True)

    @property
    def events_path(self) -> Path:
        return self._bus.events_path

    def start(self) -> None:
        self._thread.start()

    def poll_once(self) -> int:
        """Move every change logged so far to the bus; how many events that made."""
        published = 0
        while True:
            changes = self._changes.after(self._changes.checkpoint(), BATCH_SIZE)
            if not changes:
                return published
            records = [
                stream_record(change, region=self._region, stream_arn=self._stream_arn)
                for change in changes
            ]
            try:
                details = self._enrich(records)
            except Exception as exc:
                self._failures += 1
                if self._failures < MAXIMUM_RETRY_ATTEMPTS:
                    raise
                self._bus.dead_letter(records, f"enrichment failed: {type(exc).__name__}")
                self._changes.advance(changes[-1].sequence_number)
                self._failures = 0
                continue
            self._failures = 0
            self._bus.put_events(
                (DETAIL_TYPE_OF[change.event_name], detail)
                for change, detail in zip(changes, details, strict=True)
            )
            self._changes.advance(changes[-1].sequence_number)
            published += len(changes)

    def close(self) -> None:
        """Publish what is logged, then stop."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            stopping = self._stop.wait(POLL_SECONDS)
            try:
                self.poll_once()
            except Exception:  # a bad batch stays logged; the next poll retries it
                logger.exception("the order events pipe failed; retrying")
            if stopping:
                return
