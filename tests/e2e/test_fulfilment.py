"""The business at work on the twin: customers list their own orders over HTTP, an operator
lists everyone's, ships and cancels with `orders-api ops`, and every placement and status change
becomes an EventBridge-shaped event in events.jsonl, on a loopback webhook and, for a new order,
as the e-mail the deployed rule sends (its address masked in the log)."""

from __future__ import annotations

import json
import stat
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Twin, User, new_user
from tests.e2e.test_client_cli import as_json, orders_api

SHOP_EMAIL = "shop-owner@example.com"
ENVELOPE_KEYS = {
    "version",
    "id",
    "detail-type",
    "source",
    "account",
    "time",
    "region",
    "resources",
    "detail",
}
"""The fields of an event as EventBridge delivers it to a target
(https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html)."""


class Webhook(ThreadingHTTPServer):
    received: list[dict[str, Any]]


class _Receiver(BaseHTTPRequestHandler):
    server: Webhook

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[Webhook]:
    server = Webhook(("127.0.0.1", 0), _Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def twin_args(webhook: Webhook) -> tuple[str, ...]:
    host, port = webhook.server_address[:2]
    return ("--orders-email", SHOP_EMAIL, "--events-webhook", f"http://{host!s}:{port}/events")


@pytest.fixture(scope="module")
def alice(twin: Twin) -> User:
    return new_user(twin)


@pytest.fixture(scope="module")
def bob(twin: Twin) -> User:
    return new_user(twin)


def _place(twin: Twin, user: User, sku: str) -> dict[str, Any]:
    response = httpx.post(
        twin.url("orders"),
        json={"items": [{"sku": sku, "quantity": 1}]},
        headers=user.headers,
        timeout=30,
    )
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


def _events(twin: Twin, wanted: int) -> list[dict[str, Any]]:
    """The twin's events once at least `wanted` are logged (the pipe polls; bounded wait)."""
    path = twin.data_dir / "events.jsonl"
    deadline = time.monotonic() + 15
    events: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        if path.exists():
            events = [json.loads(line) for line in path.read_text().splitlines()]
            if len(events) >= wanted:
                return events
        time.sleep(0.1)
    raise AssertionError(f"{len(events)} events after 15 s, wanted {wanted}")


def _ops(twin: Twin, tmp_path: Path, *args: str) -> Any:
    return orders_api("ops", *args, cache_dir=tmp_path, outputs=twin.outputs_path)


def test_each_customer_lists_only_their_own_orders_newest_first_page_by_page(
    twin: Twin, alice: User, bob: User
) -> None:
    mine = [_place(twin, alice, f"ALICE-{n}")["orderId"] for n in range(3)]
    _place(twin, bob, "BOB-1")
    first = httpx.get(twin.url("orders?limit=2"), headers=alice.headers, timeout=30)
    assert first.status_code == 200
    token = first.json()["nextToken"]
    rest = httpx.get(
        twin.url("orders"), params={"limit": "2", "nextToken": token}, headers=alice.headers
    )
    listed = [order["orderId"] for order in first.json()["orders"] + rest.json()["orders"]]
    assert listed == list(reversed(mine))
    assert rest.json()["nextToken"] is None
    bad = httpx.get(twin.url("orders?limit=500"), headers=alice.headers, timeout=30)
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "limit"
    anonymous = httpx.get(twin.url("orders"), timeout=30)
    assert anonymous.status_code == 401


def test_an_operator_lists_everyone_ships_one_and_cannot_cancel_it_after(
    twin: Twin, alice: User, bob: User, tmp_path: Path
) -> None:
    order = _place(twin, bob, "MUG-01")
    everyone = as_json(_ops(twin, tmp_path, "orders", "list", "--json"))
    customers = {listed["customerId"] for listed in everyone}
    assert {alice.sub, bob.sub} <= customers
    assert everyone[0]["orderId"] == order["orderId"]

    shipped = as_json(_ops(twin, tmp_path, "orders", "ship", order["orderId"], "--json"))
    assert (shipped["status"], shipped["changed"]) == ("SHIPPED", True)
    again = as_json(_ops(twin, tmp_path, "orders", "ship", order["orderId"], "--json"))
    assert again["changed"] is False
    refused = _ops(twin, tmp_path, "orders", "cancel", order["orderId"])
    assert refused.returncode == 1
    assert "the order is SHIPPED: it cannot become CANCELLED" in refused.stderr

    seen = httpx.get(twin.url(f"orders/{order['orderId']}"), headers=bob.headers, timeout=30)
    assert seen.json()["status"] == "SHIPPED"
    assert seen.json()["statusChangedAt"] == shipped["statusChangedAt"]
    only_shipped = as_json(_ops(twin, tmp_path, "orders", "list", "--status", "shipped", "--json"))
    assert [listed["orderId"] for listed in only_shipped] == [order["orderId"]]
    unknown = _ops(twin, tmp_path, "orders", "ship", "01a24000-0000-7000-8000-000000000000")
    assert (unknown.returncode, "order not found" in unknown.stderr) == (1, True)


def test_every_placement_and_status_change_is_an_event_in_the_log_and_on_the_webhook(
    twin: Twin, alice: User, webhook: Webhook, tmp_path: Path
) -> None:
    order = _place(twin, alice, "TEE-01")
    as_json(_ops(twin, tmp_path, "orders", "cancel", order["orderId"], "--json"))
    events = _events(twin, 2)
    mine = [event for event in events if event["detail"]["orderId"] == order["orderId"]]
    deadline = time.monotonic() + 15
    while len(mine) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        mine = [e for e in _events(twin, 2) if e["detail"]["orderId"] == order["orderId"]]
    placed, cancelled = mine
    for event in (placed, cancelled):
        assert set(event) == ENVELOPE_KEYS
        assert (event["source"], event["version"], event["region"]) == (
            "orders-api",
            "0",
            twin.region,
        )
        assert "requestFingerprint" not in event["detail"]
    assert placed["detail-type"] == "OrderPlaced"
    assert placed["detail"] == order
    assert cancelled["detail-type"] == "OrderStatusChanged"
    assert cancelled["detail"]["status"] == "CANCELLED"

    path = twin.data_dir / "events.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not {placed["id"], cancelled["id"]} <= {
        event["id"] for event in webhook.received
    }:
        time.sleep(0.1)
    delivered = {event["id"]: event for event in webhook.received}
    assert delivered[placed["id"]] == placed
    assert delivered[cancelled["id"]] == cancelled

    log = twin.log()
    assert f"e-mail to s***@example.com: New order {order['orderId']}" in log
    assert SHOP_EMAIL not in log

    tail = _ops(twin, tmp_path, "events", "tail", "--json", "-n", "1000")
    assert tail.returncode == 0, tail.stderr
    assert [json.loads(line)["id"] for line in tail.stdout.splitlines()] == [
        event["id"] for event in _events(twin, len(events))
    ]


def test_the_customer_cli_lists_the_callers_orders(twin: Twin, tmp_path: Path) -> None:
    from tests.e2e.conftest import new_password

    email, password = "lister@example.com", new_password()
    cli: dict[str, Any] = {"cache_dir": tmp_path, "outputs": twin.outputs_path}
    as_json(
        orders_api("users", "create", email, "--password-stdin", "--json", stdin=password, **cli)
    )
    as_json(orders_api("login", email, "--password-stdin", "--json", stdin=password, **cli))
    placed = [
        as_json(orders_api("orders", "place", "--item", f"SKU-{n}=1", "--json", **cli))
        for n in range(3)
    ]
    listed = as_json(orders_api("orders", "list", "--limit", "2", "--json", **cli))
    assert [order["orderId"] for order in listed] == [placed[2]["orderId"], placed[1]["orderId"]]
    table = orders_api("orders", "list", **cli)
    assert table.returncode == 0
    assert "1 x SKU-0" in table.stdout


def test_every_invocation_prints_lambdas_report_line_and_cold_starts_say_so(twin: Twin) -> None:
    reports = [line for line in twin.log().splitlines() if line.startswith("REPORT RequestId: ")]
    assert len(reports) >= 5
    assert all(
        "\tBilled Duration: " in line and "\tMemory Size: 256 MB" in line for line in reports
    )
    cold = [line for line in reports if "\tInit Duration: " in line]
    assert 1 <= len(cold) <= 10  # one per execution environment started, at most the concurrency
