"""SIGKILL the twin in the middle of a concurrent load, restart it on the same data dir, again
and again: every order the API acknowledged is still there, byte for byte, and no key has more
than one order.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx

from tests.e2e.conftest import Twin, User, new_user, sign_in
from tests.e2e.reliability.load import Outcomes, place
from tests.e2e.reliability.orders import UNLIMITED_RATE, key_of
from tests.e2e.reliability.report import record, scaled

CYCLES = scaled(5, 25)
WRITERS = 16
ACKNOWLEDGED_BEFORE_KILL = (20, 80)
"""The kill comes once this many (a random number in the range) orders were acknowledged."""
LOAD_TIMEOUT_SECONDS = 120.0


def _start(twin_factory: Callable[..., Twin], data_dir: Path) -> Twin:
    return twin_factory(*UNLIMITED_RATE, data_dir=data_dir)


def _load_until_killed(twin: Twin, user: User, cycle: int, kill_after: int) -> Outcomes:
    """WRITERS threads place orders with fresh keys until the twin is SIGKILLed under them."""
    outcomes = Outcomes()
    killed = threading.Event()
    unexpected: list[str] = []

    def write(writer: int) -> None:
        with httpx.Client(base_url=twin.api_url, headers=user.headers, timeout=30) as client:
            for sequence in range(100_000):
                if killed.is_set():
                    return
                key = f"crash-{cycle}-{writer}-{sequence}"
                response = place(client, key, outcomes)
                if response is None:
                    if not killed.is_set():
                        unexpected.append(f"{key}: no answer before the kill")
                    return
                if response.status_code != 201:
                    unexpected.append(f"{key}: {response.status_code} {response.text}")

    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in writers:
        thread.start()
    deadline = time.monotonic() + LOAD_TIMEOUT_SECONDS
    while len(outcomes.acknowledged()) < kill_after and time.monotonic() < deadline:
        time.sleep(0.005)
    killed.set()
    os.kill(twin.process.pid, signal.SIGKILL)
    twin.process.wait(timeout=30)
    for thread in writers:
        thread.join(timeout=60)
    assert not unexpected, unexpected[:5]
    assert len(outcomes.acknowledged()) >= kill_after
    return outcomes


def _verify(twin: Twin, user: User, acknowledged: dict[str, bytes], ids: dict[str, str]) -> None:
    """Every acknowledged order reads back exactly as it was acknowledged."""
    with httpx.Client(base_url=twin.api_url, headers=user.headers, timeout=30) as client:
        for key, body in acknowledged.items():
            read = client.get(f"orders/{ids[key]}")
            assert read.status_code == 200, (key, read.status_code)
            assert read.content == body, key


def _settle(twin: Twin, user: User, in_doubt: set[str], outcomes: Outcomes) -> None:
    """Retry every key that got no answer: stored before the kill (200) or not (201), once."""
    with httpx.Client(base_url=twin.api_url, headers=user.headers, timeout=30) as client:
        for key in sorted(in_doubt):
            response = place(client, key, outcomes)
            assert response is not None
            assert response.status_code in (200, 201), (key, response.text)


def test_every_acknowledged_order_survives_repeated_sigkills_byte_identical_and_once(
    twin_factory: Callable[..., Twin], tmp_path: Path
) -> None:
    data_dir = tmp_path / "crashing"
    chance = random.Random(20261125)
    acknowledged: dict[str, bytes] = {}
    ids: dict[str, str] = {}
    in_doubt: set[str] = set()
    settled_in_doubt = 0
    verified_reads = 0

    twin = _start(twin_factory, data_dir)
    user = new_user(twin)
    for cycle in range(CYCLES):
        if cycle:
            twin = _start(twin_factory, data_dir)
            user = sign_in(twin, user.email, user.password, sub=user.sub)
        _verify(twin, user, acknowledged, ids)
        verified_reads += len(acknowledged)
        settling = Outcomes()
        _settle(twin, user, in_doubt, settling)
        settled_in_doubt += len(in_doubt)
        outcomes = _load_until_killed(twin, user, cycle, chance.randint(*ACKNOWLEDGED_BEFORE_KILL))
        for batch in (settling, outcomes):
            for key, body in batch.acknowledged().items():
                acknowledged.setdefault(key, body)
                ids[key] = httpx.Response(200, content=body).json()["orderId"]
        in_doubt = outcomes.in_doubt

    twin = _start(twin_factory, data_dir)
    user = sign_in(twin, user.email, user.password, sub=user.sub)
    _verify(twin, user, acknowledged, ids)
    verified_reads += len(acknowledged)
    settling = Outcomes()
    _settle(twin, user, in_doubt, settling)
    settled_in_doubt += len(in_doubt)
    for key, body in settling.acknowledged().items():
        acknowledged.setdefault(key, body)
    assert twin.stop() == 0

    connection = sqlite3.connect(data_dir / "orders.sqlite3")
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        records = [row[0] for row in connection.execute("SELECT record FROM orders")]
    finally:
        connection.close()
    orders_per_key = Counter(key_of(httpx.Response(200, content=r).json()) for r in records)
    assert set(orders_per_key) == set(acknowledged)
    assert max(orders_per_key.values()) == 1
    assert len(records) == len(acknowledged)

    record(
        "crashDurability",
        sigkillsSurvived=CYCLES,
        concurrentWriters=WRITERS,
        ordersAcknowledged=len(acknowledged),
        acknowledgedOrdersReadBack=verified_reads,
        requestsInDoubtRetried=settled_in_doubt,
        rowsInSqlite=len(records),
    )
