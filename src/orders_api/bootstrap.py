"""Wiring from environment variables: which repository the handler's service uses.

In Lambda, ORDERS_TABLE_NAME selects DynamoDB. The local twin sets ORDERS_SQLITE_PATH, or
ORDERS_TABLE_NAME with ORDERS_DYNAMODB_ENDPOINT, before the first request; tests may install
a service directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from orders_api.domain import OrderRepository
from orders_api.service import OrderService

TABLE_NAME = "ORDERS_TABLE_NAME"
DYNAMODB_ENDPOINT = "ORDERS_DYNAMODB_ENDPOINT"
SQLITE_PATH = "ORDERS_SQLITE_PATH"


class ConfigurationError(RuntimeError):
    """The environment does not say where orders are stored."""


def repository_from_environment(env: Mapping[str, str]) -> OrderRepository:
    if sqlite_path := env.get(SQLITE_PATH):
        from orders_api.adapters.sqlite import SQLiteOrderRepository

        return SQLiteOrderRepository(sqlite_path)
    if table_name := env.get(TABLE_NAME):
        from orders_api.adapters.dynamodb import DynamoDBOrderRepository, make_client

        client = make_client(endpoint_url=env.get(DYNAMODB_ENDPOINT) or None)
        return DynamoDBOrderRepository(table_name, client)
    raise ConfigurationError(f"set {TABLE_NAME} (DynamoDB) or {SQLITE_PATH} (SQLite)")


_service: OrderService | None = None


def service() -> OrderService:
    """The process-wide service, built from the environment on first use."""
    global _service
    if _service is None:
        _service = OrderService(repository_from_environment(os.environ))
    return _service


def install(new_service: OrderService | None) -> None:
    """Use this service from now on (None: build from the environment again on next use)."""
    global _service
    _service = new_service
