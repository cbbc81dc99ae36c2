"""Where the business's commands run: the twin's data folder, or a deployed stack.

Both answer the same questions the same way. On the twin, the operator's commands open its
SQLite database directly (the twin's event pipe sees their changes in the change log) and a
status change runs the fulfil function's own code in this process. On AWS, with the operator's
credentials: listing is a DynamoDB Query on the status index (the one read the operators'
group allows), and a status change invokes the fulfil function (the one write path they have).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from orders_api.cli.api_client import ClientProblem, StackOutputs
from orders_api.domain import Order, OrderStatus, StorageError
from orders_api.service import OrderService


class Fulfilment(Protocol):
    def list_orders(
        self, statuses: Sequence[OrderStatus], since: datetime | None, limit: int
    ) -> list[Order]: ...

    def change_status(self, order_id: str, status: OrderStatus) -> dict[str, Any]:
        """The fulfil function's answer (see orders_api.function.fulfil)."""
        ...


class LocalFulfilment:
    """The twin's data folder."""

    def __init__(self, database: Path) -> None:
        from orders_api.adapters.sqlite import SQLiteOrderRepository

        self._repository = SQLiteOrderRepository(database)
        self._service = OrderService(self._repository)

    def list_orders(
        self, statuses: Sequence[OrderStatus], since: datetime | None, limit: int
    ) -> list[Order]:
        return self._service.list_orders_by_status(statuses, since, limit)

    def change_status(self, order_id: str, status: OrderStatus) -> dict[str, Any]:
        # The function's JSON log lines belong in CloudWatch, not on the operator's terminal.
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
        from orders_api.function import bootstrap, fulfil

        bootstrap.install(self._service)
        try:
            return fulfil.change_status({"orderId": order_id, "status": status.value})
        finally:
            bootstrap.install(None)

    def close(self) -> None:
        self._repository.close()


class DeployedFulfilment:
    """A deployed stack, with the operator's own AWS credentials."""

    def __init__(self, outputs: StackOutputs) -> None:
        import boto3

        from orders_api.adapters.dynamodb import CLIENT_CONFIG, DynamoDBOrderRepository

        if not outputs.table_name or not outputs.fulfil_function_name:
            raise ClientProblem(
                "the outputs lack TableName or FulfilFunctionName: deploy this version of the "
                "stack, then pass its outputs with --outputs"
            )
        self._function_name = outputs.fulfil_function_name
        self._lambda = boto3.client("lambda", region_name=outputs.region)
        dynamodb = boto3.client("dynamodb", region_name=outputs.region, config=CLIENT_CONFIG)
        self._service = OrderService(DynamoDBOrderRepository(outputs.table_name, dynamodb))

    def list_orders(
        self, statuses: Sequence[OrderStatus], since: datetime | None, limit: int
    ) -> list[Order]:
        return self._service.list_orders_by_status(statuses, since, limit)

    def change_status(self, order_id: str, status: OrderStatus) -> dict[str, Any]:
        response = self._lambda.invoke(
            FunctionName=self._function_name,
            Payload=json.dumps({"orderId": order_id, "status": status.value}).encode(),
        )
        answer = json.loads(response["Payload"].read() or b"null")
        if "FunctionError" in response or not isinstance(answer, dict):
            raise ClientProblem(f"the fulfil function failed: {answer}")
        return answer

    def close(self) -> None:
        self._lambda.close()


@contextmanager
def fulfilment_for(outputs: StackOutputs) -> Iterator[Fulfilment]:
    """The twin's data folder when the outputs are a twin's, else the deployed stack."""
    backend: LocalFulfilment | DeployedFulfilment
    if outputs.is_local:
        backend = LocalFulfilment(_twin_database(outputs))
    else:
        backend = DeployedFulfilment(outputs)
    try:
        yield backend
    except StorageError as error:
        raise ClientProblem(f"storage: {error}") from error
    finally:
        backend.close()


def _twin_database(outputs: StackOutputs) -> Path:
    """The twin's SQLite file: TableName, read relative to the data folder when the twin was
    started elsewhere."""
    if not outputs.table_name:
        raise ClientProblem(
            "the twin stores orders in DynamoDB (--dynamodb-endpoint): `orders-api ops` reads "
            "the SQLite twin's data folder only"
        )
    named = Path(outputs.table_name)
    if named.is_file():
        return named
    beside = outputs.source.parent / named.name if outputs.source is not None else named
    if beside.is_file():
        return beside
    raise ClientProblem(f"no orders database at {named}: is this the twin's data folder?")
