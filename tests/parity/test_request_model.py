"""API Gateway's request validator with the deployed `NewOrder` model on POST /orders: a body
that breaks the model gets 400 `{"message":"Invalid request body"}` before the function runs.

Sources: "Request validation for REST APIs in API Gateway" (validation fails: 400 to the caller,
no call to the backend):
https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-method-request-validation.html;
"Gateway response types for API Gateway" (BAD_REQUEST_BODY, 400):
https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html.
"""

from __future__ import annotations

import json

import httpx
import pytest

INVALID_BODY = {"message": "Invalid request body"}


@pytest.mark.parametrize(
    "body",
    [
        {"items": []},
        {"items": [{"sku": "MUG-01", "quantity": 0}]},
        {"items": [{"sku": "mug 01", "quantity": 1}]},
        {"items": [{"sku": "MUG-01", "quantity": 1}], "discount": 100},
        {"note": "no items at all"},
    ],
    ids=["no-items", "quantity-0", "bad-sku", "unknown-field", "items-missing"],
)
def test_a_body_that_breaks_the_order_model_is_an_invalid_request_body(
    api: httpx.Client, body: dict[str, object]
) -> None:
    response = api.post(
        "orders",
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()) == (400, INVALID_BODY)


def test_a_model_breaking_body_without_a_token_is_refused_by_a_401_or_the_400(
    anonymous: httpx.Client,
) -> None:
    """AWS documents that validation runs before the integration, not whether before or after
    a Cognito authorizer (docs/parity.md); either refusal is an API Gateway one, never the
    function's 422."""
    response = anonymous.post("orders", json={"items": []})
    assert (response.status_code, response.json()) in (
        (401, {"message": "Unauthorized"}),
        (400, INVALID_BODY),
    )
