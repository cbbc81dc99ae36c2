"""The web ACL in front of the running twin, over real HTTP: both corpora, the rate rule per
source address, and proof by counters that a blocked request reaches neither the handler nor
the database."""

from __future__ import annotations

import http.client
import json
import sqlite3
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from orders_api.deployment.waf_policy import DEFAULT_POLICY
from tests.e2e.conftest import Twin, User, new_user
from tests.security.waf_corpora import CorpusRequest, legitimate_orders, malicious_requests

FORBIDDEN = {"message": "Forbidden"}
TOO_MANY = {"message": "Too Many Requests"}
# Both corpora come from one address: lift the rate limit so that every rule still evaluates.
CORPUS_RATE_LIMIT = "1000000"
RATE_LIMIT = 10
TIME_SCALE = 6  # the rate rule's 60 s window passes in 10 s of real time


@pytest.fixture(scope="module")
def twin_args() -> tuple[str, ...]:
    return ("--rate-limit", CORPUS_RATE_LIMIT)


def waf_stats(twin: Twin) -> dict[str, Any]:
    stats: dict[str, Any] = twin.ready()["requestFilter"]
    return stats


def order_count(twin: Twin) -> int:
    database = twin.data_dir / "orders.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        (count,) = connection.execute("SELECT COUNT(*) FROM orders").fetchone()
    return int(count)


def send_raw(twin: Twin, request: CorpusRequest, token: str | None = None) -> tuple[int, bytes]:
    """The request exactly as the corpus has it: target, headers and body, nothing normalised."""
    connection = http.client.HTTPConnection("127.0.0.1", twin.api_port, timeout=30)
    try:
        connection.putrequest(
            request.method, request.target, skip_host=True, skip_accept_encoding=True
        )
        for name, value in request.headers:
            connection.putheader(name, value)
        if token:
            connection.putheader("Authorization", token)
        connection.putheader("Content-Length", str(len(request.body)))
        connection.endheaders(request.body or None)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("attack", malicious_requests(), ids=lambda attack: attack.id)
def test_each_attack_is_refused_or_labelled_over_http_by_the_rule_expected(
    twin: Twin, user: User, attack: CorpusRequest
) -> None:
    rule_key = f"{attack.expected_group}:{attack.expected_rule}"
    before = waf_stats(twin)["managedRules"].get(rule_key, 0)
    status, body = send_raw(twin, attack, token=user.id_token)
    assert waf_stats(twin)["managedRules"].get(rule_key, 0) == before + 1
    if not attack.counted:
        assert (status, json.loads(body)) == (403, FORBIDDEN)
        return
    # A body rule counts: the body goes on, and whatever is stored comes back as sent.
    assert status < 500
    if status == 201:
        sent = json.loads(attack.body)
        assert json.loads(body).get("note") == sent.get("note")


def test_every_legitimate_order_is_accepted_over_http(twin: Twin, user: User) -> None:
    refused: dict[str, tuple[int, str]] = {}
    orders = legitimate_orders()
    with httpx.Client(base_url=twin.api_url, headers=user.headers, timeout=30) as client:
        for entry in orders:
            body = json.dumps(entry["order"], ensure_ascii=entry.get("asciiEscaped", False))
            response = client.post(
                "orders",
                content=body.encode(),
                headers={"Content-Type": "application/json", "User-Agent": entry["userAgent"]},
            )
            if response.status_code != 201:
                refused[entry["id"]] = (response.status_code, response.text[:200])
    rate = len(refused) / len(orders)
    print(f"\nWAF false-positive rate over HTTP: {len(refused)}/{len(orders)} = {rate:.1%}")
    assert refused == {}


def test_a_blocked_request_reaches_neither_the_handler_nor_the_database(
    twin: Twin, user: User
) -> None:
    # A well-formed order a handler would store, sent with a script in its query string.
    clean = {"items": [{"sku": "MUG-01", "quantity": 1}], "note": "by the door"}
    attack = {"x": "<script>alert(1)</script>"}
    with httpx.Client(base_url=twin.api_url, headers=user.headers, timeout=30) as client:
        orders_before, stats_before = order_count(twin), waf_stats(twin)
        blocked = [client.post("orders", json=clean, params=attack).status_code for _ in range(5)]
        orders_after_attacks, stats_after = order_count(twin), waf_stats(twin)
        accepted = client.post("orders", json=clean)
    assert blocked == [403] * 5
    assert stats_after["blocked"] - stats_before["blocked"] == 5
    assert orders_after_attacks == orders_before  # nothing stored: the handler never ran
    assert accepted.status_code == 201
    assert order_count(twin) == orders_before + 1  # the same path stores a clean order


@pytest.fixture
def rate_limited_twin(twin_factory: Any) -> Twin:
    running: Twin = twin_factory(
        "--rate-limit", str(RATE_LIMIT), "--rate-window", "60", "--waf-time-scale", str(TIME_SCALE)
    )
    return running


@pytest.fixture
def second_address_client(rate_limited_twin: Twin) -> Iterator[httpx.Client]:
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(
        base_url=rate_limited_twin.api_url, transport=transport, timeout=30
    ) as client:
        yield client


def test_a_client_over_the_rate_limit_gets_429_while_another_address_keeps_getting_201(
    rate_limited_twin: Twin, second_address_client: httpx.Client
) -> None:
    twin = rate_limited_twin
    noisy, quiet = new_user(twin), new_user(twin)
    order = {"items": [{"sku": "MUG-01", "quantity": 1}]}
    window_seconds = 60 / TIME_SCALE
    statuses: list[int] = []
    with httpx.Client(base_url=twin.api_url, headers=noisy.headers, timeout=30) as client:
        started = time.monotonic()
        while len(statuses) < 3 * RATE_LIMIT and 429 not in statuses:
            statuses.append(client.post("orders", json=order).status_code)
        burst_seconds = time.monotonic() - started
        assert burst_seconds < window_seconds, "too slow to exceed the limit within the window"
        assert statuses == [201] * RATE_LIMIT + [429]
        limited = client.post("orders", json=order)
        assert limited.status_code == 429
        assert limited.json() == TOO_MANY
        assert limited.headers["retry-after"] == "60"

        from_elsewhere = [
            second_address_client.post("orders", json=order, headers=quiet.headers).status_code
            for _ in range(3)
        ]
        assert from_elsewhere == [201] * 3
        assert order_count(twin) == RATE_LIMIT + 3  # refused requests stored nothing
        stats = waf_stats(twin)
        assert stats["rules"][DEFAULT_POLICY.rate_rule.name]["blocked"] == 2
        assert stats["rateLimit"]["limitedKeys"] == 1

        # Once the burst has left the window, the client's rate is under the limit again.
        time.sleep(window_seconds - (time.monotonic() - started) + 0.5)
        recovered = client.post("orders", json=order)
    assert recovered.status_code == 201
    assert waf_stats(twin)["rateLimit"]["limitedKeys"] == 0


def test_the_waf_log_records_each_decision_like_aws_without_the_token(
    twin_factory: Any, tmp_path: Any
) -> None:
    log_path = tmp_path / "waf.jsonl"
    twin: Twin = twin_factory("--waf-log", str(log_path))
    user = new_user(twin)
    with httpx.Client(base_url=twin.api_url, headers=user.headers, timeout=30) as client:
        placed = client.post("orders", json={"items": [{"sku": "A", "quantity": 1}]})
        assert placed.is_success, (placed.status_code, placed.text, twin.log()[-2000:])
        assert client.get("orders", params={"file": "../../etc/passwd"}).status_code == 403
    allowed, blocked = (json.loads(line) for line in log_path.read_text().splitlines())
    assert (allowed["action"], allowed["terminatingRuleId"]) == ("ALLOW", "Default_Action")
    assert blocked["action"] == "BLOCK"
    assert blocked["terminatingRuleId"] == "AWSManagedRulesCommonRuleSet"
    assert blocked["httpRequest"]["clientIp"] == "127.0.0.1"
    assert blocked["httpRequest"]["uri"] == "/prod/orders"
    assert blocked["httpRequest"]["httpMethod"] == "GET"
    assert {"name": "awswaf:managed:aws:core-rule-set:GenericLFI_QueryArguments"} in blocked[
        "labels"
    ]
    assert user.id_token not in log_path.read_text()
    assert oct(log_path.stat().st_mode & 0o777) == "0o600"


def test_the_waf_stats_command_shows_the_twins_counters(
    twin: Twin, capsys: pytest.CaptureFixture[str]
) -> None:
    from orders_api.cli import main

    stats = waf_stats(twin)
    assert main(["waf", "stats", "--json", "--outputs", str(twin.outputs_path)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["requests"] == stats["requests"]  # reading the counters does not count
    assert set(shown["rules"]) == {rule.name for rule in DEFAULT_POLICY.rules()}
    assert main(["waf", "stats", "--outputs", str(twin.outputs_path)]) == 0
    assert "AWSManagedRulesCommonRuleSet" in capsys.readouterr().out


def test_without_the_web_acl_an_attack_reaches_the_api(twin_factory: Any) -> None:
    twin: Twin = twin_factory("--no-waf")
    assert twin.ready()["requestFilter"] is None
    response = httpx.get(twin.url("orders"), params={"file": "../../etc/passwd"}, timeout=30)
    assert response.status_code == 401  # past the web ACL: the authorizer wants a token
    assert response.json() == {"message": "Unauthorized"}
