"""`orders-api token` and `outputs`, for curl and scripts: values on stdout, and errors that say
what to do (as one JSON object on stderr with --json)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from orders_api.cli.api_client import Session, SessionStore, StackOutputs
from tests.e2e.conftest import Twin, new_user


def orders_api(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orders_api.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, **env},
    )


def _env(twin: Twin, tmp_path: Path) -> dict[str, str]:
    return {"ORDERS_API_OUTPUTS": str(twin.outputs_path), "ORDERS_API_CACHE_DIR": str(tmp_path)}


def test_outputs_prints_one_value_or_all_as_json(twin: Twin, tmp_path: Path) -> None:
    env = _env(twin, tmp_path)
    assert orders_api("outputs", "ApiUrl", env=env).stdout.strip() == twin.api_url
    everything = json.loads(orders_api("outputs", "--json", env=env).stdout)
    assert everything["UserPoolClientId"] == twin.client_id
    assert everything["IdpEndpoint"] == twin.idp_endpoint


def test_token_without_a_session_says_to_log_in(twin: Twin, tmp_path: Path) -> None:
    plain = orders_api("token", env=_env(twin, tmp_path))
    assert plain.returncode == 1
    assert plain.stdout == ""
    assert "not logged in: run `orders-api login EMAIL` first" in plain.stderr
    scripted = orders_api("token", "--json", env=_env(twin, tmp_path))
    assert scripted.returncode == 1
    assert "orders-api login" in json.loads(scripted.stderr)["error"]


def test_without_outputs_the_error_says_to_start_the_twin(tmp_path: Path) -> None:
    missing = {"ORDERS_API_OUTPUTS": str(tmp_path / "nowhere.json")}
    finished = orders_api("outputs", "ApiUrl", env=missing)
    assert finished.returncode == 1
    assert "start the local twin with `orders-api serve`" in finished.stderr


def test_an_expired_token_is_renewed_and_a_dead_session_says_to_log_in_again(
    twin: Twin, tmp_path: Path
) -> None:
    user = new_user(twin)
    store = SessionStore(StackOutputs.load(twin.outputs_path), tmp_path)
    expired = Session(user.email, user.id_token, user.access_token, user.refresh_token, 0.0)
    store.save(expired)
    renewed = orders_api("token", env=_env(twin, tmp_path))
    assert renewed.returncode == 0, renewed.stderr
    token = renewed.stdout.strip()
    assert token
    assert token != user.id_token
    assert (saved := store.load()) is not None
    assert saved.expires_at > time.time()
    answer = httpx.get(twin.url("orders/none"), headers={"Authorization": token}, timeout=10)
    assert answer.status_code == 404  # the renewed token passes the authorizer

    store.save(Session(user.email, user.id_token, user.access_token, "not-a-refresh-token", 0.0))
    dead = orders_api("token", env=_env(twin, tmp_path))
    assert dead.returncode == 1
    assert "your session expired" in dead.stderr
    assert "log in again with `orders-api login EMAIL`" in dead.stderr
