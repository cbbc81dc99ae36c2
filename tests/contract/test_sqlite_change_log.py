"""The SQLite repository's change log (the twin's DynamoDB stream): every committed change, in
order, once per reader checkpoint, whichever process wrote it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from orders_api.adapters.sqlite import SQLiteOrderRepository
from orders_api.adapters.sqlite_changes import ChangeLog
from orders_api.domain import NewOrder, Order, OrderStatus
from orders_api.domain.ids import new_order_id

A_MUG = NewOrder.model_validate({"items": [{"sku": "MUG-01", "quantity": 1}]})


def _in_another_process(database: Path, statement: str) -> None:
    """Run `statement` with `repository` open on the database in a fresh interpreter, as
    `orders-api ops` does beside a running twin."""
    code = (
        "from datetime import UTC, datetime\n"
        "from orders_api.adapters.sqlite import SQLiteOrderRepository\n"
        "from orders_api.domain import OrderStatus\n"
        "from orders_api.service import OrderService\n"
        f"repository = SQLiteOrderRepository({str(database)!r})\n"
        f"{statement}\n"
        "repository.close()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_inserts_and_status_changes_are_logged_in_order_with_their_images(
    tmp_path: Path,
) -> None:
    database = tmp_path / "orders.sqlite3"
    repository = SQLiteOrderRepository(database)
    order = Order.place(new_order_id(), "alice", A_MUG, datetime.now(UTC))
    repository.insert(order)
    repository.insert(order)  # a replay changes nothing, and logs nothing
    repository.update_status(
        order.order_id, OrderStatus.PLACED, OrderStatus.SHIPPED, datetime.now(UTC)
    )
    repository.update_status(  # refused: logs nothing
        order.order_id, OrderStatus.PLACED, OrderStatus.CANCELLED, datetime.now(UTC)
    )
    log = ChangeLog(database, "test")
    changes = log.after(log.checkpoint())
    assert [change.event_name for change in changes] == ["INSERT", "MODIFY"]
    inserted, modified = changes
    assert inserted.old_record is None
    assert inserted.new_record == order.to_record()
    assert modified.old_record == order.to_record()
    assert modified.new_record["status"] == "SHIPPED"
    log.close()
    repository.close()


def test_a_reader_sees_what_other_processes_write_after_it_started(tmp_path: Path) -> None:
    database = tmp_path / "orders.sqlite3"
    repository = SQLiteOrderRepository(database)
    order = Order.place(new_order_id(), "alice", A_MUG, datetime.now(UTC))
    repository.insert(order)
    log = ChangeLog(database, "pipe")
    log.advance(log.after(0)[-1].sequence_number)
    # Another process opening and closing the database in between once left this reader
    # blind: the reader's own setup had closed a descriptor of the file, dropping the
    # process's locks (found by running `orders-api ops orders list` beside a twin).
    _in_another_process(database, "OrderService(repository).list_orders_by_status()")
    _in_another_process(
        database,
        f"repository.update_status({order.order_id!r}, OrderStatus.PLACED, "
        "OrderStatus.SHIPPED, datetime.now(UTC))",
    )
    changes = log.after(log.checkpoint())
    assert [change.event_name for change in changes] == ["MODIFY"]
    log.advance(changes[-1].sequence_number)
    assert log.after(log.checkpoint()) == []
    log.close()
    repository.close()
