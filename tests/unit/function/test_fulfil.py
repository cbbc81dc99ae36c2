"""The fulfil function: one status change per invocation, every refusal a clear answer."""

from __future__ import annotations

from typing import Any

import pytest

from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.domain import Order, StorageUnavailable
from orders_api.domain.ids import new_order_id
from orders_api.function.fulfil import lambda_handler
from orders_api.service import OrderService
from tests.fakes import TWO_MUGS, FakeLambdaContext


def invoke(event: Any) -> dict[str, Any]:
    return lambda_handler(event, FakeLambdaContext())  # type: ignore[arg-type]


@pytest.fixture
def placed(repository: InMemoryOrderRepository) -> Order:
    return OrderService(repository).place_order("alice", TWO_MUGS).order


def test_shipping_a_placed_order_answers_its_new_status(placed: Order) -> None:
    answer = invoke({"orderId": placed.order_id, "status": "SHIPPED"})
    assert answer["statusCode"] == 200
    assert (answer["orderId"], answer["status"], answer["changed"]) == (
        placed.order_id,
        "SHIPPED",
        True,
    )
    assert answer["statusChangedAt"].endswith("Z")


def test_cancelling_a_shipped_order_is_409_saying_why(placed: Order) -> None:
    invoke({"orderId": placed.order_id, "status": "SHIPPED"})
    answer = invoke({"orderId": placed.order_id, "status": "CANCELLED"})
    assert answer == {
        "statusCode": 409,
        "message": "the order is SHIPPED: it cannot become CANCELLED",
    }


def test_an_unknown_order_is_404(repository: InMemoryOrderRepository) -> None:
    answer = invoke({"orderId": new_order_id(), "status": "SHIPPED"})
    assert answer == {"statusCode": 404, "message": "order not found"}


@pytest.mark.parametrize(
    "event",
    [
        {"orderId": "x", "status": "PLACED"},
        {"orderId": "x", "status": "shipped"},
        {"orderId": "x"},
        {"orderId": "x", "status": "SHIPPED", "note": "and change the address"},
        {"orderId": "", "status": "SHIPPED"},
        {"orderId": 7, "status": "SHIPPED"},
        ["orderId", "status"],
        None,
    ],
)
def test_anything_but_an_order_id_and_a_final_status_is_400(
    repository: InMemoryOrderRepository, event: Any
) -> None:
    answer = invoke(event)
    assert answer["statusCode"] == 400
    assert answer["message"]


def test_busy_storage_is_503_without_detail(
    repository: InMemoryOrderRepository, monkeypatch: pytest.MonkeyPatch, placed: Order
) -> None:
    def busy(*_: object) -> None:
        raise StorageUnavailable("dynamodb: ThrottlingException")

    monkeypatch.setattr(repository, "update_status", busy)
    answer = invoke({"orderId": placed.order_id, "status": "SHIPPED"})
    assert answer == {"statusCode": 503, "message": "storage unavailable, retry"}
