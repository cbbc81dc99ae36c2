"""An order SQLite acknowledged survives the process being killed right after."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from orders_api.adapters.sqlite import SQLiteOrderRepository

_WRITER = """
import os, sys, time
from datetime import UTC, datetime
from orders_api.adapters.sqlite import SQLiteOrderRepository
from orders_api.domain import NewOrder, Order
from orders_api.domain.ids import new_order_id

repository = SQLiteOrderRepository(sys.argv[1])
new_order = NewOrder.model_validate({"items": [{"sku": "MUG-01", "quantity": 1}]})
for _ in range(int(sys.argv[2])):
    order = Order.place(new_order_id(), "alice", new_order, datetime.now(UTC))
    assert repository.insert(order) is None
    print(order.order_id, flush=True)
time.sleep(60)
"""


def test_every_acknowledged_order_survives_sigkill(tmp_path: Path) -> None:
    database = tmp_path / "orders.sqlite3"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(database), "25"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    acknowledged = [writer.stdout.readline().strip() for _ in range(25)]
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=10)

    repository = SQLiteOrderRepository(database)
    try:
        assert all(repository.get(order_id) is not None for order_id in acknowledged)
        assert repository.count() == 25
    finally:
        repository.close()


def test_the_database_runs_in_wal_mode(tmp_path: Path) -> None:
    import sqlite3

    SQLiteOrderRepository(tmp_path / "orders.sqlite3").close()
    connection = sqlite3.connect(tmp_path / "orders.sqlite3")
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()
