"""The twin's storage as a service its execution environments call, as deployed functions call
DynamoDB: every environment's reads and writes go to the one repository the twin holds, so
concurrent orders from all environments share its group commits (`adapters/sqlite.py`) instead
of contending for SQLite's write lock from ten processes.

One channel per environment (`wire.py` messages over a socket pair, or a pair of pipes): the
environment's `RemoteOrderRepository` sends a call, the service's thread for that channel
answers it. A write is answered only once committed, so an acknowledged order is as durable as
before. The twin runs the service in a process of its own (`storage_process.py`), so that its
pipe traffic, record decoding and commits do not share the front's interpreter lock.
"""

from __future__ import annotations

import contextlib
import os
import threading
from datetime import datetime
from typing import Any

from orders_api.domain import (
    Order,
    OrderPage,
    OrderRepository,
    OrderStatus,
    PageCursor,
    StatusUpdate,
    StorageError,
    StorageUnavailable,
)
from orders_api.twin.awslambda.wire import ChannelClosed, read_message, write_message


def _page(page: OrderPage) -> dict[str, Any]:
    cursor = page.next_cursor
    return {
        "orders": [order.to_record() for order in page.orders],
        "next": None if cursor is None else [cursor.created_at, cursor.order_id],
    }


def _from_page(answer: dict[str, Any]) -> OrderPage:
    cursor = answer["next"]
    return OrderPage(
        tuple(Order.from_record(record) for record in answer["orders"]),
        None if cursor is None else PageCursor(*cursor),
    )


def _cursor(value: list[str] | None) -> PageCursor | None:
    return None if value is None else PageCursor(*value)


def _moment(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


class StorageService:
    """Answers environments' storage calls with `repository`, one thread per environment."""

    def __init__(self, repository: OrderRepository) -> None:
        self._repository = repository

    def serve(self, requests: int, answers: int) -> threading.Thread:
        """Serve one environment's channel until it closes (then close its descriptors, which
        may be one socket's); the serving thread."""
        thread = threading.Thread(
            target=self._serve, args=(requests, answers), name="storage-service", daemon=True
        )
        thread.start()
        return thread

    def _serve(self, requests: int, answers: int) -> None:
        try:
            while True:
                try:
                    call = read_message(requests)
                except ChannelClosed:
                    return
                try:
                    answer = {"value": self._answer(call)}
                except StorageUnavailable as exc:
                    answer = {"unavailable": exc.reason, "retryAfter": exc.retry_after_seconds}
                except StorageError as exc:
                    answer = {"failed": exc.reason}
                write_message(answers, answer)
        except ChannelClosed:
            return
        finally:
            for descriptor in {requests, answers}:
                with contextlib.suppress(OSError):
                    os.close(descriptor)

    def _answer(self, call: dict[str, Any]) -> Any:
        repository = self._repository
        operation = call["op"]
        if operation == "insert":
            existing = repository.insert(Order.from_record(call["order"]))
            return None if existing is None else existing.to_record()
        if operation == "get":
            found = repository.get(call["orderId"])
            return None if found is None else found.to_record()
        if operation == "listByCustomer":
            return _page(
                repository.list_by_customer(
                    call["customerId"], call["limit"], _cursor(call["after"])
                )
            )
        if operation == "listByStatus":
            return _page(
                repository.list_by_status(
                    OrderStatus(call["status"]),
                    call["limit"],
                    _cursor(call["after"]),
                    _moment(call["since"]),
                )
            )
        if operation == "updateStatus":
            update = repository.update_status(
                call["orderId"],
                OrderStatus(call["expected"]),
                OrderStatus(call["status"]),
                datetime.fromisoformat(call["changedAt"]),
            )
            if update is None:
                return None
            changed = update.status_changed_at
            return {
                "status": update.status.value,
                "statusChangedAt": None if changed is None else changed.isoformat(),
                "applied": update.applied,
            }
        raise StorageError(f"unknown storage call {operation!r}")


class RemoteOrderRepository:
    """An OrderRepository in an execution environment: each call answered by the twin's
    `StorageService`. One call at a time, as an environment runs one invocation at a time."""

    def __init__(self, requests: int, answers: int) -> None:
        self._requests = requests
        self._answers = answers
        self._lock = threading.Lock()

    @classmethod
    def from_environment(cls, value: str) -> RemoteOrderRepository:
        read_fd, write_fd = (int(part) for part in value.split(","))
        return cls(requests=write_fd, answers=read_fd)

    def _call(self, **call: Any) -> Any:
        with self._lock:
            try:
                write_message(self._requests, call)
                answer = read_message(self._answers)
            except ChannelClosed as exc:
                raise StorageUnavailable("the twin's storage service is gone") from exc
        if "unavailable" in answer:
            raise StorageUnavailable(answer["unavailable"], int(answer["retryAfter"]))
        if "failed" in answer:
            raise StorageError(answer["failed"])
        return answer["value"]

    def insert(self, order: Order) -> Order | None:
        existing = self._call(op="insert", order=order.to_record())
        return None if existing is None else Order.from_record(existing)

    def get(self, order_id: str) -> Order | None:
        found = self._call(op="get", orderId=order_id)
        return None if found is None else Order.from_record(found)

    def list_by_customer(
        self, customer_id: str, limit: int, after: PageCursor | None = None
    ) -> OrderPage:
        return _from_page(
            self._call(
                op="listByCustomer",
                customerId=customer_id,
                limit=limit,
                after=None if after is None else [after.created_at, after.order_id],
            )
        )

    def list_by_status(
        self,
        status: OrderStatus,
        limit: int,
        after: PageCursor | None = None,
        since: datetime | None = None,
    ) -> OrderPage:
        return _from_page(
            self._call(
                op="listByStatus",
                status=status.value,
                limit=limit,
                after=None if after is None else [after.created_at, after.order_id],
                since=None if since is None else since.isoformat(),
            )
        )

    def update_status(
        self, order_id: str, expected: OrderStatus, status: OrderStatus, changed_at: datetime
    ) -> StatusUpdate | None:
        answer = self._call(
            op="updateStatus",
            orderId=order_id,
            expected=expected.value,
            status=status.value,
            changedAt=changed_at.isoformat(),
        )
        if answer is None:
            return None
        return StatusUpdate(
            order_id,
            OrderStatus(answer["status"]),
            _moment(answer["statusChangedAt"]),
            bool(answer["applied"]),
        )
