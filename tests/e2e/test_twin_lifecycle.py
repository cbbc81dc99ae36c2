"""Starting, stopping and restarting the twin: durability, graceful shutdown, clear failures."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Twin, new_user, serve_command, sign_in

ORDER = {"items": [{"sku": "TSHIRT-RED-M", "quantity": 1}]}


def test_an_order_placed_before_a_restart_is_returned_after_it(
    twin_factory: Callable[..., Twin], tmp_path: Path
) -> None:
    data_dir = tmp_path / "durable"
    first = twin_factory(data_dir=data_dir)
    user = new_user(first)
    placed = httpx.post(first.url("orders"), json=ORDER, headers=user.headers, timeout=30)
    assert placed.status_code == 201
    assert first.stop(signal.SIGTERM) == 0

    second = twin_factory(data_dir=data_dir)
    assert (second.user_pool_id, second.client_id) == (first.user_pool_id, first.client_id)
    again = sign_in(second, user.email, user.password)
    read = httpx.get(
        second.url(f"orders/{placed.json()['orderId']}"), headers=again.headers, timeout=30
    )
    assert read.status_code == 200
    assert read.json() == placed.json()


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_twin_stops_gracefully_and_says_so(
    twin_factory: Callable[..., Twin], stop_signal: signal.Signals
) -> None:
    running = twin_factory()
    assert running.stop(stop_signal) == 0
    log = running.log()
    assert "Traceback" not in log
    assert f"Stopping the twin ({stop_signal.name})" in log
    assert f"Stopped. Users, keys and orders are kept in {running.data_dir}." in log


def test_a_second_twin_on_the_same_data_folder_is_refused_naming_the_first(
    twin_factory: Callable[..., Twin],
) -> None:
    first = twin_factory()
    second = subprocess.run(
        serve_command("--port", "0", "--idp-port", "0", "--data-dir", str(first.data_dir)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert second.returncode == 2
    assert f"another twin is already running on the data folder {first.data_dir}" in (second.stderr)
    assert f"pid {first.process.pid}" in second.stderr
    assert first.api_url in second.stderr
    assert json.loads((first.data_dir / "outputs.json").read_text())["ApiUrl"] == first.api_url
    assert first.stop(signal.SIGTERM) == 0
    after = twin_factory(data_dir=first.data_dir)  # the lock went with the first twin
    assert after.api_url != ""


def test_a_busy_port_fails_fast_with_what_to_do(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        finished = subprocess.run(
            serve_command("--port", str(port), "--idp-port", "0", "--data-dir", str(tmp_path)),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert finished.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in finished.stderr
    assert f"--port {port + 1} --idp-port 0" in finished.stderr, "both ports are named"


@pytest.mark.skipif(
    not os.environ.get("ORDERS_TEST_DYNAMODB_ENDPOINT"),
    reason="no DynamoDB endpoint (`make test` starts dynalite and sets it)",
)
def test_the_twin_stores_orders_in_a_dynamodb_endpoint_creating_the_table(
    twin_factory: Callable[..., Twin],
) -> None:
    endpoint = os.environ["ORDERS_TEST_DYNAMODB_ENDPOINT"]
    table = f"orders-twin-{os.getpid()}"
    running = twin_factory("--dynamodb-endpoint", endpoint, "--table", table)
    assert running.ready()["storage"] == "dynamodb"
    assert running.outputs["TableName"] == table
    user = new_user(running)
    placed = httpx.post(running.url("orders"), json=ORDER, headers=user.headers, timeout=30)
    assert placed.status_code == 201
    read = httpx.get(
        running.url(f"orders/{placed.json()['orderId']}"), headers=user.headers, timeout=30
    )
    assert read.json() == placed.json()
