"""Where the twin stores orders: the one place that chooses.

SQLite in the data dir by default (durable: every acknowledged order is fsync'd), held by the
twin's storage process (`storage_process.py`) that every execution environment calls; or any
DynamoDB endpoint (`--dynamodb-endpoint`, `--table`), which the environments reach through the
same adapter Lambda uses.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from orders_api.domain import StorageError
from orders_api.function.bootstrap import TABLE_NAME
from orders_api.twin.awslambda.processes import StorageChannels
from orders_api.twin.options import TwinOptions, TwinStartupError

SQLITE_FILE = "orders.sqlite3"


@dataclass(frozen=True, slots=True)
class Storage:
    kind: str
    """"sqlite" or "dynamodb", as the readiness endpoint reports it."""
    table_name: str
    """The stack output's TableName: the SQLite file or the DynamoDB table."""
    function_environment: dict[str, str] = field(default_factory=dict)
    """What the function's processes need in their environment to reach this storage as the
    deployed function does (DynamoDB only)."""
    channels: StorageChannels | None = None
    """The storage process the environments call (SQLite only)."""


@contextlib.contextmanager
def open_storage(options: TwinOptions) -> Iterator[Storage]:
    """The storage the options choose; closed on exit (after the environments that use it)."""
    if options.dynamodb_endpoint:
        yield _dynamodb(options)
        return
    from orders_api.twin.storage_process import StorageProcess, StorageStartError

    path = options.data_dir / SQLITE_FILE
    try:
        process = StorageProcess(path)
    except StorageStartError as exc:
        raise TwinStartupError(str(exc)) from exc
    try:
        yield Storage("sqlite", str(path), channels=process)
    finally:
        process.close()


def _dynamodb(options: TwinOptions) -> Storage:
    from botocore.exceptions import BotoCoreError

    from orders_api.adapters.dynamodb import create_table_if_missing, make_client

    if not options.table_name:
        raise TwinStartupError("--dynamodb-endpoint needs --table NAME")
    client = make_client(endpoint_url=options.dynamodb_endpoint, region=options.settings.region)
    try:
        create_table_if_missing(client, options.table_name)
    except (StorageError, BotoCoreError) as exc:
        raise TwinStartupError(f"cannot reach DynamoDB: {type(exc).__name__}") from exc
    return Storage(
        "dynamodb",
        options.table_name,
        function_environment={
            TABLE_NAME: options.table_name,
            "AWS_ENDPOINT_URL_DYNAMODB": options.dynamodb_endpoint or "",
            "AWS_DEFAULT_REGION": options.settings.region,
        },
    )
