"""The use cases: placing orders (with and without idempotency keys) and reading them back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from orders_api.adapters.memory import InMemoryOrderRepository
from orders_api.domain import IdempotencyConflict, InvalidRequest, NewOrder, Order, OrderNotFound
from orders_api.service import OrderService
from tests.fakes import TWO_MUGS

A_MUG = NewOrder.model_validate({"items": [{"sku": "MUG-01", "quantity": 1}]})
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


@pytest.fixture
def repository() -> InMemoryOrderRepository:
    return InMemoryOrderRepository()


@pytest.fixture
def service(repository: InMemoryOrderRepository) -> OrderService:
    return OrderService(repository, clock=lambda: datetime(2026, 11, 25, 15, 0, tzinfo=UTC))


def test_placing_an_order_stores_it_for_the_caller(
    service: OrderService, repository: InMemoryOrderRepository
) -> None:
    placement = service.place_order("alice", A_MUG)
    assert placement.created
    assert placement.order.customer_id == "alice"
    assert repository.get(placement.order.order_id) == placement.order


def test_orders_without_a_key_are_always_new(service: OrderService) -> None:
    first = service.place_order("alice", A_MUG)
    second = service.place_order("alice", A_MUG)
    assert first.order.order_id != second.order.order_id
    assert first.created
    assert second.created


def test_a_retry_with_the_same_key_returns_the_first_order(
    service: OrderService, repository: InMemoryOrderRepository
) -> None:
    first = service.place_order("alice", A_MUG, "key-1")
    retry = service.place_order("alice", A_MUG, "key-1")
    assert retry.order == first.order
    assert not retry.created
    assert len(repository) == 1


def test_reusing_a_key_with_another_body_is_a_conflict(service: OrderService) -> None:
    service.place_order("alice", A_MUG, "key-1")
    with pytest.raises(IdempotencyConflict):
        service.place_order("alice", TWO_MUGS, "key-1")


def test_two_customers_may_use_the_same_key_independently(service: OrderService) -> None:
    alice = service.place_order("alice", A_MUG, "key-1")
    bob = service.place_order("bob", TWO_MUGS, "key-1")
    assert alice.created
    assert bob.created
    assert alice.order.order_id != bob.order.order_id


@pytest.mark.parametrize("key", ["", "x" * 129, "has space", "tab\tkey", "caf\u00e9"])
def test_a_malformed_idempotency_key_is_refused(service: OrderService, key: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        service.place_order("alice", A_MUG, key)
    assert raised.value.field == "Idempotency-Key"


def test_a_customer_reads_back_their_order(service: OrderService) -> None:
    placed = service.place_order("alice", A_MUG).order
    assert service.get_order("alice", placed.order_id) == placed


def test_another_customers_order_is_not_found_rather_than_forbidden(
    service: OrderService,
) -> None:
    placed = service.place_order("alice", A_MUG).order
    with pytest.raises(OrderNotFound):
        service.get_order("mallory", placed.order_id)


@pytest.mark.parametrize(
    "order_id", ["nope", "../../etc/passwd", "0193A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B", ""]
)
def test_an_id_that_cannot_exist_is_not_found(service: OrderService, order_id: str) -> None:
    with pytest.raises(OrderNotFound):
        service.get_order("alice", order_id)


class _LostReplyRepository(InMemoryOrderRepository):
    """Storage that applied the first attempt of a put whose reply was lost, then saw the
    retry: the retry finds the very item it carries."""

    def insert(self, order: Order) -> Order | None:
        super().insert(order)
        return order


def test_a_keyless_write_whose_first_reply_was_lost_is_created_not_a_500() -> None:
    service = OrderService(_LostReplyRepository(), clock=lambda: NOW)
    assert service.place_order("alice", TWO_MUGS).created


def test_a_keyed_write_whose_first_reply_was_lost_returns_the_order_as_a_replay() -> None:
    # Storage cannot tell its own retry from the client's: either way the caller gets its order.
    service = OrderService(_LostReplyRepository(), clock=lambda: NOW)
    placement = service.place_order("alice", TWO_MUGS, "lost-reply-1")
    assert (placement.created, placement.order.customer_id) == (False, "alice")


def test_a_client_retry_with_the_same_key_later_is_still_a_replay() -> None:
    times = iter([NOW, NOW + timedelta(seconds=5)])
    service = OrderService(InMemoryOrderRepository(), clock=lambda: next(times))
    first = service.place_order("alice", TWO_MUGS, "retry-1")
    retry = service.place_order("alice", TWO_MUGS, "retry-1")
    assert (first.created, retry.created) == (True, False)
    assert retry.order == first.order


def test_an_idempotent_retry_matches_an_order_stored_before_this_release() -> None:
    # The fingerprint stored with every order is compared with a retry's: its text must not
    # change between releases, or a retry after a deploy would be refused as a key reuse.
    body = NewOrder.model_validate(
        {
            "items": [{"sku": "MUG-01", "quantity": 2}],
            "shippingAddress": {
                "name": "Zoë",
                "line1": "1 Rue",
                "city": "Lyon",
                "postalCode": "69001",
                "country": "FR",
            },
            "note": "Ünïcode stays as written",
        }
    )
    assert body.fingerprint() == (
        "8c270a4293090531ec580ee89ef6ab2d54a37175a30344297a8796a3b0e2d8b5"
    )
