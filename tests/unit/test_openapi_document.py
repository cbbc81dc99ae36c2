"""The committed openapi.json is the document the handler's routes and models generate."""

from __future__ import annotations

import json

from orders_api.openapi import SECURITY_SCHEME, document, render
from tests.paths import ROOT


def test_the_committed_document_is_up_to_date() -> None:
    committed = (ROOT / "openapi.json").read_text()
    assert committed == render(), "run: orders-api openapi --write openapi.json"


def test_it_is_openapi_3_1_with_both_routes() -> None:
    spec = document()
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) == {"/orders", "/orders/{orderId}"}


def test_every_operation_requires_the_cognito_token() -> None:
    spec = document()
    assert spec["components"]["securitySchemes"][SECURITY_SCHEME] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "A Cognito ID token (JWT) for the API's app client.",
    }
    assert spec["security"] == [{SECURITY_SCHEME: []}]


def test_errors_are_documented_with_the_one_error_shape() -> None:
    post = document()["paths"]["/orders"]["post"]["responses"]
    for status in ("400", "401", "403", "409", "413", "415", "422", "429", "502", "503"):
        schema = post[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}, status
    assert "Location" in post["201"]["headers"]
    assert "Retry-After" in post["429"]["headers"]


def test_the_request_body_is_the_new_order_model() -> None:
    body = document()["paths"]["/orders"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewOrder"
    }
    assert json.dumps(document()).count("requestFingerprint") == 0
