"""Which browser origins may call the API, and with what: the API's CORS policy, as data.

Read by the CDK app (the OPTIONS preflight method on every resource, and the CORS headers of the
gateway responses) and by the local twin (`orders_api.twin.apigateway.cors`), so both answer a
browser alike. The allowed origins are web apps on a developer's machine
(`http://localhost:<any port>`, `http://127.0.0.1:<any port>`), as the identity provider's CORS
allows them too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orders_api.deployment.routes import ROUTES
from orders_api.function.cors_headers import EXPOSE_HEADERS, ORIGIN_PATTERN

LOCAL_DEVELOPMENT_ORIGINS: tuple[str, ...] = ("http://localhost:*", "http://127.0.0.1:*")
"""A dev server on the developer's machine, on any port."""

_ANY_PORT = ":*"


def origin_regex(patterns: tuple[str, ...]) -> str:
    """One regular expression for the origins: exact ones, and `scheme://host:*` for any port
    (or none). Valid in Python's `re` and in Java's `String.matches` (API Gateway's VTL)."""
    alternatives = []
    for pattern in patterns:
        if pattern.endswith(_ANY_PORT):
            alternatives.append(re.escape(pattern[: -len(_ANY_PORT)]) + "(:[0-9]{1,5})?")
        else:
            alternatives.append(re.escape(pattern))
    return "(" + "|".join(alternatives) + ")"


@dataclass(frozen=True, slots=True)
class CorsPolicy:
    allow_origins: tuple[str, ...] = LOCAL_DEVELOPMENT_ORIGINS
    """Exact origins, or `scheme://host:*` for any port of that host. Never `*`: only these
    origins are echoed in Access-Control-Allow-Origin, with `Vary: Origin`."""
    allow_methods: tuple[str, ...] = field(
        default_factory=lambda: tuple(sorted({route.method for route in ROUTES} | {"OPTIONS"}))
    )
    allow_headers: tuple[str, ...] = ("Authorization", "Content-Type", "Idempotency-Key")
    expose_headers: tuple[str, ...] = ("Location", "Retry-After")
    """Response headers a page may read: where a new order is, and when to retry after a 429."""
    max_age_seconds: int = 600
    """How long a browser may cache a preflight answer."""

    @property
    def origin_pattern(self) -> str:
        """The allowed origins as one regular expression (full match)."""
        return origin_regex(self.allow_origins)

    def allows(self, origin: str) -> bool:
        return re.fullmatch(self.origin_pattern, origin) is not None

    def function_environment(self) -> dict[str, str]:
        """The Lambda environment variables with which the handler adds this policy's headers to
        its own responses (`orders_api.function.cors_headers`); set by infra and by the local
        twin."""
        return {
            ORIGIN_PATTERN: self.origin_pattern,
            EXPOSE_HEADERS: ",".join(self.expose_headers),
        }


API_CORS = CorsPolicy()
"""The deployed API's CORS, and the local twin's."""
