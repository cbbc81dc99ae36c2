"""API Gateway (REST API, Lambda proxy integration) in-process: one request in, one response out.

The web ACL, the payload limit and CORS preflights are answered in front of it
(`orders_api.twin.server`); behind them, the stages are API Gateway's:

1. the stage and the route: no stage gets 403 Forbidden, no route 403 Missing Authentication
   Token;
2. the Cognito authorizer: its 401 when it refuses;
3. the request validator: a body that breaks the route's deployed request model gets 400
   Invalid request body;
4. the function, with the proxy event (payload 1.0) and a context; an exception or a malformed
   result gets 502 Internal server error.

Every response carries `x-amzn-RequestId`; API Gateway's own errors (the table in
`orders_api.deployment.gateway_responses`) also `x-amzn-ErrorType`. The gateway is synchronous
and keeps no per-request state, so the server may call it from several worker threads at once;
the handler it is given must be safe to call so (the twin's `ProcessEnvironments` is: each
invocation runs in an execution environment's process of its own).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

from orders_api.deployment import gateway_responses
from orders_api.deployment.routes import ROUTES, Route
from orders_api.deployment.settings import DEFAULT_SETTINGS, DeploymentSettings
from orders_api.twin.apigateway.authorizer import AuthorizerDenied
from orders_api.twin.apigateway.proxy import (
    ApiIdentity,
    Invocation,
    MalformedProxyResult,
    build_event,
    new_invocation,
    response_from_result,
)
from orders_api.twin.apigateway.request_validator import RequestValidator
from orders_api.twin.apigateway.routing import RouteTable, stage_relative
from orders_api.twin.awslambda.context import FunctionIdentity, LambdaHandler
from orders_api.twin.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

LOCAL_ACCOUNT_ID = "000000000000"
"""The account id local emulators of AWS conventionally use."""


class Authorizer(Protocol):
    """The Cognito authorizer's contract (see `orders_api.twin.apigateway.authorizer`)."""

    def authorize(
        self, authorization_header: str | None, scopes: tuple[str, ...] = ()
    ) -> dict[str, str]: ...


FORBIDDEN = HttpResponse.from_gateway(gateway_responses.FORBIDDEN)
MISSING_AUTHENTICATION_TOKEN = HttpResponse.from_gateway(
    gateway_responses.MISSING_AUTHENTICATION_TOKEN
)
INTERNAL_SERVER_ERROR = HttpResponse.from_gateway(gateway_responses.INTERNAL_SERVER_ERROR)
INVALID_REQUEST_BODY = HttpResponse.from_gateway(gateway_responses.INVALID_REQUEST_BODY)


def _with_request_id(response: HttpResponse, request_id: str) -> HttpResponse:
    return replace(response, headers=(*response.headers, ("x-amzn-RequestId", request_id)))


class Gateway:
    def __init__(
        self,
        *,
        handler: LambdaHandler,
        authorizer: Authorizer,
        api_id: str,
        routes: Iterable[Route] = ROUTES,
        settings: DeploymentSettings = DEFAULT_SETTINGS,
        account_id: str = LOCAL_ACCOUNT_ID,
        scheme: str = "http",
        port: int = 80,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._handler = handler
        self._authorizer = authorizer
        routes = tuple(routes)
        self._routes = RouteTable(routes)
        self._api = ApiIdentity(
            api_id=api_id,
            account_id=account_id,
            stage=settings.stage,
            protocol_port=str(port),
            scheme=scheme,
        )
        self._functions = {
            route.function: FunctionIdentity(
                name=f"{settings.stack_name}-{route.function}",
                region=settings.region,
                account_id=account_id,
                settings=settings.function,
            )
            for route in routes
        }
        self._clock = clock
        self._validator = RequestValidator()

    @property
    def stage(self) -> str:
        return self._api.stage

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The response API Gateway would send for this request."""
        invocation = new_invocation({}, self._clock())
        return _with_request_id(self._respond(request, invocation), invocation.request_id)

    def answer_before_routing(self, response: HttpResponse) -> HttpResponse:
        """`response` (a web ACL's block, a 413) as API Gateway sends what it answers before
        routing: with a request id of its own."""
        return _with_request_id(response, new_invocation({}, self._clock()).request_id)

    def _respond(self, request: HttpRequest, invocation: Invocation) -> HttpResponse:
        stage_path = stage_relative(request.path, self._api.stage)
        if stage_path is None:
            return FORBIDDEN
        match = self._routes.match(request.method, stage_path)
        if match is None:
            return MISSING_AUTHENTICATION_TOKEN
        # The value the event's `headers` carries, the last one sent: what was verified is what
        # the function sees, however many Authorization headers a client sends.
        authorization = request.header_values("authorization")
        try:
            claims = self._authorizer.authorize(
                authorization[-1] if authorization else None, match.route.scopes
            )
        except AuthorizerDenied as denied:
            return denied.response
        if not self._validator.accepts(match.route.method, match.route.resource, request):
            return INVALID_REQUEST_BODY
        event = build_event(
            request, match, stage_path, self._api, replace(invocation, claims=claims)
        )
        return self._invoke(self._functions[match.route.function], event)

    def _invoke(self, function: FunctionIdentity, event: dict[str, object]) -> HttpResponse:
        try:
            result = self._handler(event, function.new_context())
        except Exception as exc:  # any failure of the function is a 502, as API Gateway answers
            logger.error("function %s failed: %s", function.name, type(exc).__name__, exc_info=exc)
            return INTERNAL_SERVER_ERROR
        try:
            return response_from_result(result)
        except MalformedProxyResult as exc:
            logger.error("function %s returned a malformed proxy result: %s", function.name, exc)
            return INTERNAL_SERVER_ERROR
