"""The twin's storage process (`twin/storage_process.py`): what an environment acknowledged
survives the process's SIGKILL, the twin replaces a dead process, and a database it cannot open
stops the twin with the reason."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orders_api.adapters.sqlite import SQLiteOrderRepository
from orders_api.domain import NewOrder, Order, StorageUnavailable
from orders_api.domain.ids import new_order_id
from orders_api.twin.storage_process import StorageProcess, StorageStartError
from orders_api.twin.storage_service import RemoteOrderRepository

ORDER = NewOrder.model_validate({"items": [{"sku": "MUG-01", "quantity": 2}]})
RESTART_SECONDS = 30.0


def _order() -> Order:
    return Order.place(new_order_id(), "alice", ORDER, datetime.now(UTC))


_channels: list[int] = []


def _repository(storage: StorageProcess) -> RemoteOrderRepository:
    channel = storage.open_channel()
    _channels.append(channel)
    return RemoteOrderRepository(requests=channel, answers=channel)


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[StorageProcess]:
    process = StorageProcess(tmp_path / "orders.sqlite3")
    yield process
    while _channels:  # as environments exit: the process then stops without waiting for them
        os.close(_channels.pop())
    process.close()


def _wait_for_generation(storage: StorageProcess, generation: int) -> None:
    deadline = time.monotonic() + RESTART_SECONDS
    while storage.generation < generation:
        assert time.monotonic() < deadline, "the storage process was not replaced"
        time.sleep(0.05)


def test_an_acknowledged_order_survives_sigkill_of_the_storage_process(
    storage: StorageProcess, tmp_path: Path
) -> None:
    order = _order()
    assert _repository(storage).insert(order) is None
    os.kill(storage.pid, signal.SIGKILL)
    reader = SQLiteOrderRepository(tmp_path / "orders.sqlite3")
    try:
        assert reader.get(order.order_id) == order
    finally:
        reader.close()


def test_a_killed_storage_process_is_replaced_and_new_channels_reach_the_new_one(
    storage: StorageProcess,
) -> None:
    before = _order()
    old_channel = _repository(storage)
    old_channel.insert(before)
    os.kill(storage.pid, signal.SIGKILL)
    _wait_for_generation(storage, 1)
    with pytest.raises(StorageUnavailable):
        old_channel.get(before.order_id)
    after = _order()
    fresh = _repository(storage)
    assert fresh.insert(after) is None
    assert fresh.get(before.order_id) == before
    assert fresh.get(after.order_id) == after


def test_a_database_it_cannot_open_stops_the_twin_with_the_reason(tmp_path: Path) -> None:
    not_a_file = tmp_path / "orders.sqlite3"
    not_a_file.mkdir()
    with pytest.raises(StorageStartError, match="cannot open the orders database"):
        StorageProcess(not_a_file)
