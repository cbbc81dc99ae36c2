"""Two real customers on the twin, over real HTTP: neither can ever read the other's order.

Another customer's order is "not found" (404), never "forbidden" (403): the answer must not
even confirm that the id exists. Ids are replayed from the owner's Location headers, guessed
near the owner's ids, and dressed up as other paths; nothing but 404 (or the gateway's 403 for
a path that is no route) comes back, and nothing of the owner's order ever does.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Twin, User, new_user, start_twin
from tests.e2e.reliability.orders import UNLIMITED_RATE, order_body
from tests.e2e.reliability.report import record, scaled

NOT_FOUND = {"message": "Order not found"}
GUESSES_PER_ORDER = scaled(40, 400)
_tally = {"crossCustomerReads": 0, "guessedIds": 0, "pathVariants": 0, "concurrentRequests": 0}


@pytest.fixture(scope="module")
def shared_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    twin = start_twin(
        tmp_path_factory.mktemp("isolation") / "data",
        *UNLIMITED_RATE,
        "--access-log",  # not --function-logs: that runs one execution environment only
    )
    try:
        yield twin
    finally:
        twin.stop()


@pytest.fixture(scope="module")
def alice(shared_twin: Twin) -> User:
    return new_user(shared_twin)


@pytest.fixture(scope="module")
def bob(shared_twin: Twin) -> User:
    return new_user(shared_twin)


@pytest.fixture(scope="module")
def alices_orders(shared_twin: Twin, alice: User) -> list[httpx.Response]:
    """Alice's orders as placed: with and without idempotency keys, with addresses."""
    placed = []
    with httpx.Client(base_url=shared_twin.api_url, headers=alice.headers, timeout=30) as client:
        for number in range(4):
            key = f"alice-{number}-{uuid.uuid4()}"
            headers = {"Idempotency-Key": key} if number % 2 else {}
            response = client.post("orders", json=order_body(key), headers=headers)
            assert response.status_code == 201
            placed.append(response)
    return placed


def _as(twin: Twin, user: User) -> httpx.Client:
    return httpx.Client(base_url=twin.api_url, headers=user.headers, timeout=30)


def _reveals(response: httpx.Response, order: dict[str, Any]) -> bool:
    """Whether a response carries anything of this order: its id or its address."""
    text = response.text
    address = order["shippingAddress"]
    return any(value in text for value in (order["orderId"], address["line1"], address["name"]))


def test_another_customers_order_is_404_exactly_like_an_order_that_never_existed(
    shared_twin: Twin, alice: User, bob: User, alices_orders: list[httpx.Response]
) -> None:
    with _as(shared_twin, bob) as as_bob, _as(shared_twin, alice) as as_alice:
        never_existed = as_bob.get(f"orders/{uuid.uuid4()}")
        for placed in alices_orders:
            order = placed.json()
            replayed = as_bob.get(placed.headers["Location"].removeprefix("/prod/"))
            assert replayed.status_code == 404
            assert replayed.json() == NOT_FOUND == never_existed.json()
            assert replayed.headers["content-type"] == never_existed.headers["content-type"]
            assert not _reveals(replayed, order)
            own = as_alice.get(f"orders/{order['orderId']}")
            assert (own.status_code, own.content) == (200, placed.content)
            _tally["crossCustomerReads"] += 1


def test_ids_guessed_next_to_another_customers_ids_are_not_found(
    shared_twin: Twin, bob: User, alices_orders: list[httpx.Response]
) -> None:
    with _as(shared_twin, bob) as as_bob:
        for placed in alices_orders:
            order_id = uuid.UUID(placed.json()["orderId"])
            for bit in range(GUESSES_PER_ORDER):
                guess = uuid.UUID(int=order_id.int ^ (1 << (bit * 128 // GUESSES_PER_ORDER)))
                answer = as_bob.get(f"orders/{guess}")
                assert (answer.status_code, answer.json()) == (404, NOT_FOUND)
                _tally["guessedIds"] += 1


def _variants(order_id: str) -> list[str]:
    return [
        f"orders/{order_id.upper()}",
        f"orders/{order_id.replace('-', '')}",
        f"orders/{{{order_id}}}",
        f"orders/urn:uuid:{order_id}",
        f"orders/{order_id}%00",
        f"orders/%20{order_id}",
        f"orders/{order_id}?customerId=alice",
        f"orders/{order_id}/",
        f"orders//{order_id}",
        f"orders/x/..%2F{order_id}",
        f"orders/{order_id.replace('-', '%2D')}",
    ]


def test_path_variants_of_another_customers_id_never_reveal_the_order(
    shared_twin: Twin, alice: User, bob: User, alices_orders: list[httpx.Response]
) -> None:
    with _as(shared_twin, bob) as as_bob:
        for placed in alices_orders:
            order = placed.json()
            for path in _variants(order["orderId"]):
                answer = as_bob.get(path)
                assert answer.status_code in (403, 404), (path, answer.status_code)
                assert not _reveals(answer, order), path
                _tally["pathVariants"] += 1


def test_the_same_idempotency_key_gives_each_customer_their_own_order(
    shared_twin: Twin, alice: User, bob: User
) -> None:
    key = f"shared-{uuid.uuid4()}"
    with _as(shared_twin, alice) as as_alice, _as(shared_twin, bob) as as_bob:
        alices = as_alice.post("orders", json=order_body(key), headers={"Idempotency-Key": key})
        bobs = as_bob.post("orders", json=order_body(key), headers={"Idempotency-Key": key})
        bobs_retry = as_bob.post("orders", json=order_body(key), headers={"Idempotency-Key": key})
    assert (alices.status_code, bobs.status_code, bobs_retry.status_code) == (201, 201, 200)
    assert alices.json()["customerId"] == alice.sub
    assert bobs.json()["customerId"] == bobs_retry.json()["customerId"] == bob.sub
    assert alices.json()["orderId"] != bobs.json()["orderId"]


def test_a_customer_id_in_the_body_is_refused_not_obeyed(
    shared_twin: Twin, alice: User, bob: User
) -> None:
    body = {**order_body(f"spoof-{uuid.uuid4()}"), "customerId": alice.sub}
    with _as(shared_twin, bob) as as_bob:
        answer = as_bob.post("orders", json=body)
    # The deployed request model has no customerId: API Gateway's validator refuses the body.
    assert (answer.status_code, answer.json()) == (400, {"message": "Invalid request body"})
    assert alice.sub not in answer.text


def test_concurrent_customers_only_ever_get_their_own_orders(
    shared_twin: Twin, alice: User, bob: User, alices_orders: list[httpx.Response]
) -> None:
    with _as(shared_twin, bob) as as_bob:
        bobs_orders = [as_bob.post("orders", json=order_body(f"bob-{n}")) for n in range(4)]
    owned = {alice.sub: alices_orders, bob.sub: bobs_orders}
    wrong: list[str] = []

    def read(reader: User, rounds: int) -> None:
        mine = owned[reader.sub]
        theirs = owned[alice.sub if reader is bob else bob.sub]
        with _as(shared_twin, reader) as client:
            for round_number in range(rounds):
                own = mine[round_number % len(mine)]
                other = theirs[round_number % len(theirs)].json()
                answer = client.get(f"orders/{own.json()['orderId']}")
                if (answer.status_code, answer.content) != (200, own.content):
                    wrong.append(f"own read: {answer.status_code}")
                stolen = client.get(f"orders/{other['orderId']}")
                if stolen.status_code != 404 or _reveals(stolen, other):
                    wrong.append(f"cross read: {stolen.status_code}")
                key = f"{reader.sub}-{round_number}-{uuid.uuid4()}"
                placed = client.post("orders", json=order_body(key))
                if placed.status_code != 201 or (
                    placed.json()["customerId"],
                    placed.json()["note"],
                ) != (reader.sub, order_body(key)["note"]):
                    wrong.append(f"placed: {placed.status_code}")

    rounds = scaled(40, 400)
    readers = [threading.Thread(target=read, args=((alice, bob)[n % 2], rounds)) for n in range(16)]
    for thread in readers:
        thread.start()
    for thread in readers:
        thread.join(timeout=300)
    assert wrong == []
    _tally["concurrentRequests"] += 16 * rounds * 3
    record("isolation", **_tally)
