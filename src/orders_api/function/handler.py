"""Lambda entry point: API Gateway REST (proxy integration, payload 1.0) → the order service.

Routes stay thin: read the caller, call one use case, shape the response. Every error becomes
a response in exactly one place (`responses.py`).
"""

# ruff: noqa: E402 - the imports follow gc.disable() on purpose

from __future__ import annotations

import gc

# Init builds a few hundred thousand objects that live as long as the environment (botocore's
# service model, pydantic's schemas, Powertools' routes). The cyclic collector walked them ~170
# times during init, a tenth of the cold start, and found nothing to free: it is off until init
# ends, and what init built is then frozen out of every later collection (end of this module).
gc.disable()

import functools
import os
import warnings
from collections.abc import Callable
from typing import Annotated, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path, Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from orders_api.domain import IDEMPOTENCY_KEY_PATTERN, NewOrder, Order
from orders_api.domain.paging import MAX_PAGE_SIZE, MAX_TOKEN_LENGTH, OrderList
from orders_api.function import bootstrap, responses, wire
from orders_api.function.caller import caller_of
from orders_api.function.cors_headers import ResponseCors

logger = Logger(service="orders-api")
metrics = Metrics(namespace="OrdersApi", service="orders-api")
app = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=wire.read_json)
# A GET emits no application metric; Powertools would warn on every such invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
responses.register(app, logger, metrics)
# Applied to the resolved response rather than as a Powertools middleware: middlewares do not see
# the responses of exception handlers or of an unmatched route, and Powertools' own CORSConfig
# matches exact origins only, not "any port of localhost".
response_cors = ResponseCors.from_environment(os.environ)


@app.post(
    "/orders",
    summary="Place an order",
    responses=responses.documented(
        Order, 201, 200, 400, 401, 403, 409, 413, 415, 422, 429, 502, 503
    ),
)
def place_order(
    new_order: Annotated[NewOrder, Body()],
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="idempotency-key",
            description="1-128 printable ASCII; a retry with the same key returns the first order",
            # Documented, not validated here: the service refuses a bad key with a 400 that
            # names the header, as it does for every caller.
            json_schema_extra={"pattern": IDEMPOTENCY_KEY_PATTERN.pattern},
        ),
    ] = None,
) -> Response[Order]:
    caller = caller_of(app.current_event)
    # Read before the write: once the order is stored, nothing may fail (a client that got a
    # 500 would retry, and without a key place the order twice).
    orders_path = _called_path()
    placement = bootstrap.service().place_order(caller, new_order, idempotency_key)
    order = placement.order
    location = f"{orders_path}/{order.order_id}"
    if placement.created:
        metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
        logger.info("order placed", extra={"orderId": order.order_id})
        return responses.json(201, order, location=location)
    metrics.add_metric(name="IdempotentReplays", unit=MetricUnit.Count, value=1)
    logger.info("idempotent replay", extra={"orderId": order.order_id})
    return responses.json(200, order, location=location)


@app.get(
    "/orders",
    summary="List the caller's orders, newest first",
    responses=responses.documented(OrderList, 200, 400, 401, 403, 429, 502, 503),
)
def list_orders(
    # Read as text and checked by the service, which names the parameter in a 400 as it does
    # for a bad header; the schema documents the rule.
    limit: Annotated[
        str | None,
        Query(
            description=f"Orders per page, 1-{MAX_PAGE_SIZE} (default 20)",
            json_schema_extra={"pattern": r"^(100|[1-9][0-9]?)$"},
        ),
    ] = None,
    next_token: Annotated[
        str | None,
        Query(
            alias="nextToken",
            description="The nextToken of the previous page",
            json_schema_extra={"maxLength": MAX_TOKEN_LENGTH},
        ),
    ] = None,
) -> Response[OrderList]:
    caller = caller_of(app.current_event)
    page = bootstrap.service().list_orders(caller, limit, next_token)
    return responses.json(200, page.to_api())


@app.get(
    "/orders/<orderId>",
    summary="Get one of the caller's orders",
    responses=responses.documented(Order, 200, 401, 403, 404, 422, 429, 502, 503),
)
def get_order(
    order_id: Annotated[str, Path(alias="orderId", description="The order id from Location")],
) -> Response[Order]:
    caller = caller_of(app.current_event)
    order = bootstrap.service().get_order(caller, order_id)
    return responses.json(200, order)


_LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def _called_path() -> str:
    """The path as the client called it, stage and base path included (requestContext.path),
    without a trailing slash; the resource's own path when the event does not say."""
    event = app.current_event.raw_event
    context = event.get("requestContext")
    for candidate in (
        context.get("path") if isinstance(context, dict) else None,
        event.get("path"),
    ):
        if isinstance(candidate, str) and candidate.strip("/"):
            return candidate.rstrip("/")
    return "/orders"


def _with_wire_normalised(function: _LambdaHandler) -> _LambdaHandler:
    """The function, given events whose Content-Type media type is lower-cased and whose query
    parameters hold one value each (see `wire`)."""

    @functools.wraps(function)
    def with_wire_normalised(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        event = wire.with_query_values_as_api_gateway_reads_them(
            wire.with_media_type_lower_cased(event)
        )
        return function(event, context)

    return with_wire_normalised


def _with_cors_headers(function: _LambdaHandler) -> _LambdaHandler:
    """The function's responses with CORS headers for an allowed Origin (see `response_cors`)."""

    @functools.wraps(function)
    def with_cors_headers(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        result = function(event, context)
        return result if response_cors is None else response_cors.apply(event, result)

    return with_cors_headers


@_with_cors_headers
@_with_wire_normalised
@metrics.log_metrics
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)


try:
    if "AWS_LAMBDA_FUNCTION_NAME" in os.environ:
        bootstrap.service()  # create the storage client during init, not on the first request
finally:
    gc.freeze()
    gc.enable()
