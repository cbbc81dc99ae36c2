"""Where the twin stores orders: the one place that chooses.

SQLite in the data dir by default (durable: every acknowledged order is fsync'd), or any
DynamoDB endpoint (`--dynamodb-endpoint`, `--table`) through the same adapter Lambda uses.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from orders_api.domain import OrderRepository, StorageError
from orders_api.function.bootstrap import TABLE_NAME
from orders_api.service import OrderService
from orders_api.twin.options import TwinOptions, TwinStartupError

SQLITE_FILE = "orders.sqlite3"


@dataclass(frozen=True, slots=True)
class Storage:
    service: OrderService
    repository: OrderRepository
    kind: str
    """"sqlite" or "dynamodb", as the readiness endpoint reports it."""
    table_name: str
    """The stack output's TableName: the SQLite file or the DynamoDB table."""
    function_environment: dict[str, str] = field(default_factory=dict)
    """What the function's processes need in their environment to reach this storage as the
    deployed function does (DynamoDB only: the SQLite file is opened by the twin's runtime)."""


@contextlib.contextmanager
def open_storage(options: TwinOptions) -> Iterator[Storage]:
    """The order service on the storage the options choose; the storage is closed on exit."""
    if options.dynamodb_endpoint:
        yield _dynamodb(options)
        return
    from orders_api.adapters.sqlite import SQLiteOrderRepository

    path = options.data_dir / SQLITE_FILE
    sqlite = SQLiteOrderRepository(path)
    try:
        yield Storage(OrderService(sqlite), sqlite, "sqlite", str(path))
    finally:
        sqlite.close()


def _dynamodb(options: TwinOptions) -> Storage:
    from botocore.exceptions import BotoCoreError

    from orders_api.adapters.dynamodb import (
        DynamoDBOrderRepository,
        create_table_if_missing,
        make_client,
    )

    if not options.table_name:
        raise TwinStartupError("--dynamodb-endpoint needs --table NAME")
    client = make_client(endpoint_url=options.dynamodb_endpoint, region=options.settings.region)
    try:
        create_table_if_missing(client, options.table_name)
    except (StorageError, BotoCoreError) as exc:
        raise TwinStartupError(f"cannot reach DynamoDB: {type(exc).__name__}") from exc
    repository = DynamoDBOrderRepository(options.table_name, client)
    return Storage(
        OrderService(repository),
        repository,
        "dynamodb",
        options.table_name,
        function_environment={
            TABLE_NAME: options.table_name,
            "AWS_ENDPOINT_URL_DYNAMODB": options.dynamodb_endpoint or "",
            "AWS_DEFAULT_REGION": options.settings.region,
        },
    )
