"""The OpenAPI 3.1 document of the Orders API, generated from the handler's routes and models.

`openapi.json` at the repository root is this document, committed; a test fails when it is
out of date (`orders-api openapi --write openapi.json` refreshes it). The local twin serves the
same document at `/openapi.json`, with its own URL as the only server.

Powertools builds the paths, parameters and schemas from the routes and the pydantic models
(the ones infra turns into API Gateway's request model). This module adds what the routes
cannot say: examples, each built from those models, so an example that breaks the rules fails
here; and the bodies API Gateway sends itself (WAF blocks, the authorizer's refusals, unknown
routes), from `deployment.gateway_responses`, the table the stack and the twin read too, so the
document, the stack and the twin cannot disagree.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.event_handler.openapi.models import (
    APIKey,
    APIKeyIn,
    Server,
)
from pydantic import ValidationError

from orders_api import __version__
from orders_api.deployment import gateway_responses
from orders_api.deployment.gateway_responses import GatewayResponse
from orders_api.deployment.settings import DEFAULT_SETTINGS
from orders_api.deployment.waf_policy import DEFAULT_POLICY, RATE_LIMITED_BODY_KEY
from orders_api.domain import (
    IDEMPOTENCY_KEY_RULE,
    Address,
    LineItem,
    NewOrder,
    Order,
    OrderStatus,
)
from orders_api.domain.paging import PAGE_SIZE_RULE, TOKEN_RULE, OrderPage
from orders_api.function import responses
from orders_api.function.handler import app
from orders_api.function.responses import ErrorBody, FieldProblem

SECURITY_SCHEME = "CognitoIdToken"
LOCAL_API_URL = f"http://127.0.0.1:3000/{DEFAULT_SETTINGS.stage}"
DEPLOYED_API_URL = "https://{apiId}.execute-api.{region}.amazonaws.com/" + DEFAULT_SETTINGS.stage

_DESCRIPTION = """\
Place and read customer orders. Every call needs a Cognito ID token for the API's app client in
the `Authorization` header, as the API Gateway Cognito authorizer expects. Requests pass AWS WAF
first: blocked requests get 403 `{"message":"Forbidden"}`, rate-limited clients 429 with
`Retry-After`.
"""

DEFAULT_SERVERS: tuple[Server, ...] = (
    Server(url=LOCAL_API_URL, description="The local twin (make run)"),
    Server(
        url=DEPLOYED_API_URL,
        description="The deployed API (ApiUrl in the stack outputs)",
        variables={"apiId": {"default": "example"}, "region": {"default": "us-east-1"}},
    ),
)

_CUSTOMER = "6c1f0b7e-3c1a-4d5e-9a8b-2f4e6d8c0a13"
_CREATED_AT = datetime(2026, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)


def _example(summary: str, value: Any) -> dict[str, Any]:
    return {"summary": summary, "value": value}


def _body_of(response: GatewayResponse) -> Any:
    return json.loads(response.body)


def request_examples() -> dict[str, dict[str, Any]]:
    """Valid `POST /orders` bodies, by name; the first is the one Swagger UI fills in."""
    one_mug = NewOrder(items=[LineItem(sku="MUG-01", quantity=2)], note="Gift wrap, please")
    shipped = NewOrder(
        items=[LineItem(sku="MUG-01", quantity=1), LineItem(sku="TEE-BLK-M", quantity=3)],
        shippingAddress=Address(
            name="Ada Lovelace",
            line1="12 St James's Square",
            city="London",
            postalCode="SW1Y 4JH",
            country="GB",
        ),
    )
    return {
        "mugs": _example("Two mugs, with a note", _wire(one_mug)),
        "shipped": _example("Two lines and a shipping address", _wire(shipped)),
    }


def _wire(model: NewOrder | ErrorBody) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _sample_order(order_id: str = "019597e1-2f4d-7c3a-8e21-5b9d0c4f7a62") -> Order:
    new_order = NewOrder(items=[LineItem(sku="MUG-01", quantity=2)], note="Gift wrap, please")
    return Order.place(order_id, _CUSTOMER, new_order, _CREATED_AT)


def _order_example() -> dict[str, object]:
    return _sample_order().to_api()


def _error(message: str, *problems: tuple[str, str]) -> Any:
    errors = [FieldProblem(field=field, message=text) for field, text in problems] or None
    return _wire(ErrorBody(message=message, errors=errors))


def _too_many_message() -> str:
    """pydantic's own words for a quantity over the limit, as the 422 carries them."""
    try:
        NewOrder.model_validate({"items": [{"sku": "MUG-01", "quantity": 1000}]})
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"])
    raise AssertionError("NewOrder accepted a quantity of 1000")


def response_examples() -> dict[int, dict[str, dict[str, Any]]]:
    """JSON examples for each documented status (413 is plain text: see `_plain_text`)."""
    order = _order_example()
    rate_limited = DEFAULT_POLICY.response_bodies[RATE_LIMITED_BODY_KEY].content
    return {
        201: {"placed": _example("The new order", order)},
        200: {"order": _example("The order (a replay of the first POST, for POST)", order)},
        400: {
            "invalidBody": _example(
                "The body breaks the request model (API Gateway's validator, before the function)",
                _body_of(gateway_responses.INVALID_REQUEST_BODY),
            ),
            "malformedJson": _example("The body is not JSON", _error(responses.NOT_JSON)),
            "badIdempotencyKey": _example(
                "An Idempotency-Key outside 1-128 printable ASCII",
                _error(
                    responses.INVALID_REQUEST,
                    ("Idempotency-Key", IDEMPOTENCY_KEY_RULE),
                ),
            ),
        },
        401: {
            "noOrBadToken": _example(
                "No token, or not one of this pool's", _body_of(gateway_responses.UNAUTHORIZED)
            ),
            "expired": _example(
                "A genuine token past its exp", _body_of(gateway_responses.TOKEN_EXPIRED)
            ),
        },
        403: {
            "blockedByWaf": _example(
                "Blocked by a WAF rule", _body_of(gateway_responses.WAF_FILTERED)
            ),
            "noSuchRoute": _example(
                "No such method or path", _body_of(gateway_responses.MISSING_AUTHENTICATION_TOKEN)
            ),
        },
        404: {
            "notFound": _example("No such order for this caller", _error(responses.ORDER_NOT_FOUND))
        },
        409: {
            "keyReused": _example(
                "The Idempotency-Key was used with another body",
                _error(responses.KEY_REUSED),
            )
        },
        415: {
            "notJson": _example(
                "Content-Type is not JSON", _error(responses.UNSUPPORTED_MEDIA_TYPE)
            )
        },
        422: {
            "badQuantity": _example(
                "A field breaks the order rules",
                _error(responses.VALIDATION_FAILED, ("items[0].quantity", _too_many_message())),
            )
        },
        429: {"rateLimited": _example("The WAF rate rule", json.loads(rate_limited))},
        502: {
            "functionFailed": _example(
                "The function failed", _body_of(gateway_responses.INTERNAL_SERVER_ERROR)
            )
        },
        503: {
            "storageBusy": _example(
                "DynamoDB throttled or timed out", _error(responses.STORAGE_UNAVAILABLE)
            )
        },
    }


def list_examples() -> dict[int, dict[str, dict[str, Any]]]:
    """JSON examples of `GET /orders` where its answers differ from the other routes'."""
    older = _sample_order("01959200-aa11-7c3a-8e21-5b9d0c4f7a62").model_copy(
        update={
            "created_at": _CREATED_AT - timedelta(days=3),
            "status": OrderStatus.SHIPPED,
            "status_changed_at": _CREATED_AT - timedelta(days=2),
        }
    )
    first_page = OrderPage.of([_sample_order(), older, older], 2)
    return {
        200: {
            "page": _example(
                "A page of the caller's orders, and the token of the next one",
                first_page.to_api().model_dump(mode="json", by_alias=True),
            )
        },
        400: {
            "badLimit": _example(
                "A limit outside 1-100",
                _error(responses.INVALID_REQUEST, ("limit", PAGE_SIZE_RULE)),
            ),
            "badToken": _example(
                "A nextToken this API never returned",
                _error(responses.INVALID_REQUEST, ("nextToken", TOKEN_RULE)),
            ),
        },
    }


def _plain_text_too_large() -> dict[str, Any]:
    """API Gateway's 413 is plain text, not the JSON error shape."""
    too_large = gateway_responses.request_too_large(DEFAULT_SETTINGS.api.max_body_bytes)
    return {
        "text/plain": {
            "schema": {"type": "string"},
            "example": too_large.body.decode(),
        }
    }


def document(servers: Sequence[Server] = DEFAULT_SERVERS) -> dict[str, Any]:
    """The OpenAPI document as a dict, stable from run to run."""
    schema = app.get_openapi_json_schema(
        title="Orders API",
        version=__version__,
        openapi_version="3.1.0",
        description=_DESCRIPTION,
        servers=list(servers),
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
    _drop_powertools_validation_responses(parsed)
    _add_examples(parsed)
    _drop_unreferenced_schemas(parsed)
    return parsed


_SCHEMA_REF = "#/components/schemas/"


def _drop_powertools_validation_responses(spec: dict[str, Any]) -> None:
    """Powertools documents a 422 with its own error shape on a route whose parameters it
    validates; `GET /orders` reads its query as text and answers 400 itself, never that."""
    for operations in spec["paths"].values():
        for operation in operations.values():
            answer = operation["responses"].get("422", {})
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") == f"{_SCHEMA_REF}HTTPValidationError":
                del operation["responses"]["422"]


def _drop_unreferenced_schemas(spec: dict[str, Any]) -> None:
    """Remove component schemas nothing refers to. Powertools always adds its own validation
    error shapes (HTTPValidationError, ...), which this API never sends: its 422 is ErrorBody."""
    schemas: dict[str, Any] = spec.get("components", {}).get("schemas", {})
    reachable: set[str] = set()
    pending = [{key: value for key, value in spec.items() if key != "components"}]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith(_SCHEMA_REF):
                name = reference.removeprefix(_SCHEMA_REF)
                if name not in reachable and name in schemas:
                    reachable.add(name)
                    pending.append(schemas[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    for name in set(schemas) - reachable:
        del schemas[name]


def local_document(api_url: str) -> dict[str, Any]:
    """The document as the twin serves it: its own API URL (stage included) the only server."""
    return document([Server(url=api_url.rstrip("/"), description="This local twin")])


def _add_examples(spec: dict[str, Any]) -> None:
    shared, of_list = response_examples(), list_examples()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            examples = {**shared, **of_list} if (path, method) == ("/orders", "get") else shared
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                body["examples"] = request_examples()
            for status, response in operation["responses"].items():
                if int(status) == 413:
                    response["content"] = _plain_text_too_large()
                elif int(status) in examples and "application/json" in response.get("content", {}):
                    response["content"]["application/json"]["examples"] = examples[int(status)]


def render(servers: Sequence[Server] = DEFAULT_SERVERS) -> str:
    return json.dumps(document(servers), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
