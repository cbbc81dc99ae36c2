"""CORS headers on the function's own responses, which API Gateway's proxy integration passes
to the browser untouched.

Configured through the function's environment, which infra (and the local twin) fill from the
API's CORS policy (`orders_api.deployment.cors_policy.API_CORS`); the deployment data itself is not
shipped to Lambda. With the variables unset the function adds no CORS header at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ORIGIN_PATTERN = "ORDERS_CORS_ORIGIN_PATTERN"
"""A regular expression the whole Origin header must match (full match)."""
EXPOSE_HEADERS = "ORDERS_CORS_EXPOSE_HEADERS"
"""Access-Control-Expose-Headers, comma-separated."""

_ALLOW_ORIGIN = "Access-Control-Allow-Origin"
_EXPOSE_HEADERS = "Access-Control-Expose-Headers"
_VARY = "Vary"


@dataclass(frozen=True, slots=True)
class ResponseCors:
    origin_pattern: re.Pattern[str]
    expose_headers: str

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ResponseCors | None:
        """The configuration in `environ`, or None when the origin pattern is not set."""
        pattern = environ.get(ORIGIN_PATTERN)
        if not pattern:
            return None
        return cls(re.compile(pattern), environ.get(EXPOSE_HEADERS, ""))

    def headers_for(self, origin: str | None) -> dict[str, str]:
        """The headers a response to `origin` carries: the origin echoed, with `Vary: Origin`,
        when it is allowed; nothing otherwise (the browser then keeps the answer from the page)."""
        if origin is None or self.origin_pattern.fullmatch(origin) is None:
            return {}
        headers = {_ALLOW_ORIGIN: origin, _VARY: "Origin"}
        if self.expose_headers:
            headers[_EXPOSE_HEADERS] = self.expose_headers
        return headers

    def apply(self, event: Mapping[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        """`result` (a proxy integration response) with the headers for the event's Origin;
        any CORS header of the same name already there is replaced."""
        added = self.headers_for(_origin_of(event))
        if not added:
            return result
        lowered = {name.lower() for name in added}
        key = "multiValueHeaders" if result.get("multiValueHeaders") is not None else "headers"
        existing = result.get(key) or {}
        merged: dict[str, Any] = {
            name: value for name, value in existing.items() if name.lower() not in lowered
        }
        for name, value in added.items():
            merged[name] = [value] if key == "multiValueHeaders" else value
        return {**result, key: merged}


def _origin_of(event: Mapping[str, Any]) -> str | None:
    """The request's Origin header; API Gateway keeps the case the client sent."""
    headers = event.get("headers") or {}
    for name, value in headers.items():
        if name.lower() == "origin" and isinstance(value, str):
            return value
    return None
