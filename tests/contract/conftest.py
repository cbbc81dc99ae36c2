"""Every OrderRepository implementation, as one parametrized fixture (the twin's storage
service included: what its execution environments' processes call).

DynamoDB runs twice: against moto (in-process), and against a real DynamoDB-compatible server
over a real connection when ORDERS_TEST_DYNAMODB_ENDPOINT is set (`make test` starts dynalite).
"""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto import mock_aws

from orders_api.adapters.dynamodb import (
    DynamoDBOrderRepository,
    create_table_if_missing,
    make_client,
)
from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.adapters.sqlite import SQLiteOrderRepository
from orders_api.domain import OrderRepository
from orders_api.twin.storage_process import StorageProcess
from orders_api.twin.storage_service import RemoteOrderRepository

DYNAMODB_ENDPOINT = os.environ.get("ORDERS_TEST_DYNAMODB_ENDPOINT")


@pytest.fixture(
    params=["memory", "sqlite", "twin-storage-process", "dynamodb-moto", "dynamodb-server"]
)
def repository(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OrderRepository]:
    kind: str = request.param
    if kind == "memory":
        yield InMemoryOrderRepository()
    elif kind == "sqlite":
        sqlite = SQLiteOrderRepository(tmp_path / "orders.sqlite3")
        yield sqlite
        sqlite.close()
    elif kind == "twin-storage-process":
        # What an execution environment uses: calls over a socket to the twin's storage process.
        storage = StorageProcess(tmp_path / "orders.sqlite3")
        channel = storage.open_channel()
        yield RemoteOrderRepository(requests=channel, answers=channel)
        os.close(channel)
        storage.close()
    elif kind == "dynamodb-moto":
        with mock_aws(), _atomic_moto_put_item():
            client = make_client(region="us-east-1")
            create_table_if_missing(client, "Orders")
            yield DynamoDBOrderRepository("Orders", client)
    else:
        if not DYNAMODB_ENDPOINT:
            pytest.skip("ORDERS_TEST_DYNAMODB_ENDPOINT is not set (make test starts dynalite)")
        client = make_client(endpoint_url=DYNAMODB_ENDPOINT, region="us-east-1")
        table = f"Orders-{uuid.uuid4().hex[:8]}"
        create_table_if_missing(client, table)
        yield DynamoDBOrderRepository(table, client)
        client.delete_table(TableName=table)


@contextlib.contextmanager
def _atomic_moto_put_item() -> Iterator[None]:
    """DynamoDB applies a conditional PutItem or UpdateItem atomically; moto's in-process
    backend checks the condition and writes in two steps, so two threads can both pass (seen
    under load: the concurrent-insert case stored two "winners"). One lock around both makes
    moto as atomic as the service it stands in for; the repository's own code is unchanged."""
    from moto.dynamodb.models import DynamoDBBackend

    originals = {name: getattr(DynamoDBBackend, name) for name in ("put_item", "update_item")}
    lock = threading.Lock()

    def atomic(name: str) -> object:
        original = originals[name]

        def write(self: DynamoDBBackend, *args: object, **kwargs: object) -> object:
            with lock:
                return original(self, *args, **kwargs)

        return write

    for name in originals:
        setattr(DynamoDBBackend, name, atomic(name))
    try:
        yield
    finally:
        for name, original in originals.items():
            setattr(DynamoDBBackend, name, original)
