"""The SQLite repository's change log, read in order: the local twin's DynamoDB stream.

`SQLiteOrderRepository` appends a change (INSERT or MODIFY, with the order's records before and
after) in the same transaction as the write itself, so a change is logged if and only if the
write committed. A reader takes the changes after its checkpoint, handles them, then moves its
checkpoint on: at least once, as a stream's consumers are. Changes older than a stream's
retention (24 hours) that every reader has passed are deleted.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orders_api.adapters.sqlite import connect_existing

RETENTION_SECONDS = 24 * 60 * 60
"""How long DynamoDB Streams keeps a record."""


@dataclass(frozen=True, slots=True)
class Change:
    sequence_number: int
    event_name: str
    """INSERT or MODIFY, as DynamoDB Streams names them."""
    order_id: str
    old_record: dict[str, Any] | None
    new_record: dict[str, Any]
    created: float
    """Seconds since the epoch at the write."""


class ChangeLog:
    """One reader's view of the change log of the orders database at `path`, which a
    `SQLiteOrderRepository` has created."""

    def __init__(self, path: Path, reader: str) -> None:
        self._connection: sqlite3.Connection = connect_existing(path)
        self._reader = reader

    def checkpoint(self) -> int:
        row = self._connection.execute(
            "SELECT sequence_number FROM stream_readers WHERE reader = ?", (self._reader,)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def after(self, sequence_number: int, limit: int = 100) -> list[Change]:
        """Up to `limit` changes after that sequence number, oldest first."""
        rows = self._connection.execute(
            "SELECT sequence_number, event_name, order_id, old_record, new_record, created "
            "FROM stream WHERE sequence_number > ? ORDER BY sequence_number LIMIT ?",
            (sequence_number, limit),
        ).fetchall()
        return [
            Change(
                number,
                event_name,
                order_id,
                None if old is None else json.loads(old),
                json.loads(new),
                created,
            )
            for number, event_name, order_id, old, new, created in rows
        ]

    def advance(self, sequence_number: int) -> None:
        """Record that every change up to that sequence number is handled (durably), and
        forget what is past retention and handled."""
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "INSERT INTO stream_readers (reader, sequence_number) VALUES (?, ?) "
                "ON CONFLICT (reader) DO UPDATE SET sequence_number = excluded.sequence_number",
                (self._reader, sequence_number),
            )
            connection.execute(
                "DELETE FROM stream WHERE created < ? AND sequence_number <= "
                "(SELECT MIN(sequence_number) FROM stream_readers)",
                (time.time() - RETENTION_SECONDS,),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._connection.close()
