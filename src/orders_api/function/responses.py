"""Every error becomes a response here, and only here. One JSON shape everywhere:

    {"message": "...", "errors": [{"field": "items[0].quantity", "message": "..."}]}

`errors` appears only for field-level problems. No response ever carries a stack trace.
Messages for API Gateway's own statuses (401, 403, 429, 502) are the ones AWS sends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import (
    OpenAPIResponse,
    OpenAPIResponseHeader,
)
from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, Field

from orders_api.domain import (
    IdempotencyConflict,
    InvalidRequest,
    OrderNotFound,
    StorageError,
    StorageUnavailable,
    Unauthenticated,
)
from orders_api.function import wire

JSON_CONTENT_TYPE = "application/json"

# The messages of the error responses, named so that the OpenAPI examples use the same words.
NOT_JSON = "Request body is not valid JSON"
INVALID_REQUEST = "Invalid request"
UNSUPPORTED_MEDIA_TYPE = "Content-Type must be application/json"
VALIDATION_FAILED = "Request validation failed"
ORDER_NOT_FOUND = "Order not found"
KEY_REUSED = "Idempotency-Key was already used with a different request body"
STORAGE_UNAVAILABLE = "Service temporarily unavailable"
INTERNAL_ERROR = "Internal error"

# What each status means to a client; used for the OpenAPI document as well.
STATUS_DESCRIPTIONS: dict[int, str] = {
    200: "The order (an idempotent replay, for POST), or a page of the caller's orders",
    201: "Order placed; Location names it",
    400: "Malformed JSON, header or query parameter",
    401: "Missing, invalid or expired token",
    403: "Blocked by the web application firewall, or no such route",
    404: "No such order for this caller",
    409: "Idempotency key reused with a different body",
    413: "Request body too large",
    415: "Content-Type is not application/json",
    422: "The body breaks the order rules; each bad field is named",
    429: "Rate limit exceeded; retry after Retry-After seconds",
    500: "Internal error",
    502: "Internal server error (the function failed)",
    503: "Storage temporarily unavailable; retry after Retry-After seconds",
}


class FieldProblem(BaseModel):
    field: str = Field(description="Where the problem is, e.g. items[0].quantity")
    message: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    message: str
    errors: list[FieldProblem] | None = Field(
        default=None, description="Present for field-level problems (400 header, 422 body)"
    )


_RETRY_AFTER: dict[str, OpenAPIResponseHeader] = {
    "Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
}
_EXTRA_HEADERS: dict[int, dict[str, OpenAPIResponseHeader]] = {
    201: {"Location": {"description": "Path of the new order", "schema": {"type": "string"}}},
    429: _RETRY_AFTER,
    503: _RETRY_AFTER,
}


def documented(success_model: Any, *statuses: int) -> dict[int, OpenAPIResponse]:
    """OpenAPI `responses` for a route: success bodies are `success_model`, errors ErrorBody."""
    documented_responses: dict[int, OpenAPIResponse] = {}
    for status in statuses:
        model = success_model if status < 300 else ErrorBody
        response: OpenAPIResponse = {
            "description": STATUS_DESCRIPTIONS[status],
            "content": {JSON_CONTENT_TYPE: {"model": model}},
        }
        if status in _EXTRA_HEADERS:
            response["headers"] = _EXTRA_HEADERS[status]
        documented_responses[status] = response
    return documented_responses


def json(
    status: int,
    body: Any,
    *,
    location: str | None = None,
    retry_after: int | None = None,
) -> Response[Any]:
    headers: dict[str, str] = {}
    if location is not None:
        headers["Location"] = location
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(
        status_code=status,
        content_type=JSON_CONTENT_TYPE,
        body=body,
        headers=headers,
    )


def error(
    status: int, message: str, errors: Sequence[dict[str, str]] = (), **headers: Any
) -> Response[Any]:
    body: dict[str, Any] = {"message": message}
    if errors:
        body["errors"] = list(errors)
    return json(status, body, **headers)


def _field_path(location: Sequence[str | int]) -> str:
    """('body', 'items', 0, 'quantity') → 'items[0].quantity'."""
    path = ""
    for part in (
        location[1:]
        if location and location[0] in ("body", "header", "path", "query")
        else location
    ):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or str(location[0] if location else "body")


def _content_type_is_json(app: APIGatewayRestResolver) -> bool:
    content_type = app.current_event.headers.get("content-type")
    if content_type is None:
        return True  # as API Gateway does: a missing Content-Type is taken as JSON
    given = wire.media_type(content_type)
    return given == JSON_CONTENT_TYPE or given.endswith("+json")


def register(app: APIGatewayRestResolver, logger: Logger, metrics: Metrics) -> None:
    """Map every error the routes can raise to its response."""

    def rejected(reason: str) -> None:
        metrics.add_metric(name="RejectedRequests", unit=MetricUnit.Count, value=1)
        logger.info("request rejected", extra={"reason": reason})

    def unsupported_media_type(_: Exception) -> Response[Any]:
        rejected("unsupported_media_type")
        return error(415, UNSUPPORTED_MEDIA_TYPE)

    def invalid_request(exc: RequestValidationError) -> Response[Any]:
        if app.current_event.http_method == "POST" and not _content_type_is_json(app):
            return unsupported_media_type(exc)
        problems = list(exc.errors())
        if any(problem.get("type") == "json_invalid" for problem in problems):
            rejected("malformed_json")
            return error(400, NOT_JSON)
        rejected("validation")
        fields = [
            {"field": _field_path(tuple(problem.get("loc", ()))), "message": problem.get("msg", "")}
            for problem in problems
        ]
        return error(422, VALIDATION_FAILED, fields)

    def undecodable_body(exc: UnicodeDecodeError) -> Response[Any]:
        # JSON is UTF-8 (RFC 8259); Powertools decodes a base64 body before any validation runs.
        if app.current_event.http_method == "POST" and not _content_type_is_json(app):
            return unsupported_media_type(exc)
        rejected("malformed_json")
        return error(400, NOT_JSON)

    def bad_header(exc: InvalidRequest) -> Response[Any]:
        rejected("invalid_header")
        return error(400, INVALID_REQUEST, [{"field": exc.field, "message": exc.reason}])

    def unauthenticated(_: Unauthenticated) -> Response[Any]:
        rejected("unauthenticated")
        return error(401, "Unauthorized")

    def order_not_found(_: OrderNotFound) -> Response[Any]:
        return error(404, ORDER_NOT_FOUND)

    def route_not_found(_: NotFoundError) -> Response[Any]:
        return error(404, "Not found")

    def idempotency_conflict(_: IdempotencyConflict) -> Response[Any]:
        rejected("idempotency_conflict")
        return error(409, KEY_REUSED)

    def storage_unavailable(exc: StorageUnavailable) -> Response[Any]:
        metrics.add_metric(name="StorageUnavailable", unit=MetricUnit.Count, value=1)
        logger.warning("storage unavailable", extra={"reason": exc.reason})
        return error(503, STORAGE_UNAVAILABLE, retry_after=exc.retry_after_seconds)

    def storage_error(exc: StorageError) -> Response[Any]:
        metrics.add_metric(name="StorageErrors", unit=MetricUnit.Count, value=1)
        logger.error("storage error", extra={"reason": exc.reason})
        return error(500, INTERNAL_ERROR)

    def unexpected(exc: Exception) -> Response[Any]:
        # Powertools parses form and multipart bodies before any route runs, and raises
        # ValueError on a malformed multipart header: a body we never accept gets 415 whatever
        # its parser made of it.
        if app.current_event.http_method == "POST" and not _content_type_is_json(app):
            return unsupported_media_type(exc)
        logger.exception("unhandled error", extra={"error": exc.__class__.__name__})
        return error(500, INTERNAL_ERROR)

    # Powertools picks the handler of the most specific class in the exception's MRO.
    handlers: dict[type[Exception], Callable[[Any], Response[Any]]] = {
        RequestUnsupportedContentType: unsupported_media_type,
        RequestValidationError: invalid_request,
        UnicodeDecodeError: undecodable_body,
        InvalidRequest: bad_header,
        Unauthenticated: unauthenticated,
        OrderNotFound: order_not_found,
        NotFoundError: route_not_found,
        IdempotencyConflict: idempotency_conflict,
        StorageUnavailable: storage_unavailable,
        StorageError: storage_error,
        Exception: unexpected,
    }
    for exception_type, handle in handlers.items():
        app.exception_handler(exception_type)(handle)
