"""SQLite storage for the local twin: one row per order, durable once a write returns.

WAL with synchronous=FULL: a write is fsync'd to the log before the commit returns, so an
acknowledged order survives a process kill or a power cut.

Group commit: one writer thread owns the write connection. A write (an insert or a status
update) is handed to the writer and its caller waits; the writer takes every write waiting at
that moment, applies them in one transaction, commits (one fsync for the lot), and only then
releases each caller with its own outcome. A lone caller still gets its own commit; concurrent
callers share one, so an fsync no longer caps throughput at one order per fsync. Reads use a
second connection and see committed orders only.

The table's layout mirrors DynamoDB's (adapters/table_layout.py): an index by customer and one
by status, both on creation time, and a change log written in the same transaction as each
change: the twin's DynamoDB stream (`SQLiteStream`), which its event pipe reads.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from orders_api.domain import (
    Order,
    OrderPage,
    OrderStatus,
    PageCursor,
    StatusUpdate,
    StorageUnavailable,
)
from orders_api.domain.order import rfc3339_milliseconds, to_milliseconds

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS orders (
        order_id    TEXT PRIMARY KEY,
        customer_id TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        record      TEXT NOT NULL
    ) WITHOUT ROWID
    """,
)
_SCHEMA_VERSION_2 = (
    # Version 1 databases (written before statuses changed) hold PLACED orders only.
    "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'PLACED'",
    "CREATE INDEX orders_by_customer ON orders (customer_id, created_at, order_id)",
    "CREATE INDEX orders_by_status ON orders (status, created_at, order_id)",
    """
    CREATE TABLE stream (
        sequence_number INTEGER PRIMARY KEY AUTOINCREMENT,
        event_name      TEXT NOT NULL CHECK (event_name IN ('INSERT', 'MODIFY')),
        order_id        TEXT NOT NULL,
        old_record      TEXT,
        new_record      TEXT NOT NULL,
        created         REAL NOT NULL
    )
    """,
    "CREATE TABLE stream_readers (reader TEXT PRIMARY KEY, sequence_number INTEGER NOT NULL)",
    "PRAGMA user_version = 2",
)
_INSERT = (
    "INSERT INTO orders (order_id, customer_id, created_at, status, record) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING RETURNING order_id"
)
_SELECT = "SELECT record FROM orders WHERE order_id = ?"
_UPDATE = "UPDATE orders SET status = ?, record = ? WHERE order_id = ?"
_LOG_CHANGE = (
    "INSERT INTO stream (event_name, order_id, old_record, new_record, created) "
    "VALUES (?, ?, ?, ?, ?)"
)
_BY_CUSTOMER = "SELECT record FROM orders WHERE customer_id = ?"
_BY_STATUS = "SELECT record FROM orders WHERE status = ? AND created_at >= ?"
_AFTER = " AND (created_at < ? OR (created_at = ? AND order_id < ?))"
_NEWEST_FIRST = " ORDER BY created_at DESC, order_id DESC LIMIT ?"
_MAX_BATCH = 256
"""Writes per transaction at most: bounds the time the first caller of a batch waits."""


def _text(record: dict[str, object]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


@dataclass(eq=False)
class _Insert:
    """One caller's insert, and its outcome once the batch holding it is committed."""

    order: Order
    done: threading.Event = field(default_factory=threading.Event)
    existing: Order | None = None
    error: StorageUnavailable | None = None

    def apply(self, connection: sqlite3.Connection) -> None:
        order = self.order
        record = _text(order.to_record())
        row = (
            order.order_id,
            order.customer_id,
            rfc3339_milliseconds(order.created_at),
            order.status,
            record,
        )
        if connection.execute(_INSERT, row).fetchone() is None:
            (stored,) = connection.execute(_SELECT, (order.order_id,)).fetchone()
            self.existing = Order.from_record(json.loads(stored))
            return
        connection.execute(_LOG_CHANGE, ("INSERT", order.order_id, None, record, time.time()))


@dataclass(eq=False)
class _StatusChange:
    """One caller's conditional status update, and its outcome once committed."""

    order_id: str
    expected: OrderStatus
    status: OrderStatus
    changed_at: datetime
    done: threading.Event = field(default_factory=threading.Event)
    outcome: StatusUpdate | None = None
    error: StorageUnavailable | None = None

    def apply(self, connection: sqlite3.Connection) -> None:
        row = connection.execute(_SELECT, (self.order_id,)).fetchone()
        if row is None:
            return
        old_record = json.loads(row[0])
        stored = Order.from_record(old_record)
        if stored.status != self.expected:
            self.outcome = StatusUpdate(
                self.order_id, stored.status, stored.status_changed_at, False
            )
            return
        updated = stored.model_copy(
            update={"status": self.status, "status_changed_at": self.changed_at}
        )
        new_record = _text(updated.to_record())
        connection.execute(_UPDATE, (self.status, new_record, self.order_id))
        connection.execute(_LOG_CHANGE, ("MODIFY", self.order_id, row[0], new_record, time.time()))
        self.outcome = StatusUpdate(self.order_id, self.status, self.changed_at, True)


_Write = _Insert | _StatusChange


PRIVATE_MODE = 0o600
"""Orders hold customers' names and addresses: only the owner may read the file. SQLite gives
its -wal and -shm files the database file's mode."""


def _private(path: Path) -> None:
    """Create the database file owner-only, or make an existing one so, before SQLite opens it
    (SQLite itself creates files with the umask's mode, commonly 0644)."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_MODE)
    finally:
        os.close(descriptor)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.chmod(PRIVATE_MODE)


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=5.0)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    return connection


def _migrate(connection: sqlite3.Connection) -> None:
    """Bring the database to the current schema, in one transaction per step."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA:
            connection.execute(statement)
        (version,) = connection.execute("PRAGMA user_version").fetchone()
        if version < 2:
            for statement in _SCHEMA_VERSION_2:
                connection.execute(statement)
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise


def connect_existing(path: Path) -> sqlite3.Connection:
    """Another connection to a database that a repository has opened (created and migrated).

    It never opens the file by other means: closing any descriptor of a database file drops
    every POSIX lock this process holds on it, the other connections' included
    (https://www.sqlite.org/howtocorrupt.html, section 2.2), as `_private` would.
    """
    if not path.is_file():
        raise FileNotFoundError(path)
    return _connect(path)


def open_private(path: Path) -> sqlite3.Connection:
    """A connection to the orders database at `path`, created owner-only and migrated. Call
    it before any other connection of this process to that file (see `connect_existing`)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _private(path)
    connection = _connect(path)
    _migrate(connection)
    return connection


def _since_text(since: datetime | None) -> str:
    return "" if since is None else rfc3339_milliseconds(to_milliseconds(since))


class SQLiteOrderRepository:
    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._writer_connection = open_private(self._path)
        self._reader_lock = threading.Lock()
        self._reader = _connect(self._path)
        self._pending: queue.SimpleQueue[_Write | None] = queue.SimpleQueue()
        self._closed = False
        self._writer = threading.Thread(
            target=self._write_batches, name="sqlite-writer", daemon=True
        )
        self._writer.start()

    @property
    def path(self) -> Path:
        return self._path

    def insert(self, order: Order) -> Order | None:
        """None once the order is committed; the stored order if its id already exists."""
        write = _Insert(order)
        self._commit_and_wait(write)
        return write.existing

    def update_status(
        self, order_id: str, expected: OrderStatus, status: OrderStatus, changed_at: datetime
    ) -> StatusUpdate | None:
        write = _StatusChange(order_id, expected, status, to_milliseconds(changed_at))
        self._commit_and_wait(write)
        return write.outcome

    def get(self, order_id: str) -> Order | None:
        rows = self._read(_SELECT, (order_id,))
        return None if not rows else Order.from_record(json.loads(rows[0][0]))

    def list_by_customer(
        self, customer_id: str, limit: int, after: PageCursor | None = None
    ) -> OrderPage:
        return self._page(_BY_CUSTOMER, (customer_id,), limit, after)

    def list_by_status(
        self,
        status: OrderStatus,
        limit: int,
        after: PageCursor | None = None,
        since: datetime | None = None,
    ) -> OrderPage:
        return self._page(_BY_STATUS, (status.value, _since_text(since)), limit, after)

    def _page(
        self, select: str, arguments: tuple[str, ...], limit: int, after: PageCursor | None
    ) -> OrderPage:
        """A page of what `select` (one of the queries above) finds, newest first."""
        sql = select
        if after is not None:
            sql += _AFTER
            arguments += (after.created_at, after.created_at, after.order_id)
        rows = self._read(sql + _NEWEST_FIRST, (*arguments, limit + 1))
        return OrderPage.of([Order.from_record(json.loads(row[0])) for row in rows], limit)

    def _read(self, sql: str, arguments: tuple[object, ...]) -> list[tuple[str]]:
        try:
            with self._reader_lock:
                return list(self._reader.execute(sql, arguments).fetchall())
        except sqlite3.OperationalError as exc:
            raise StorageUnavailable(f"sqlite: {exc.__class__.__name__}") from exc

    def _commit_and_wait(self, write: _Write) -> None:
        if self._closed:
            raise StorageUnavailable("sqlite: the repository is closed")
        self._pending.put(write)
        write.done.wait()
        if write.error is not None:
            raise write.error

    def count(self) -> int:
        with self._reader_lock:
            (total,) = self._reader.execute("SELECT COUNT(*) FROM orders").fetchone()
        return int(total)

    def close(self) -> None:
        """Commit what is queued, then stop the writer and close both connections."""
        if self._closed:
            return
        self._closed = True
        self._pending.put(None)
        self._writer.join()
        self._writer_connection.close()
        with self._reader_lock:
            self._reader.close()

    def _write_batches(self) -> None:
        stopping = False
        while not stopping:
            first = self._pending.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < _MAX_BATCH:
                try:
                    write = self._pending.get_nowait()
                except queue.Empty:
                    break
                if write is None:
                    stopping = True
                    break
                batch.append(write)
            self._commit(batch)

    def _commit(self, batch: list[_Write]) -> None:
        connection = self._writer_connection
        try:
            connection.execute("BEGIN IMMEDIATE")
            try:
                for write in batch:
                    write.apply(connection)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:  # locked or busy beyond the timeout, disk full...
            error = StorageUnavailable(f"sqlite: {exc.__class__.__name__}")
            error.__cause__ = exc
            for write in batch:
                write.error = error
        finally:
            for write in batch:
                write.done.set()
