"""Cross-origin requests to the twin's API, answered as the deployed API answers them.

Deployed, a browser meets three things, all configured from `orders_api.deployment.cors_policy`:
API Gateway's OPTIONS method on every resource (a mock integration, behind the web ACL but with
no authorizer) answers preflights; the gateway responses (401, 403, 413, 429, 502) carry
Access-Control-Allow-Origin; the function adds it to its own responses
(`orders_api.function.cors_headers`, configured through its environment). `ApiCors` plays the
first two parts (the server calls `preflight` after the web ACL, and `decorate` on what the
gateway answers); the third is the handler's own code, which the twin runs with the same
environment, so the function's responses pass through here untouched.

An allowed origin is echoed with `Vary: Origin`; any other gets no CORS header at all, so the
browser keeps the answer from the page (the request itself is answered as usual, as API Gateway
does). Deployed, a gateway response echoes any origin (see docs/cors.md); the twin, stricter,
only an allowed one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace

from orders_api.deployment.cors_policy import API_CORS, CorsPolicy
from orders_api.deployment.routes import ROUTES, Route
from orders_api.twin.apigateway.routing import RouteTable, stage_relative
from orders_api.twin.http import HttpRequest, HttpResponse

_CORS_HEADERS = frozenset(
    {
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-expose-headers",
        "access-control-max-age",
        "access-control-allow-credentials",
    }
)

_GATEWAY_ERROR_TYPE = "x-amzn-errortype"


class ApiCors:
    def __init__(
        self, policy: CorsPolicy = API_CORS, *, stage: str, routes: Iterable[Route] = ROUTES
    ) -> None:
        routes = tuple(routes)
        self._policy = policy
        self._stage = stage
        self._routes = RouteTable(routes)
        self._methods = tuple(sorted({route.method for route in routes}))

    def preflight(self, request: HttpRequest) -> HttpResponse | None:
        """The answer of API Gateway's OPTIONS method (a mock integration's 204) when the
        request is an OPTIONS on a resource of the API; None for any other request, which the
        gateway answers. The web ACL has seen the request before."""
        if request.method != "OPTIONS" or not self._is_resource(request.path):
            return None
        headers: list[tuple[str, str]] = [
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ]
        origin = request.header("origin")
        if origin is not None and self._policy.allows(origin):
            headers += [
                ("Access-Control-Allow-Origin", origin),
                ("Access-Control-Allow-Methods", ",".join(self._policy.allow_methods)),
                ("Access-Control-Allow-Headers", ",".join(self._policy.allow_headers)),
                ("Access-Control-Max-Age", str(self._policy.max_age_seconds)),
            ]
        headers.append(("Vary", "Origin"))
        return HttpResponse(status=204, headers=tuple(headers))

    def decorate(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """The response with the CORS headers an allowed origin gets (any others replaced) when
        API Gateway made it itself, as its gateway responses are configured; the function's
        responses and a web ACL's custom responses are returned as they are."""
        origin = request.header("origin")
        if origin is None or not self._policy.allows(origin) or not _is_gateway_response(response):
            return response
        kept = tuple(
            (name, value) for name, value in response.headers if name.lower() not in _CORS_HEADERS
        )
        added = (
            ("Access-Control-Allow-Origin", origin),
            ("Access-Control-Expose-Headers", ",".join(self._policy.expose_headers)),
            ("Vary", "Origin"),
        )
        return replace(response, headers=kept + added)

    def _is_resource(self, path: str) -> bool:
        stage_path = stage_relative(path, self._stage)
        if stage_path is None:
            return False
        return any(self._routes.match(method, stage_path) for method in self._methods)


def _is_gateway_response(response: HttpResponse) -> bool:
    """API Gateway names the error type on every response it makes itself (a gateway response);
    a proxy integration's response, or a web ACL's custom response, carries no such header."""
    return any(name.lower() == _GATEWAY_ERROR_TYPE for name, _ in response.headers)
