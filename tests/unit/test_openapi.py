"""The committed openapi.json is the document the handler's routes and models generate."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from orders_api.cli import main
from orders_api.domain import IDEMPOTENCY_KEY_PATTERN, NewOrder
from orders_api.function.responses import ErrorBody
from orders_api.openapi import SECURITY_SCHEME, document, local_document, render
from tests.paths import ROOT

DOCUMENTED_STATUSES = {"200", "201", "400", "401", "403", "404", "409", "413", "415", "422"}
DOCUMENTED_STATUSES |= {"429", "502", "503"}


def _operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [operation for path in spec["paths"].values() for operation in path.values()]


def test_the_committed_document_is_up_to_date() -> None:
    committed = (ROOT / "openapi.json").read_text()
    assert committed == render(), "run: orders-api openapi --write openapi.json"


def test_the_openapi_command_prints_and_writes_the_same_document(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["openapi"]) == 0
    printed = capsys.readouterr().out
    assert main(["openapi", "--write", str(tmp_path / "openapi.json")]) == 0
    assert printed == (tmp_path / "openapi.json").read_text() == render()


def test_it_is_openapi_3_1_with_both_routes() -> None:
    spec = document()
    assert spec["openapi"] == "3.1.0"
    assert set(spec["paths"]) == {"/orders", "/orders/{orderId}"}


def test_the_servers_include_the_stage_as_api_url_does() -> None:
    urls = [server["url"] for server in document()["servers"]]
    assert urls == [
        "http://127.0.0.1:3000/prod",
        "https://{apiId}.execute-api.{region}.amazonaws.com/prod",
    ]
    served = local_document("http://127.0.0.1:4321/prod/")
    assert [server["url"] for server in served["servers"]] == ["http://127.0.0.1:4321/prod"]


def test_every_operation_requires_the_cognito_token() -> None:
    spec = document()
    assert spec["components"]["securitySchemes"][SECURITY_SCHEME] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "A Cognito ID token (JWT) for the API's app client.",
    }
    assert spec["security"] == [{SECURITY_SCHEME: []}]


def test_every_status_the_api_answers_is_documented() -> None:
    documented = {status for op in _operations(document()) for status in op["responses"]}
    assert documented >= DOCUMENTED_STATUSES


def test_errors_are_documented_with_the_one_error_shape() -> None:
    post = document()["paths"]["/orders"]["post"]["responses"]
    for status in ("400", "401", "403", "409", "415", "422", "429", "502", "503"):
        schema = post[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}, status
    assert "Location" in post["201"]["headers"]
    assert "Retry-After" in post["429"]["headers"]


def test_the_413_is_api_gateways_plain_text_not_json() -> None:
    too_large = document()["paths"]["/orders"]["post"]["responses"]["413"]["content"]
    assert list(too_large) == ["text/plain"]
    assert too_large["text/plain"]["example"] == "HTTP content length exceeded 10485760 bytes."


def test_every_json_response_has_examples_of_its_schema() -> None:
    spec = document()
    for operation in _operations(spec):
        for status, response in operation["responses"].items():
            if "application/json" not in response["content"]:
                continue
            content = response["content"]["application/json"]
            examples = content["examples"]
            assert examples, status
            schema = {**content["schema"], "components": spec["components"]}
            for example in examples.values():
                jsonschema.Draft202012Validator(schema).validate(example["value"])
                if int(status) >= 400:
                    ErrorBody.model_validate(example["value"])


def test_request_examples_are_orders_the_model_accepts() -> None:
    body = document()["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]
    for example in body["examples"].values():
        NewOrder.model_validate_json(json.dumps(example["value"]))


def test_the_request_body_is_the_new_order_model() -> None:
    body = document()["paths"]["/orders"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewOrder"
    }
    assert json.dumps(document()).count("requestFingerprint") == 0


def test_the_documented_idempotency_key_pattern_is_the_one_the_service_enforces() -> None:
    parameters = document()["paths"]["/orders"]["post"]["parameters"]
    (key,) = [p for p in parameters if p["name"].lower() == "idempotency-key"]
    assert key["schema"]["pattern"] == IDEMPOTENCY_KEY_PATTERN.pattern


def test_every_schema_the_document_lists_is_used_by_an_operation() -> None:
    spec = document()
    text = json.dumps({key: value for key, value in spec.items() if key != "components"})
    schemas = spec["components"]["schemas"]
    used_directly = {name for name in schemas if f'"#/components/schemas/{name}"' in text}
    used_within = {
        name
        for name in schemas
        for other in used_directly
        if f'"#/components/schemas/{name}"' in json.dumps(schemas[other])
    }
    assert set(schemas) == used_directly | used_within
    assert "HTTPValidationError" not in schemas, "Powertools' own error shape is never sent"
