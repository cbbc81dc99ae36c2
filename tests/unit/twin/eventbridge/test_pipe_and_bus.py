"""The twin's pipe and bus: stream records shaped as AWS's, EventBridge's envelope, at-least-once
delivery, a dead-letter file for what cannot be delivered, and no address in the log."""

from __future__ import annotations

import json
import socket
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orders_api.adapters.sqlite import SQLiteOrderRepository
from orders_api.adapters.sqlite_changes import Change, ChangeLog
from orders_api.domain import Order, OrderStatus
from orders_api.domain.ids import new_order_id
from orders_api.function.order_events import enrich
from orders_api.twin.eventbridge.bus import EventBus, mask_address
from orders_api.twin.eventbridge.pipe import MAXIMUM_RETRY_ATTEMPTS, OrderEventsPipe, stream_record
from tests.fakes import TWO_MUGS
from tests.paths import EVENTS

AWS_SAMPLE: list[dict[str, Any]] = json.loads((EVENTS / "pipes_dynamodb_stream.json").read_text())
"""AWS's sample of what a pipe receives from a DynamoDB stream
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html)."""
MOMENT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _order() -> Order:
    return Order.place(new_order_id(), "alice", TWO_MUGS, MOMENT)


def test_the_twins_stream_records_have_every_field_of_aws_sample() -> None:
    order = _order()
    change = Change(7, "MODIFY", order.order_id, order.to_record(), order.to_record(), 1.5e9)
    ours = stream_record(change, region="us-east-1", stream_arn="arn:aws:dynamodb:x")
    sample = AWS_SAMPLE[0]
    assert set(sample) <= set(ours)
    assert set(sample["dynamodb"]) <= set(ours["dynamodb"])
    assert ours["dynamodb"]["Keys"] == {"orderId": {"S": order.order_id}}
    assert "OldImage" in ours["dynamodb"]
    assert enrich([ours]) == [order.model_dump(mode="json", by_alias=True)]


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)


def _bus(tmp_path: Path, log: Lines, **options: Any) -> EventBus:
    return EventBus(
        tmp_path,
        region="eu-west-1",
        account="000000000000",
        log=log,
        clock=lambda: MOMENT,
        **options,
    )


def test_an_event_is_enveloped_logged_durably_and_told_without_the_address(
    tmp_path: Path,
) -> None:
    log = Lines()
    bus = _bus(tmp_path, log, orders_email="owner@shop.example")
    order = _order()
    (envelope,) = bus.put_events([("OrderPlaced", order.to_api())])
    assert envelope["detail-type"] == "OrderPlaced"
    assert (envelope["source"], envelope["time"], envelope["region"]) == (
        "orders-api",
        "2026-12-01T09:30:00Z",
        "eu-west-1",
    )
    written = (tmp_path / "events.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in written] == [envelope]
    assert stat.S_IMODE((tmp_path / "events.jsonl").stat().st_mode) == 0o600
    assert any(f"e-mail to o***@shop.example: New order {order.order_id}" in x for x in log.lines)
    assert not any("owner@" in line for line in log.lines)


@pytest.mark.parametrize(
    ("address", "masked"),
    [("owner@shop.example", "o***@shop.example"), ("x@y.z", "x***@y.z"), ("no-at", "***")],
)
def test_an_address_is_masked_to_its_first_letter_and_domain(address: str, masked: str) -> None:
    assert mask_address(address) == masked


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_webhook_that_never_answers_gets_the_event_kept_in_the_dead_letter_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("orders_api.twin.eventbridge.bus.time.sleep", lambda _: None)
    log = Lines()
    bus = _bus(tmp_path, log, webhook=f"http://127.0.0.1:{_closed_port()}/events")
    (envelope,) = bus.put_events([("OrderPlaced", _order().to_api())])
    bus.close()
    failed = [
        json.loads(line) for line in (tmp_path / "events-failed.jsonl").read_text().splitlines()
    ]
    assert failed == [envelope]
    assert any("webhook failed (ConnectError)" in line for line in log.lines)


def _pipe(tmp_path: Path, enrichment: Any) -> tuple[SQLiteOrderRepository, OrderEventsPipe, Lines]:
    repository = SQLiteOrderRepository(tmp_path / "orders.sqlite3")
    log = Lines()
    pipe = OrderEventsPipe(
        ChangeLog(tmp_path / "orders.sqlite3", "order-events"),
        _bus(tmp_path, log),
        enrichment,
        region="eu-west-1",
        stream_arn="arn:aws:dynamodb:eu-west-1:000000000000:table/t/stream/local",
    )
    return repository, pipe, log


def test_the_pipe_publishes_each_change_once_in_order_with_its_detail_type(
    tmp_path: Path,
) -> None:
    repository, pipe, _ = _pipe(tmp_path, enrich)
    order = _order()
    repository.insert(order)
    repository.update_status(order.order_id, OrderStatus.PLACED, OrderStatus.SHIPPED, MOMENT)
    assert pipe.poll_once() == 2
    assert pipe.poll_once() == 0
    events = [json.loads(x) for x in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [(e["detail-type"], e["detail"]["status"]) for e in events] == [
        ("OrderPlaced", "PLACED"),
        ("OrderStatusChanged", "SHIPPED"),
    ]
    repository.close()


def test_a_batch_the_enrichment_keeps_refusing_is_retried_then_dead_lettered(
    tmp_path: Path,
) -> None:
    calls: list[int] = []

    def refusing(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        calls.append(len(records))
        raise ValueError("not an order")

    repository, pipe, _ = _pipe(tmp_path, refusing)
    repository.insert(_order())
    for _ in range(MAXIMUM_RETRY_ATTEMPTS - 1):
        with pytest.raises(ValueError, match="not an order"):
            pipe.poll_once()
    assert pipe.poll_once() == 0
    assert calls == [1] * MAXIMUM_RETRY_ATTEMPTS
    (kept,) = (tmp_path / "events-failed.jsonl").read_text().splitlines()
    assert json.loads(kept)["reason"] == "enrichment failed: ValueError"
    assert not (tmp_path / "events.jsonl").exists()
    assert pipe.poll_once() == 0
    repository.close()
