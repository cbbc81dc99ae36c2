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
`orders_api.deployment.gateway_responses`) also `x-amzn-ErrorType`. The gateway keeps no
per-request state. It answers on the server's event loop (`respond`): the stages up to the
event are cheap and run on the loop, as does an authorizer verdict already cached; verifying a
token (which may fetch the issuer's keys, from an issuer that may answer on this very loop) and a
plain (synchronous) handler run on a worker thread; the twin's handler, its execution
environments' `invoke`, is awaited on the loop itself.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, Protocol, cast

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
from orders_api.twin.awslambda.context import AsyncLambdaHandler, FunctionIdentity, LambdaHandler
from orders_api.twin.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

LOCAL_ACCOUNT_ID = "000000000000"
"""The account id local emulators of AWS conventionally use."""


class Authorizer(Protocol):
    """The Cognito authorizer's contract (see `orders_api.twin.apigateway.authorizer`)."""

    def authorize(
        self, authorization_header: str | None, scopes: tuple[str, ...] = ()
    ) -> dict[str, str]: ...

    def authorize_from_cache(
        self, authorization_header: str | None, scopes: tuple[str, ...] = ()
    ) -> dict[str, str] | None:
        """What `authorize` answers when its verdict on this token is cached, without I/O;
        None when the token must be verified."""
        ...


FORBIDDEN = HttpResponse.from_gateway(gateway_responses.FORBIDDEN)
MISSING_AUTHENTICATION_TOKEN = HttpResponse.from_gateway(
    gateway_responses.MISSING_AUTHENTICATION_TOKEN
)
INTERNAL_SERVER_ERROR = HttpResponse.from_gateway(gateway_responses.INTERNAL_SERVER_ERROR)
INVALID_REQUEST_BODY = HttpResponse.from_gateway(gateway_responses.INVALID_REQUEST_BODY)


def _on_a_thread(handler: LambdaHandler) -> AsyncLambdaHandler:
    """A plain handler awaited from a worker thread, so that the loop goes on meanwhile."""

    async def call(event: dict[str, Any], context: Any) -> Any:
        return await asyncio.to_thread(handler, event, context)

    return call


def _with_request_id(response: HttpResponse, request_id: str) -> HttpResponse:
    return replace(response, headers=(*response.headers, ("x-amzn-RequestId", request_id)))


class Gateway:
    def __init__(
        self,
        *,
        handler: LambdaHandler | AsyncLambdaHandler,
        authorizer: Authorizer,
        api_id: str,
        routes: Iterable[Route] = ROUTES,
        settings: DeploymentSettings = DEFAULT_SETTINGS,
        account_id: str = LOCAL_ACCOUNT_ID,
        scheme: str = "http",
        port: int = 80,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._handler: AsyncLambdaHandler = (
            cast(AsyncLambdaHandler, handler)
            if inspect.iscoroutinefunction(handler)
            else _on_a_thread(cast(LambdaHandler, handler))
        )
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

    async def respond(self, request: HttpRequest) -> HttpResponse:
        """The response API Gateway would send for this request."""
        invocation = new_invocation({}, self._clock())
        return _with_request_id(await self._respond(request, invocation), invocation.request_id)

    def handle(self, request: HttpRequest) -> HttpResponse:
        """`respond` for a caller with no event loop running."""
        return asyncio.run(self.respond(request))

    def answer_before_routing(self, response: HttpResponse) -> HttpResponse:
        """`response` (a web ACL's block, a 413) as API Gateway sends what it answers before
        routing: with a request id of its own."""
        return _with_request_id(response, new_invocation({}, self._clock()).request_id)

    async def _respond(self, request: HttpRequest, invocation: Invocation) -> HttpResponse:
        stage_path = stage_relative(request.path, self._api.stage)
        if stage_path is None:
            return FORBIDDEN
        match = self._routes.match(request.method, stage_path)
        if match is None:
            return MISSING_AUTHENTICATION_TOKEN
        # The value the event's `headers` carries, the last one sent: what was verified is what
        # the function sees, however many Authorization headers a client sends.
        authorization = request.header_values("authorization")
        header = authorization[-1] if authorization else None
        try:
            claims = self._authorizer.authorize_from_cache(header, match.route.scopes)
            if claims is None:
                claims = await asyncio.to_thread(
                    self._authorizer.authorize, header, match.route.scopes
                )
        except AuthorizerDenied as denied:
            return denied.response
        if not self._validator.accepts(match.route.method, match.route.resource, request):
            return INVALID_REQUEST_BODY
        event = build_event(
            request, match, stage_path, self._api, replace(invocation, claims=claims)
        )
        return await self._invoke(self._functions[match.route.function], event)

    async def _invoke(self, function: FunctionIdentity, event: dict[str, object]) -> HttpResponse:
        try:
            result = await self._handler(event, function.new_context())
        except Exception as exc:  # any failure of the function is a 502, as API Gateway answers
            logger.error("function %s failed: %s", function.name, type(exc).__name__, exc_info=exc)
            return INTERNAL_SERVER_ERROR
        try:
            return response_from_result(result)
        except MalformedProxyResult as exc:
            logger.error("function %s returned a malformed proxy result: %s", function.name, exc)
            return INTERNAL_SERVER_ERROR
