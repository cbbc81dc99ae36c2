"""The whole request path over real HTTP: boto3 against the identity provider, then the API
with the tokens it issued, answering with AWS's exact statuses and bodies."""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

import httpx
import jwt
import pytest

from orders_api.deployment.settings import OUTPUT_KEYS
from orders_api.twin.cognito.keys import SigningKey
from orders_api.twin.cognito.provider import IDP_DIRECTORY, KEY_FILE
from tests.e2e.conftest import Twin, User, new_user

ORDER = {"items": [{"sku": "MUG-01", "quantity": 2}], "note": "by the door"}
UNAUTHORIZED = {"message": "Unauthorized"}
EXPIRED = {"message": "The incoming token has expired"}
MISSING_TOKEN = {"message": "Missing Authentication Token"}


def _claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def _expired_id_token(twin: Twin, user: User) -> str:
    """The user's real ID token, re-signed by the pool's own key with exp an hour ago."""
    key = SigningKey.load_or_create(twin.data_dir / IDP_DIRECTORY / KEY_FILE)
    claims = _claims_of(user.id_token)
    claims["iat"] = int(time.time()) - 7200
    claims["auth_time"] = claims["iat"]
    claims["exp"] = int(time.time()) - 3600
    return jwt.encode(claims, key.private_key, algorithm="RS256", headers={"kid": key.kid})


def test_the_twin_writes_the_stacks_output_keys_and_its_idp_endpoint(twin: Twin) -> None:
    outputs = json.loads(twin.outputs_path.read_text())
    assert set(outputs) == {*OUTPUT_KEYS, "IdpEndpoint"}
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/prod/", outputs["ApiUrl"])
    assert re.fullmatch(r"us-east-1_[A-Za-z0-9]{9}", outputs["UserPoolId"])
    assert re.fullmatch(r"[a-z0-9]{26}", outputs["UserPoolClientId"])
    assert outputs["TableName"].endswith("orders.sqlite3")


def test_readiness_answers_outside_the_api_without_a_token(twin: Twin) -> None:
    ready = twin.ready()
    assert ready["status"] == "ready"
    assert ready["storage"] == "sqlite"
    assert ready["requestFilter"]["rules"]  # the deployed web ACL, enforced by default
    under_the_stage = httpx.get(twin.url("__twin/ready"), timeout=10)
    assert (under_the_stage.status_code, under_the_stage.json()) == (403, MISSING_TOKEN)


def test_a_signed_in_user_places_an_order_and_reads_it_back(api: httpx.Client, user: User) -> None:
    placed = api.post("orders", json=ORDER)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["customerId"] == user.sub
    assert order["items"] == ORDER["items"]
    assert placed.headers["location"] == f"/prod/orders/{order['orderId']}"
    assert placed.headers["x-amzn-requestid"]

    read = api.get(f"orders/{order['orderId']}")
    assert read.status_code == 200
    assert read.json() == order


def test_a_retry_with_the_same_idempotency_key_returns_the_first_order_with_200(
    api: httpx.Client,
) -> None:
    headers = {"Idempotency-Key": "retry-1"}
    first = api.post("orders", json=ORDER, headers=headers)
    retry = api.post("orders", json=ORDER, headers=headers)
    assert (first.status_code, retry.status_code) == (201, 200)
    assert retry.json() == first.json()


def test_reusing_an_idempotency_key_with_another_body_is_a_409_conflict(
    api: httpx.Client,
) -> None:
    headers = {"Idempotency-Key": "reused-1"}
    assert api.post("orders", json=ORDER, headers=headers).status_code == 201
    other = {"items": [{"sku": "MUG-01", "quantity": 3}]}
    conflict = api.post("orders", json=other, headers=headers)
    assert conflict.status_code == 409
    assert "Idempotency-Key" in conflict.json()["message"]


def test_another_customers_order_is_not_found(twin: Twin, api: httpx.Client) -> None:
    order = api.post("orders", json=ORDER).json()
    stranger = new_user(twin)
    response = httpx.get(
        twin.url(f"orders/{order['orderId']}"), headers=stranger.headers, timeout=30
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [None, "", "not-a-jwt", "Bearer", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."],
    ids=["missing", "empty", "garbage", "bearer-without-token", "alg-none"],
)
def test_a_missing_or_bad_token_gets_401_unauthorized(
    anonymous: httpx.Client, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = anonymous.post("orders", json=ORDER, headers=headers)
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert response.headers["x-amzn-errortype"] == "UnauthorizedException"


def test_an_access_token_where_an_id_token_is_required_gets_401(
    anonymous: httpx.Client, user: User
) -> None:
    response = anonymous.post("orders", json=ORDER, headers={"Authorization": user.access_token})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)


def test_an_expired_token_gets_401_with_aws_message(
    twin: Twin, anonymous: httpx.Client, user: User
) -> None:
    token = _expired_id_token(twin, user)
    response = anonymous.get(
        "orders/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", headers={"Authorization": token}
    )
    assert (response.status_code, response.json()) == (401, EXPIRED)


@pytest.mark.parametrize(
    ("method", "path"),
    [("PUT", "orders"), ("DELETE", "orders"), ("GET", "nothing-here"), ("POST", "orders/")],
)
def test_a_path_or_method_without_a_route_gets_403_missing_authentication_token(
    api: httpx.Client, method: str, path: str
) -> None:
    response = api.request(method, path)
    assert (response.status_code, response.json()) == (403, MISSING_TOKEN)
    assert response.headers["x-amzn-errortype"] == "MissingAuthenticationTokenException"


def test_a_path_outside_the_stage_gets_403_forbidden(twin: Twin, user: User) -> None:
    response = httpx.post(twin.base_url + "/orders", json=ORDER, headers=user.headers, timeout=30)
    assert (response.status_code, response.json()) == (403, {"message": "Forbidden"})


def test_a_body_over_10_mb_gets_413(api: httpx.Client) -> None:
    body = b"{" + b" " * (10 * 1024 * 1024) + b"}"
    response = api.post("orders", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert response.text == "HTTP content length exceeded 10485760 bytes."


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        ("items=1", {"Content-Type": "text/plain"}, 415, "Content-Type must be application/json"),
        # A JSON body that breaks the model, malformed or not, is API Gateway's request
        # validator's 400 before the function runs, as deployed.
        ('{"items": [', {"Content-Type": "application/json"}, 400, "Invalid request body"),
        ('{"items": []}', {"Content-Type": "application/json"}, 400, "Invalid request body"),
        (
            json.dumps(ORDER),
            {"Content-Type": "application/json", "Idempotency-Key": "has space"},
            400,
            "Invalid request",
        ),
    ],
    ids=["415-not-json", "400-malformed-json", "400-no-items", "400-bad-idempotency-key"],
)
def test_errors_reach_the_client_as_api_gateway_and_the_handler_send_them(
    api: httpx.Client, body: str, headers: dict[str, str], status: int, message: str
) -> None:
    response = api.post("orders", content=body.encode(), headers=headers)
    assert response.status_code == status, response.text
    assert response.json()["message"] == message


def test_an_unknown_order_gets_404(api: httpx.Client) -> None:
    response = api.get("orders/0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")
    assert (response.status_code, response.json()) == (404, {"message": "Order not found"})


def test_the_server_log_never_shows_a_token(twin: Twin, api: httpx.Client, user: User) -> None:
    api.post("orders", json=ORDER)
    api.post("orders", json=ORDER, headers={"Authorization": "x" + user.id_token})
    log = twin.log()
    assert user.id_token not in log
    assert user.id_token.split(".")[1] not in log
    assert user.password not in log
