"""SQLite storage for the local twin: one row per order, durable once insert returns.

WAL with synchronous=FULL: a write is fsync'd to the log before the commit returns, so an
acknowledged order survives a process kill or a power cut.

Group commit: one writer thread owns the write connection. `insert` hands its order to the
writer and waits; the writer takes every order waiting at that moment, inserts them in one
transaction, commits (one fsync for the lot), and only then releases each caller with its own
outcome. A lone caller still gets its own commit; concurrent callers share one, so an fsync no
longer caps throughput at one order per fsync. Reads use a second connection and see committed
orders only.
"""

from __future__ import annotations

import json
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
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
_INSERT = (
    "INSERT INTO orders (order_id, customer_id, created_at, record) "
    "VALUES (?, ?, ?, ?) ON CONFLICT (order_id) DO NOTHING RETURNING order_id"
)
_SELECT = "SELECT record FROM orders WHERE order_id = ?"
_MAX_BATCH = 256
"""Orders per transaction at most: bounds the time the first caller of a batch waits."""


@dataclass(eq=False)
class _Write:
    """One caller's insert, and its outcome once the batch holding it is committed."""

    order: Order
    row: tuple[str, str, str, str]
    done: threading.Event = field(default_factory=threading.Event)
    existing: Order | None = None
    error: StorageUnavailable | None = None


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


class SQLiteOrderRepository:
    def __init__(
        self,
        path: str | Path,
        while_waiting: Callable[[], AbstractContextManager[object]] = nullcontext,
    ) -> None:
        """`while_waiting` is entered while a caller waits for its commit (the local twin lets
        its other execution environments run then)."""
        self._path = Path(path)
        self._while_waiting = while_waiting
        self._path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _private(self._path)
        self._writer_connection = _connect(self._path)
        self._writer_connection.execute(_SCHEMA)
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
        record = json.dumps(order.to_record(), separators=(",", ":"), ensure_ascii=False)
        write = _Write(
            order, (order.order_id, order.customer_id, str(order.to_api()["createdAt"]), record)
        )
        if self._closed:
            raise StorageUnavailable("sqlite: the repository is closed")
        self._pending.put(write)
        with self._while_waiting():
            write.done.wait()
        if write.error is not None:
            raise write.error
        return write.existing

    def get(self, order_id: str) -> Order | None:
        try:
            with self._reader_lock:
                row = self._reader.execute(_SELECT, (order_id,)).fetchone()
        except sqlite3.OperationalError as exc:
            raise StorageUnavailable(f"sqlite: {exc.__class__.__name__}") from exc
        return None if row is None else Order.from_record(json.loads(row[0]))

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
                    if connection.execute(_INSERT, write.row).fetchone() is None:
                        (record,) = connection.execute(_SELECT, (write.order.order_id,)).fetchone()
                        write.existing = Order.from_record(json.loads(record))
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:  # locked or busy beyond the timeout, disk full...
            error = StorageUnavailable(f"sqlite: {exc.__class__.__name__}")
            error.__cause__ = exc
            for write in batch:
                write.existing, write.error = None, error
        finally:
            for write in batch:
                write.done.set()
