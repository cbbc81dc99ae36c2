"""`orders-api users create / login / orders place / orders get` against the running twin, as
a person or a script would run them (subprocesses, passwords on stdin, --json)."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Twin, new_password


def orders_api(
    *args: str, cache_dir: Path, stdin: str = "", outputs: Path | None = None
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "orders_api.cli", *args]
    if outputs is not None:
        command += ["--outputs", str(outputs)]
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "ORDERS_API_CACHE_DIR": str(cache_dir), "COLUMNS": "200"},
    )


def as_json(finished: subprocess.CompletedProcess[str]) -> Any:
    assert finished.returncode == 0, finished.stderr
    return json.loads(finished.stdout)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


def test_a_new_user_signs_up_logs_in_places_and_reads_an_order(twin: Twin, cache_dir: Path) -> None:
    email, password = "cli-user@example.com", new_password()
    cli: dict[str, Any] = {"cache_dir": cache_dir, "outputs": twin.outputs_path}

    created = as_json(
        orders_api("users", "create", email, "--password-stdin", "--json", stdin=password, **cli)
    )
    assert created["username"] == email
    logged_in = as_json(
        orders_api("login", email, "--password-stdin", "--json", stdin=password + "\n", **cli)
    )
    assert logged_in["username"] == email

    sessions = list(cache_dir.glob("session-*.json"))
    assert len(sessions) == 1
    assert stat.S_IMODE(sessions[0].stat().st_mode) == 0o600

    placed = as_json(
        orders_api(
            "orders",
            "place",
            "--item",
            "MUG-01=2",
            "--item",
            "TSHIRT-RED-M=1",
            "--note",
            "gift",
            "--json",
            **cli,
        )
    )
    assert placed["items"] == [
        {"sku": "MUG-01", "quantity": 2},
        {"sku": "TSHIRT-RED-M", "quantity": 1},
    ]
    assert placed["customerId"] == created["sub"]
    assert as_json(orders_api("orders", "get", placed["orderId"], "--json", **cli)) == placed

    table = orders_api("orders", "get", placed["orderId"], **cli)
    assert table.returncode == 0
    assert placed["orderId"] in table.stdout
    assert "2 x MUG-01" in table.stdout


def test_an_idempotency_key_replays_and_a_reused_key_is_refused(
    twin: Twin, cache_dir: Path
) -> None:
    email, password = "cli-retry@example.com", new_password()
    cli: dict[str, Any] = {"cache_dir": cache_dir, "outputs": twin.outputs_path}
    as_json(
        orders_api("users", "create", email, "--password-stdin", "--json", stdin=password, **cli)
    )
    as_json(orders_api("login", email, "--password-stdin", "--json", stdin=password, **cli))
    place = ("orders", "place", "--item", "MUG-01=1", "--idempotency-key", "cli-k1")

    first = as_json(orders_api(*place, "--json", **cli))
    replay = orders_api(*place, **cli)
    assert replay.returncode == 0
    assert "already placed" in replay.stdout
    assert first["orderId"] in replay.stdout

    reused = orders_api(
        "orders", "place", "--item", "MUG-01=5", "--idempotency-key", "cli-k1", **cli
    )
    assert reused.returncode == 1
    assert "HTTP 409" in reused.stderr


def test_commands_say_what_to_do_when_not_logged_in_or_the_server_is_down(
    twin: Twin, cache_dir: Path, tmp_path: Path
) -> None:
    not_logged_in = orders_api("orders", "get", "x", cache_dir=cache_dir, outputs=twin.outputs_path)
    assert not_logged_in.returncode == 1
    assert "orders-api login" in not_logged_in.stderr

    no_outputs = orders_api("orders", "get", "x", cache_dir=cache_dir, outputs=tmp_path / "none")
    assert no_outputs.returncode == 1
    assert "orders-api serve" in no_outputs.stderr

    stopped = dict(
        twin.outputs, ApiUrl="http://127.0.0.1:9/prod/", IdpEndpoint="http://127.0.0.1:9"
    )
    stopped_outputs = tmp_path / "stopped.json"
    stopped_outputs.write_text(json.dumps(stopped))
    down = orders_api(
        "login",
        "someone@example.com",
        "--password-stdin",
        stdin="x",
        cache_dir=cache_dir,
        outputs=stopped_outputs,
    )
    assert down.returncode == 1
    assert "Is `orders-api serve` running?" in down.stderr


def test_a_wrong_password_is_refused_with_cognitos_error(twin: Twin, cache_dir: Path) -> None:
    refused = orders_api(
        "login",
        "nobody@example.com",
        "--password-stdin",
        stdin="Wrong-password-1",
        cache_dir=cache_dir,
        outputs=twin.outputs_path,
    )
    assert refused.returncode == 1
    assert "NotAuthorizedException" in refused.stderr
    assert not list(cache_dir.glob("session-*.json"))


def test_logging_in_as_someone_else_says_whose_session_it_replaces(
    twin: Twin, cache_dir: Path
) -> None:
    cli: dict[str, Any] = {"cache_dir": cache_dir, "outputs": twin.outputs_path}
    first, second, password = (
        "first-of-two@example.com",
        "second-of-two@example.com",
        new_password(),
    )
    for email in (first, second):
        created = orders_api("users", "create", email, "--password-stdin", stdin=password, **cli)
        assert created.returncode == 0, created.stderr

    signed_in = orders_api("login", first, "--password-stdin", stdin=password, **cli)
    again = orders_api("login", first, "--password-stdin", stdin=password, **cli)
    replaced = orders_api("login", second, "--password-stdin", stdin=password, **cli)

    assert "replaces" not in signed_in.stderr + again.stderr, "the same user: nothing to say"
    assert replaced.returncode == 0, replaced.stderr
    assert f"note: this replaces {first}'s session" in replaced.stderr
    whoami = orders_api("whoami", "--json", **cli)
    assert json.loads(whoami.stdout)["username"] == second
    assert re.search(r"valid until \d{4}-\d{2}-\d{2} \d{2}:\d{2} \S+", replaced.stdout), (
        "the expiry names its date and time zone"
    )
