"""Cross-origin requests to the twin's API, answered as the deployed API answers them.

Deployed, a browser meets three things, all configured from `orders_api.deployment.cors`:
API Gateway's OPTIONS method on every resource (a mock integration, behind the web ACL but with
no authorizer) answers preflights; the gateway responses (401, 403, 413, 429, 502) and the
function's responses carry Access-Control-Allow-Origin for an allowed origin. `ApiCors` plays
all three parts around the gateway.

An allowed origin is echoed with `Vary: Origin`; any other gets no CORS header at all, so the
browser keeps the answer from the page (the request itself is answered as usual, as API Gateway
does).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import replace

from orders_api.deployment.cors import API_CORS, CorsPolicy
from orders_api.deployment.routes import ROUTES, Route
from orders_api.edge.gateway import Gateway
from orders_api.edge.http import HttpRequest, HttpResponse
from orders_api.edge.routing import RouteTable

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


class ApiCors:
    def __init__(
        self, policy: CorsPolicy = API_CORS, *, stage: str, routes: Iterable[Route] = ROUTES
    ) -> None:
        routes = tuple(routes)
        self._policy = policy
        self._stage_prefix = f"/{stage}"
        self._routes = RouteTable(routes)
        self._methods = tuple(sorted({route.method for route in routes}))

    def preflight(self, request: HttpRequest, gateway: Gateway) -> HttpResponse | None:
        """The answer of API Gateway's OPTIONS method when the request is an OPTIONS on a
        resource of the API (the web ACL first, then the mock integration's 204); None for any
        other request, which the gateway answers."""
        if request.method != "OPTIONS" or not self._is_resource(request.path):
            return None
        request_filter = gateway.request_filter
        blocked = request_filter.inspect(request) if request_filter is not None else None
        if blocked is not None:
            return self.decorate(request, blocked)
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

    def respond(self, request: HttpRequest, gateway: Gateway) -> HttpResponse:
        """The gateway's answer to the request, as a browser on another origin gets it."""
        preflight = self.preflight(request, gateway)
        if preflight is not None:
            return preflight
        return self.decorate(request, gateway.handle(request))

    def decorate(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """The response with the CORS headers an allowed origin gets (any others replaced)."""
        origin = request.header("origin")
        if origin is None or not self._policy.allows(origin):
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
        prefix = self._stage_prefix
        if path == prefix:
            stage_path = "/"
        elif path.startswith(prefix + "/"):
            stage_path = path[len(prefix) :]
        else:
            return False
        return any(self._routes.match(method, stage_path) for method in self._methods)
