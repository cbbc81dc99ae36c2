"""Wiring: the order service the handler uses, on the storage its environment names.

In Lambda the stack sets ORDERS_TABLE_NAME, and the service writes to that DynamoDB table
(boto3 honours AWS_ENDPOINT_URL_DYNAMODB for another endpoint). The local twin chooses its own
storage (`orders_api.twin.storage`) and installs the service before the first request; tests
install one too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from orders_api.domain import OrderRepository
from orders_api.service import OrderService

TABLE_NAME = "ORDERS_TABLE_NAME"


class ConfigurationError(RuntimeError):
    """The environment does not say where orders are stored."""


def repository_from_environment(env: Mapping[str, str]) -> OrderRepository:
    table_name = env.get(TABLE_NAME)
    if not table_name:
        raise ConfigurationError(f"set {TABLE_NAME}: the DynamoDB table that stores the orders")
    from orders_api.adapters.dynamodb import DynamoDBOrderRepository, make_client

    return DynamoDBOrderRepository(table_name, make_client())


_service: OrderService | None = None


def service() -> OrderService:
    """The process-wide service: the installed one, or one built from the environment on
    first use."""
    global _service
    if _service is None:
        _service = OrderService(repository_from_environment(os.environ))
    return _service


def install(new_service: OrderService | None) -> None:
    """Use this service from now on (None: build from the environment again on next use)."""
    global _service
    _service = new_service
