"""What a customer may see and repeat: idempotent retries, and nothing of another customer's.

Each customer is known to the function only by the claims API Gateway's Cognito authorizer
passes on ("Control access to REST APIs using Amazon Cognito user pools as an authorizer":
https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-integrate-with-cognito.html).
A retry is a DynamoDB conditional put that reads the stored item back on conflict
(`ReturnValuesOnConditionCheckFailure=ALL_OLD`, "PutItem" in the DynamoDB API reference:
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html). Lists read a
global secondary index, eventually consistent ("Using Global Secondary Indexes in DynamoDB":
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html), hence the bounded
wait for a new order to show.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.parity.conftest import ORDER, Customer, Target, eventually

NEVER_PLACED = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


def test_a_retry_returns_the_first_order_with_200_and_another_body_is_a_409(
    api: httpx.Client,
) -> None:
    headers = {"Idempotency-Key": f"parity-{secrets.token_hex(8)}"}
    first = api.post("orders", json=ORDER, headers=headers)
    retry = api.post("orders", json=ORDER, headers=headers)
    other = api.post("orders", json={"items": [{"sku": "MUG-01", "quantity": 3}]}, headers=headers)

    assert (first.status_code, retry.status_code, other.status_code) == (201, 200, 409)
    assert retry.json() == first.json()
    assert set(other.json()) >= {"message"}


def test_another_customers_order_is_not_found_exactly_as_one_never_placed(
    target: Target, api: httpx.Client, other_customer: Customer
) -> None:
    """The stranger learns nothing: the same 404 and body as for an id nobody ever used."""
    order_id = api.post("orders", json=ORDER).json()["orderId"]
    assert api.get(f"orders/{order_id}").status_code == 200
    with target.client(other_customer) as stranger:
        theirs = stranger.get(f"orders/{order_id}")
        unknown = stranger.get(f"orders/{NEVER_PLACED}")
    assert theirs.status_code == 404
    assert (theirs.status_code, theirs.json()) == (unknown.status_code, unknown.json())


def listed_ids(client: httpx.Client) -> set[str]:
    """Every order id the caller's GET /orders pages list (bounded: 50 pages)."""
    ids: set[str] = set()
    params: dict[str, Any] = {"limit": "100"}
    for _ in range(50):
        page = client.get("orders", params=params)
        assert page.status_code == 200, page.text
        body = page.json()
        ids.update(order["orderId"] for order in body["orders"])
        if not body.get("nextToken"):
            break
        params["nextToken"] = body["nextToken"]
    return ids


def test_listing_orders_shows_the_callers_orders_and_never_anothers(
    target: Target, api: httpx.Client, other_customer: Customer
) -> None:
    mine = api.post("orders", json=ORDER).json()["orderId"]
    with target.client(other_customer) as stranger:
        theirs = stranger.post("orders", json=ORDER).json()["orderId"]

        assert eventually(lambda: mine in listed_ids(api)), "the caller's order never listed"
        assert eventually(lambda: theirs in listed_ids(stranger)), "the other's never listed"
        assert theirs not in listed_ids(api)
        assert mine not in listed_ids(stranger)
