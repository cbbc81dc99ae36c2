"""The business's use cases: list orders across customers, ship or cancel one; and a
customer's list of their own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.domain import (
    IllegalTransition,
    InvalidRequest,
    NewOrder,
    OrderNotFound,
    OrderStatus,
)
from orders_api.domain.ids import new_order_id
from orders_api.service import OrderService

A_MUG = NewOrder.model_validate({"items": [{"sku": "MUG-01", "quantity": 1}]})
START = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


class SteppingClock:
    """A clock that moves one minute each time it is read."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@pytest.fixture
def service() -> OrderService:
    return OrderService(InMemoryOrderRepository(), clock=SteppingClock())


def test_shipping_a_placed_order_moves_it_and_stamps_the_time(service: OrderService) -> None:
    order = service.place_order("alice", A_MUG).order
    update = service.change_status(order.order_id, OrderStatus.SHIPPED)
    assert (update.status, update.applied) == (OrderStatus.SHIPPED, True)
    assert update.status_changed_at is not None
    assert update.status_changed_at > order.created_at
    assert service.get_order("alice", order.order_id).status == OrderStatus.SHIPPED


def test_shipping_twice_is_harmless_and_changes_nothing(service: OrderService) -> None:
    order = service.place_order("alice", A_MUG).order
    first = service.change_status(order.order_id, OrderStatus.SHIPPED)
    again = service.change_status(order.order_id, OrderStatus.SHIPPED)
    assert again.applied is False
    assert again.status_changed_at == first.status_changed_at


@pytest.mark.parametrize(
    ("first", "then"),
    [
        (OrderStatus.SHIPPED, OrderStatus.CANCELLED),
        (OrderStatus.CANCELLED, OrderStatus.SHIPPED),
    ],
)
def test_a_final_status_cannot_be_left(
    service: OrderService, first: OrderStatus, then: OrderStatus
) -> None:
    order = service.place_order("alice", A_MUG).order
    service.change_status(order.order_id, first)
    with pytest.raises(IllegalTransition) as raised:
        service.change_status(order.order_id, then)
    assert (raised.value.current, raised.value.requested) == (first, then)
    assert str(raised.value) == f"the order is {first}: it cannot become {then}"


def test_no_order_becomes_placed_again(service: OrderService) -> None:
    order = service.place_order("alice", A_MUG).order
    with pytest.raises(IllegalTransition, match="no order can become PLACED"):
        service.change_status(order.order_id, OrderStatus.PLACED)


@pytest.mark.parametrize("order_id", [new_order_id(), "not-an-id", ""])
def test_changing_an_unknown_order_is_not_found(service: OrderService, order_id: str) -> None:
    with pytest.raises(OrderNotFound):
        service.change_status(order_id, OrderStatus.SHIPPED)


def test_the_business_sees_every_customers_orders_newest_first_across_statuses(
    service: OrderService,
) -> None:
    orders = [service.place_order(customer, A_MUG).order for customer in ("a", "b", "c", "d")]
    service.change_status(orders[1].order_id, OrderStatus.SHIPPED)
    service.change_status(orders[2].order_id, OrderStatus.CANCELLED)
    listed = service.list_orders_by_status()
    assert [order.order_id for order in listed] == [o.order_id for o in reversed(orders)]
    shipped = service.list_orders_by_status([OrderStatus.SHIPPED])
    assert [order.order_id for order in shipped] == [orders[1].order_id]


def test_the_business_list_stops_at_its_limit_and_honours_since(service: OrderService) -> None:
    orders = [service.place_order("a", A_MUG).order for _ in range(5)]
    assert len(service.list_orders_by_status(limit=3)) == 3
    since = service.list_orders_by_status(since=orders[3].created_at)
    assert [order.order_id for order in since] == [orders[4].order_id, orders[3].order_id]


def test_a_customer_pages_through_their_own_orders(service: OrderService) -> None:
    mine = [service.place_order("alice", A_MUG).order for _ in range(5)]
    service.place_order("bob", A_MUG)
    first = service.list_orders("alice", "2")
    assert first.next_cursor is not None
    token = first.next_cursor.to_token()
    rest = service.list_orders("alice", "10", token)
    listed = [order.order_id for order in (*first.orders, *rest.orders)]
    assert listed == [order.order_id for order in reversed(mine)]


@pytest.mark.parametrize(("limit", "token"), [("0", None), ("abc", None), (None, "garbage")])
def test_a_bad_limit_or_token_is_an_invalid_request(
    service: OrderService, limit: str | None, token: str | None
) -> None:
    with pytest.raises(InvalidRequest):
        service.list_orders("alice", limit, token)
