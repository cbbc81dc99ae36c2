"""The HTTP request and response as the twin's stages (web ACL, gateway, authorizer) see them.

Built once per request by the server from the wire; every stage reads the same object.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property

from orders_api.deployment.gateway_responses import GatewayResponse


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    """The URI path as sent, still percent-encoded."""
    raw_query: str
    """The query string as sent, without '?', still percent-encoded."""
    headers: tuple[tuple[str, str], ...]
    """Every header in arrival order, names as the client spelled them."""
    body: bytes
    client_ip: str
    """The socket peer's address: the source IP API Gateway and WAF would see."""

    @cached_property
    def _by_lower_name(self) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for name, value in self.headers:
            grouped.setdefault(name.lower(), []).append(value)
        return grouped

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively, or None."""
        values = self._by_lower_name.get(name.lower())
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        return list(self._by_lower_name.get(name.lower(), ()))


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @classmethod
    def json(
        cls, status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()
    ) -> HttpResponse:
        return cls(
            status=status,
            body=json.dumps(payload, separators=(",", ":")).encode(),
            headers=(("Content-Type", "application/json"), *headers),
        )

    @classmethod
    def message(cls, status: int, message: str, *headers: tuple[str, str]) -> HttpResponse:
        """API Gateway's own error shape: {"message": "..."}."""
        return cls.json(status, {"message": message}, headers)

    @classmethod
    def from_gateway(cls, response: GatewayResponse) -> HttpResponse:
        """One of API Gateway's own responses, as it sends it."""
        return cls(
            status=response.status,
            body=response.body,
            headers=(
                ("Content-Type", response.content_type),
                ("x-amzn-ErrorType", response.error_type),
            ),
        )


# Addresses that mean "every interface" when bound; recognised here, never bound by default.
WILDCARD_ADDRESSES = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 # nosec B104


def url_host(bound_host: str) -> str:
    """The host part of a URL that reaches a server bound to `bound_host` from this machine:
    wildcards via the loopback, IPv6 addresses in brackets."""
    reachable = "127.0.0.1" if bound_host in WILDCARD_ADDRESSES else bound_host
    return f"[{reachable}]" if ":" in reachable else reachable
