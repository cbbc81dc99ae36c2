"""The OpenAPI 3.1 document of the Orders API, generated from the handler's routes and models.

`openapi.json` at the repository root is this document, committed; a test fails when it is
out of date (`orders-api openapi --write openapi.json` refreshes it).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import (
    APIKey,
    APIKeyIn,
    Server,
)

from orders_api import __version__
from orders_api.handler import app

SECURITY_SCHEME = "CognitoIdToken"

_DESCRIPTION = """\
Place and read customer orders. Every call needs a Cognito ID token for the API's app client in
the `Authorization` header, as the API Gateway Cognito authorizer expects. Requests pass AWS WAF
first: blocked requests get 403 `{"message":"Forbidden"}`, rate-limited clients 429 with
`Retry-After`.
"""


def document() -> dict[str, Any]:
    """The OpenAPI document as a dict, stable from run to run."""
    schema = app.get_openapi_json_schema(
        title="Orders API",
        version=__version__,
        openapi_version="3.1.0",
        description=_DESCRIPTION,
        servers=[
            Server(url="http://127.0.0.1:3000", description="The local twin (make run)"),
            Server(
                url="https://{apiId}.execute-api.{region}.amazonaws.com/prod",
                description="The deployed API (ApiUrl in the stack outputs)",
                variables={
                    "apiId": {"default": "example"},
                    "region": {"default": "us-east-1"},
                },
            ),
        ],
        security_schemes={
            SECURITY_SCHEME: APIKey(
                name="Authorization",
                in_=APIKeyIn.header,
                description="A Cognito ID token (JWT) for the API's app client.",
            )
        },
        security=[{SECURITY_SCHEME: []}],
    )
    parsed: dict[str, Any] = json.loads(schema)
    return parsed


def render() -> str:
    return json.dumps(document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
