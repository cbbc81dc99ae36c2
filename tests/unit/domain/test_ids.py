"""Order ids: time-ordered when random, stable when derived from an idempotency key."""

from __future__ import annotations

import uuid

from orders_api.domain.ids import idempotent_order_id, new_order_id


def test_random_ids_are_uuid_version_7_and_unique() -> None:
    ids = [new_order_id() for _ in range(1000)]
    assert len(set(ids)) == len(ids)
    assert all(uuid.UUID(value).version == 7 for value in ids)


def test_random_ids_sort_by_creation_time_across_milliseconds() -> None:
    import time

    first = new_order_id()
    time.sleep(0.002)
    second = new_order_id()
    assert first[:13] < second[:13]


def test_the_same_customer_and_key_always_give_the_same_id() -> None:
    assert idempotent_order_id("alice", "key-1") == idempotent_order_id("alice", "key-1")


def test_two_customers_with_the_same_key_get_different_ids() -> None:
    assert idempotent_order_id("alice", "key-1") != idempotent_order_id("bob", "key-1")
