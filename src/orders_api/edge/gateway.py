"""API Gateway (REST API, Lambda proxy integration) in-process: one request in, one response out.

The order of the stages is API Gateway's (WAF sits in front of it):

1. payload limit: a body over `ApiSettings.max_body_bytes` gets 413;
2. the request filter (the web ACL), if any: its response, when it gives one, is final;
3. the stage and the route: no stage gets 403 Forbidden, no route 403 Missing Authentication
   Token;
4. the Cognito authorizer: its 401 when it refuses;
5. the function, with the proxy event (payload 1.0) and a context; an exception or a malformed
   result gets 502 Internal server error.

Every response carries `x-amzn-RequestId`; API Gateway's own errors also `x-amzn-ErrorType`.
The gateway is synchronous and keeps no per-request state, so the server may call it from
several worker threads at once; the handler it is given must be safe to call so (the twin's
`ExecutionEnvironments` is: it serialises the Powertools resolver, which is not).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Protocol

from orders_api.deployment.routes import ROUTES, Route
from orders_api.deployment.settings import DEFAULT_SETTINGS, DeploymentSettings
from orders_api.edge.authorizer import AuthorizerDenied
from orders_api.edge.http import HttpRequest, HttpResponse
from orders_api.edge.lambda_runtime import FunctionIdentity, LambdaHandler
from orders_api.edge.proxy import (
    ApiIdentity,
    Invocation,
    MalformedProxyResult,
    build_event,
    new_invocation,
    response_from_result,
)
from orders_api.edge.routing import RouteTable

logger = logging.getLogger(__name__)

LOCAL_ACCOUNT_ID = "000000000000"
"""The account id local emulators of AWS conventionally use."""


class RequestFilter(Protocol):
    """A filter in front of the API, evaluated first, as AWS WAF is in front of API Gateway.

    `inspect` returns None to let the request through, or the response to send instead (a WAF
    block, say); nothing behind the filter runs then. The gateway may call it from several
    threads at once, so it must be thread-safe. `stats` returns JSON-serialisable counters,
    shown by the twin's readiness endpoint, from another thread while `inspect` runs.
    """

    def inspect(self, request: HttpRequest) -> HttpResponse | None: ...

    def stats(self) -> dict[str, object]: ...


class Authorizer(Protocol):
    """The Cognito authorizer's contract (see `orders_api.edge.authorizer`)."""

    def authorize(
        self, authorization_header: str | None, scopes: tuple[str, ...] = ()
    ) -> dict[str, str]: ...


def _gateway_error(status: int, error_type: str, message: str) -> HttpResponse:
    return HttpResponse.message(status, message, ("x-amzn-ErrorType", error_type))


FORBIDDEN = _gateway_error(403, "ForbiddenException", "Forbidden")
MISSING_AUTHENTICATION_TOKEN = _gateway_error(
    403, "MissingAuthenticationTokenException", "Missing Authentication Token"
)
INTERNAL_SERVER_ERROR = _gateway_error(502, "InternalServerErrorException", "Internal server error")


def request_too_large(max_body_bytes: int) -> HttpResponse:
    """What a REST API answers to a body over its limit: plain text, not JSON."""
    return HttpResponse(
        status=413,
        body=f"HTTP content length exceeded {max_body_bytes} bytes.".encode(),
        headers=(("Content-Type", "text/plain"), ("x-amzn-ErrorType", "RequestTooLarge")),
    )


def stage_relative(path: str, stage: str) -> str | None:
    """`path` without its `/{stage}` prefix (`/` for the stage itself); None outside the stage."""
    prefix = f"/{stage}"
    if path == prefix:
        return "/"
    if path.startswith(prefix + "/"):
        return path[len(prefix) :]
    return None


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
        request_filter: RequestFilter | None = None,
        scheme: str = "http",
        port: int = 80,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._handler = handler
        self._authorizer = authorizer
        routes = tuple(routes)
        self._routes = RouteTable(routes)
        self._max_body_bytes = settings.api.max_body_bytes
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
        self._too_large = request_too_large(self._max_body_bytes)
        self._clock = clock
        self.request_filter = request_filter

    @property
    def max_body_bytes(self) -> int:
        return self._max_body_bytes

    @property
    def stage(self) -> str:
        return self._api.stage

    def handle(self, request: HttpRequest) -> HttpResponse:
        """The response API Gateway would send for this request."""
        invocation = new_invocation({}, self._clock())
        return _with_request_id(self._respond(request, invocation), invocation.request_id)

    def reject_too_large(self) -> HttpResponse:
        """The 413, for a server that stopped reading a body over the limit."""
        return _with_request_id(self._too_large, new_invocation({}, self._clock()).request_id)

    def _respond(self, request: HttpRequest, invocation: Invocation) -> HttpResponse:
        if len(request.body) > self._max_body_bytes:
            return self._too_large
        if self.request_filter is not None:
            blocked = self.request_filter.inspect(request)
            if blocked is not None:
                return blocked
        stage_path = stage_relative(request.path, self._api.stage)
        if stage_path is None:
            return FORBIDDEN
        match = self._routes.match(request.method, stage_path)
        if match is None:
            return MISSING_AUTHENTICATION_TOKEN
        try:
            claims = self._authorizer.authorize(request.header("authorization"), match.route.scopes)
        except AuthorizerDenied as denied:
            refusal = denied.response
            return replace(
                refusal, headers=(*refusal.headers, ("x-amzn-ErrorType", "UnauthorizedException"))
            )
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
