"""SQLite storage for the local twin: one row per order, durable once insert returns.

WAL with synchronous=FULL: a write is fsync'd to the log before the commit returns, so an
acknowledged order survives a process kill or a power cut. One connection serialised by a lock
keeps concurrent requests safe; SQLite allows one writer at a time anyway.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path

from orders_api.domain import Order, StorageUnavailable

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id    TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    record      TEXT NOT NULL
) WITHOUT ROWID
"""


class SQLiteOrderRepository:
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(
            self._path, isolation_level=None, check_same_thread=False, timeout=5.0
        )
        self._connection.execute("PRAGMA journal_mode=WAL")
        self._connection.execute("PRAGMA synchronous=FULL")
        self._connection.execute(_SCHEMA)

    @property
    def path(self) -> Path:
        return self._path

    def insert(self, order: Order) -> Order | None:
        record = json.dumps(order.to_record(), separators=(",", ":"), ensure_ascii=False)
        try:
            with self._lock:
                cursor = self._connection.execute(
                    "INSERT INTO orders (order_id, customer_id, created_at, record) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING RETURNING order_id",
                    (order.order_id, order.customer_id, order.to_api()["createdAt"], record),
                )
                inserted = cursor.fetchone() is not None
                if inserted:
                    return None
                row = self._connection.execute(
                    "SELECT record FROM orders WHERE order_id = ?", (order.order_id,)
                ).fetchone()
        except sqlite3.OperationalError as exc:  # locked or busy beyond the timeout
            raise StorageUnavailable(f"sqlite: {exc.__class__.__name__}") from exc
        return Order.from_record(json.loads(row[0]))

    def get(self, order_id: str) -> Order | None:
        try:
            with self._lock:
                row = self._connection.execute(
                    "SELECT record FROM orders WHERE order_id = ?", (order_id,)
                ).fetchone()
        except sqlite3.OperationalError as exc:
            raise StorageUnavailable(f"sqlite: {exc.__class__.__name__}") from exc
        return None if row is None else Order.from_record(json.loads(row[0]))

    def count(self) -> int:
        with self._lock:
            (total,) = self._connection.execute("SELECT COUNT(*) FROM orders").fetchone()
        return int(total)

    def close(self) -> None:
        with self._lock:
            self._connection.close()
