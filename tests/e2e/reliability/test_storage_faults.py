"""Faults at the storage boundary, over real HTTP: the twin on DynamoDB (moto_server) through a
proxy that throttles, errs, resets, times out, loses replies and goes away.

Whatever storage does, the API answers within bounded retries: 503 with Retry-After when
storage cannot answer, never a 500; no half-written order; a StorageUnavailable metric (EMF, as
Lambda prints it) for every 503; and it serves again as soon as storage recovers.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from orders_api.adapters.dynamodb import CLIENT_CONFIG
from orders_api.domain.ids import idempotent_order_id
from tests.e2e.conftest import Twin, User, new_user, start_twin
from tests.e2e.reliability.faulty_dynamodb import Fault, FaultyDynamoDB
from tests.e2e.reliability.orders import UNLIMITED_RATE, order_body
from tests.e2e.reliability.report import record, scaled

MAX_ATTEMPTS = int(CLIENT_CONFIG.retries["total_max_attempts"])  # type: ignore[attr-defined]
TABLE = "orders-under-faults"
ROUNDS = scaled(1, 3)
"""How many times each fault is played against each operation."""
UNAVAILABLE = {"message": "Service temporarily unavailable"}

PERSISTENT_FAULTS = [
    Fault.THROTTLING,
    Fault.CAPACITY,
    Fault.INTERNAL_ERROR,
    Fault.UNAVAILABLE,
    Fault.CONNECTION_RESET,
    Fault.TIMEOUT,
]

_tally: dict[str, int] = {
    "faultsInjected": 0,
    "callsUnderFault": 0,
    "answered503": 0,
    "storageAttempts": 0,
    "recoveredAfterFault": 0,
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto_server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def faulty(moto_endpoint: str) -> Iterator[FaultyDynamoDB]:
    proxy = FaultyDynamoDB(moto_endpoint).start()
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture(scope="module")
def storage_twin(
    faulty: FaultyDynamoDB, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Twin]:
    twin = start_twin(
        tmp_path_factory.mktemp("faults") / "data",
        "--dynamodb-endpoint",
        faulty.url,
        "--table",
        TABLE,
        *UNLIMITED_RATE,
        "--function-logs",
    )
    try:
        yield twin
    finally:
        twin.stop()


@pytest.fixture(scope="module")
def customer(storage_twin: Twin) -> User:
    return new_user(storage_twin)


@pytest.fixture(scope="module")
def table(moto_endpoint: str) -> Any:
    """The Orders table itself, read around the proxy."""
    return boto3.client(
        "dynamodb",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}),
    )


def _stored(table: Any) -> int:
    return int(table.scan(TableName=TABLE, Select="COUNT")["Count"])


def _storage_unavailable_metrics(twin: Twin) -> int:
    """How many EMF blobs carrying the StorageUnavailable metric the function printed."""
    count = 0
    for line in twin.log().splitlines():
        if not line.startswith("{"):
            continue
        try:
            blob = json.loads(line)
        except json.JSONDecodeError:
            continue
        metrics = [
            metric["Name"]
            for directive in blob.get("_aws", {}).get("CloudWatchMetrics", [])
            for metric in directive.get("Metrics", [])
        ]
        if "StorageUnavailable" in metrics:
            count += int(sum(blob["StorageUnavailable"]))
    return count


def _post(twin: Twin, user: User, key: str | None, timeout: float = 60) -> httpx.Response:
    headers = dict(user.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    body = order_body(key or f"keyless-{uuid.uuid4()}")
    return httpx.post(twin.url("orders"), json=body, headers=headers, timeout=timeout)


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == UNAVAILABLE
    assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(
    "fault", PERSISTENT_FAULTS, ids=[f.name.lower() for f in PERSISTENT_FAULTS]
)
def test_a_write_that_storage_keeps_failing_gets_503_after_bounded_retries_and_nothing_is_written(
    storage_twin: Twin, customer: User, faulty: FaultyDynamoDB, table: Any, fault: Fault
) -> None:
    for round_number in range(ROUNDS):
        key = f"{fault.name}-{round_number}-{uuid.uuid4()}"
        order_id = idempotent_order_id(customer.sub, key)
        stored_before = _stored(table)
        metrics_before = _storage_unavailable_metrics(storage_twin)
        first_attempt = len(faulty.attempts())

        faulty.inject(fault, MAX_ATTEMPTS, "PutItem")
        _assert_unavailable(_post(storage_twin, customer, key))

        attempts = faulty.attempts_per_call("PutItem", since=first_attempt)
        assert list(attempts.values()) == [MAX_ATTEMPTS], attempts
        assert faulty.pending_faults() == 0
        assert _stored(table) == stored_before
        not_written = httpx.get(
            storage_twin.url(f"orders/{order_id}"), headers=customer.headers, timeout=30
        )
        assert not_written.status_code == 404
        assert _storage_unavailable_metrics(storage_twin) == metrics_before + 1

        placed = _post(storage_twin, customer, key)
        assert placed.status_code == 201, placed.text
        read = httpx.get(storage_twin.url(f"orders/{order_id}"), headers=customer.headers)
        assert read.content == placed.content
        assert _stored(table) == stored_before + 1

        _tally["faultsInjected"] += MAX_ATTEMPTS
        _tally["callsUnderFault"] += 1
        _tally["answered503"] += 1
        _tally["storageAttempts"] += MAX_ATTEMPTS
        _tally["recoveredAfterFault"] += 1


@pytest.mark.parametrize(
    "fault", [Fault.THROTTLING, Fault.INTERNAL_ERROR, Fault.CONNECTION_RESET], ids=str.lower
)
def test_a_read_that_storage_keeps_failing_gets_503_then_the_order_once_storage_recovers(
    storage_twin: Twin, customer: User, faulty: FaultyDynamoDB, fault: Fault
) -> None:
    placed = _post(storage_twin, customer, f"read-{uuid.uuid4()}")
    assert placed.status_code == 201
    url = storage_twin.url(f"orders/{placed.json()['orderId']}")
    for _ in range(ROUNDS):
        first_attempt = len(faulty.attempts())
        faulty.inject(fault, MAX_ATTEMPTS, "GetItem")
        _assert_unavailable(httpx.get(url, headers=customer.headers, timeout=60))
        attempts = faulty.attempts_per_call("GetItem", since=first_attempt)
        assert list(attempts.values()) == [MAX_ATTEMPTS]

        read = httpx.get(url, headers=customer.headers, timeout=60)
        assert (read.status_code, read.content) == (200, placed.content)

        _tally["faultsInjected"] += MAX_ATTEMPTS
        _tally["callsUnderFault"] += 1
        _tally["answered503"] += 1
        _tally["storageAttempts"] += MAX_ATTEMPTS
        _tally["recoveredAfterFault"] += 1


@pytest.mark.parametrize("fault", [Fault.THROTTLING, Fault.TIMEOUT], ids=str.lower)
def test_a_fault_that_clears_before_the_last_attempt_is_retried_into_a_201(
    storage_twin: Twin, customer: User, faulty: FaultyDynamoDB, table: Any, fault: Fault
) -> None:
    stored_before = _stored(table)
    first_attempt = len(faulty.attempts())
    faulty.inject(fault, MAX_ATTEMPTS - 1, "PutItem")

    placed = _post(storage_twin, customer, f"transient-{uuid.uuid4()}")

    assert placed.status_code == 201, placed.text
    attempts = faulty.attempts_per_call("PutItem", since=first_attempt)
    assert list(attempts.values()) == [MAX_ATTEMPTS]
    assert _stored(table) == stored_before + 1
    _tally["faultsInjected"] += MAX_ATTEMPTS - 1
    _tally["callsUnderFault"] += 1
    _tally["storageAttempts"] += MAX_ATTEMPTS


@pytest.mark.parametrize("keyed", [True, False], ids=["with-idempotency-key", "without-key"])
def test_a_write_whose_reply_was_lost_is_acknowledged_once_and_stored_once(
    storage_twin: Twin, customer: User, faulty: FaultyDynamoDB, table: Any, keyed: bool
) -> None:
    stored_before = _stored(table)
    first_attempt = len(faulty.attempts())
    faulty.inject(Fault.LOST_REPLY, 1, "PutItem")

    placed = _post(storage_twin, customer, f"lost-reply-{uuid.uuid4()}" if keyed else None)

    # botocore retried the put, which found the order its first attempt had stored. Without a
    # key that is this call's order (201); with one, the service cannot tell storage's retry
    # from the client's, and answers as to a replay (200): the caller has its one order.
    assert placed.status_code == (200 if keyed else 201), placed.text
    attempts = faulty.attempts_per_call("PutItem", since=first_attempt)
    assert list(attempts.values()) == [2]
    assert _stored(table) == stored_before + 1
    read = httpx.get(
        storage_twin.url(f"orders/{placed.json()['orderId']}"), headers=customer.headers
    )
    assert read.content == placed.content
    _tally["faultsInjected"] += 1
    _tally["callsUnderFault"] += 1
    _tally["storageAttempts"] += 2


def test_while_storage_is_down_the_api_answers_503_and_serves_again_when_it_is_back(
    storage_twin: Twin, customer: User, faulty: FaultyDynamoDB, table: Any
) -> None:
    stored_before = _stored(table)
    faulty.stop()
    try:
        for _ in range(ROUNDS):
            _assert_unavailable(_post(storage_twin, customer, f"outage-{uuid.uuid4()}"))
            _tally["callsUnderFault"] += 1
            _tally["answered503"] += 1
    finally:
        faulty.start()
    assert _stored(table) == stored_before
    placed = _post(storage_twin, customer, f"after-outage-{uuid.uuid4()}")
    assert placed.status_code == 201
    _tally["recoveredAfterFault"] += 1


def test_storage_faults_never_produced_a_500_and_every_503_was_counted(
    storage_twin: Twin,
) -> None:
    if not _tally["callsUnderFault"]:
        pytest.skip("sums up the fault tests of this module; run them with it")
    log = storage_twin.log()
    assert '"StorageErrors"' not in log
    assert "unhandled error" not in log
    assert _storage_unavailable_metrics(storage_twin) == _tally["answered503"]
    record("storageFaults", maxAttemptsPerCall=MAX_ATTEMPTS, **_tally)
