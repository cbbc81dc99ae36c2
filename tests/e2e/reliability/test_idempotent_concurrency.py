"""64 concurrent clients place orders with idempotency keys and retry at random, as clients do
after a timeout: each (customer, key) ends up as exactly one order, and every answer for a key
is that order, to the byte.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Twin, User, new_user, start_twin
from tests.e2e.reliability.load import Outcomes, place
from tests.e2e.reliability.orders import UNLIMITED_RATE, key_of
from tests.e2e.reliability.report import record, scaled

CLIENTS = 64
CUSTOMERS = 8
KEYS_PER_CUSTOMER = scaled(24, 96)
"""Every client of a customer sends all of that customer's keys, in its own order."""
IMPATIENT = 0.3
"""The share of attempts sent with a timeout too short to wait for the answer."""
DUPLICATE = 0.15
"""The share of answered keys sent once more anyway (a retry whose first answer was lost)."""
MAX_ATTEMPTS_PER_KEY = 50


@pytest.fixture(scope="module")
def busy_twin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    twin = start_twin(tmp_path_factory.mktemp("concurrency") / "data", *UNLIMITED_RATE)
    try:
        yield twin
    finally:
        twin.stop()


def _client_loop(
    twin: Twin, user: User, seed: int, outcomes: Outcomes, attempts: Counter[str]
) -> None:
    chance = random.Random(seed)
    keys = [f"order-{n}" for n in range(KEYS_PER_CUSTOMER)]
    chance.shuffle(keys)
    with httpx.Client(base_url=twin.api_url, headers=user.headers, timeout=30) as client:
        for key in keys:
            for _ in range(MAX_ATTEMPTS_PER_KEY):
                impatient = chance.random() < IMPATIENT
                timeout = chance.uniform(0.001, 0.02) if impatient else 30.0
                attempts[key] += 1
                if place(client, key, outcomes, timeout=timeout) is not None:
                    break
                time.sleep(chance.uniform(0, 0.01))
            else:
                raise AssertionError(f"{key}: no answer in {MAX_ATTEMPTS_PER_KEY} attempts")
            if chance.random() < DUPLICATE:
                attempts[key] += 1
                assert place(client, key, outcomes) is not None


def test_each_key_becomes_exactly_one_order_under_concurrent_random_retries(
    busy_twin: Twin,
) -> None:
    customers = [new_user(busy_twin) for _ in range(CUSTOMERS)]
    outcomes = {customer.sub: Outcomes() for customer in customers}
    attempts: dict[str, Counter[str]] = defaultdict(Counter)
    failures: list[BaseException] = []

    def counted(number: int) -> None:
        customer = customers[number % CUSTOMERS]
        counter: Counter[str] = Counter()
        try:
            _client_loop(busy_twin, customer, number, outcomes[customer.sub], counter)
        except BaseException as exc:
            failures.append(exc)
            raise
        finally:
            attempts[customer.sub].update(counter)

    clients = [threading.Thread(target=counted, args=(n,)) for n in range(CLIENTS)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(timeout=600)
    assert not failures, failures[:3]

    answers_checked = 0
    for customer in customers:
        for key, answers in outcomes[customer.sub].answers.items():
            statuses = [status for status, _ in answers]
            assert set(statuses) <= {200, 201}, (key, statuses)
            assert statuses.count(201) <= 1, (key, statuses)
            bodies = {body for _, body in answers}
            assert len(bodies) == 1, key
            order: dict[str, Any] = httpx.Response(200, content=bodies.pop()).json()
            assert (order["customerId"], key_of(order)) == (customer.sub, key)
            answers_checked += len(answers)
        assert set(outcomes[customer.sub].answers) == {
            f"order-{n}" for n in range(KEYS_PER_CUSTOMER)
        }

    connection = sqlite3.connect(busy_twin.data_dir / "orders.sqlite3")
    try:
        rows = connection.execute("SELECT customer_id, record FROM orders").fetchall()
    finally:
        connection.close()
    per_key = Counter(
        (customer_id, key_of(httpx.Response(200, content=raw).json())) for customer_id, raw in rows
    )
    distinct_keys = CUSTOMERS * KEYS_PER_CUSTOMER
    assert len(rows) == len(per_key) == distinct_keys
    assert set(per_key.values()) == {1}

    requests_sent = sum(sum(counter.values()) for counter in attempts.values())
    unanswered = requests_sent - answers_checked
    record(
        "concurrentIdempotency",
        clients=CLIENTS,
        customers=CUSTOMERS,
        distinctKeys=distinct_keys,
        requestsSent=requests_sent,
        answersChecked=answers_checked,
        requestsTimedOutAndRetried=unanswered,
        ordersInSqlite=len(rows),
    )
    assert unanswered > 0, "no client ever timed out: the retries were not exercised"
