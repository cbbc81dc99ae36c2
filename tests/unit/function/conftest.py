"""The handler's service, installed on in-memory storage for each test and removed after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.function import bootstrap
from orders_api.service import OrderService


@pytest.fixture
def repository() -> Iterator[InMemoryOrderRepository]:
    repository = InMemoryOrderRepository()
    bootstrap.install(OrderService(repository))
    yield repository
    bootstrap.install(None)
