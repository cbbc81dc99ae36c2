"""API Gateway REST resource matching: which route, if any, a method and path select.

Semantics reproduced (REST API, no greedy `{proxy+}` resources):

- A path parameter matches exactly one non-empty segment; literal segments match exactly.
- A trailing slash is a different path (`/orders/` matches nothing).
- Matching happens on percent-decoded segments; `pathParameters` carry decoded values, so
  `%2F` inside a segment reaches the handler as `/`, as API Gateway delivers it.
- No route for the path, or none for the method: the caller gets 403 Missing Authentication
  Token (that is the gateway's business, not this module's).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from orders_api.deployment.routes import Route


@dataclass(frozen=True, slots=True)
class RouteMatch:
    route: Route
    resource_id: str
    """A stable, Gateway-shaped id of the resource (six lower-case alphanumerics)."""
    path_parameters: dict[str, str] | None
    """Decoded values by name; None when the resource has no parameters, as in the event."""


@dataclass(frozen=True, slots=True)
class _CompiledRoute:
    route: Route
    resource_id: str
    segments: tuple[tuple[bool, str], ...]
    """(is_parameter, literal or parameter name) for each segment of the resource."""


def stable_id(seed: str, length: int) -> str:
    """`length` lower-case alphanumerics derived from `seed`: an API Gateway-shaped id (a REST
    API's is ten characters, a resource's six) that stays the same across restarts."""
    digest = hashlib.sha256(seed.encode()).digest()
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(alphabet[byte % len(alphabet)] for byte in digest[:length])


def _compile(route: Route) -> _CompiledRoute:
    if not route.resource.startswith("/"):
        raise ValueError(f"a resource starts with '/': {route.resource!r}")
    segments: list[tuple[bool, str]] = []
    for part in route.resource.split("/")[1:]:
        if part.startswith("{") and part.endswith("}"):
            name = part[1:-1]
            if not name or name.endswith("+"):
                raise ValueError(f"unsupported path parameter {part!r} in {route.resource!r}")
            segments.append((True, name))
        else:
            segments.append((False, part))
    return _CompiledRoute(route, stable_id(route.resource, 6), tuple(segments))


class RouteTable:
    """The deployed API's resources and methods, ready to match requests against."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self._by_length: dict[int, list[_CompiledRoute]] = {}
        for compiled in map(_compile, routes):
            self._by_length.setdefault(len(compiled.segments), []).append(compiled)

    def match(self, method: str, raw_path: str) -> RouteMatch | None:
        """The route for a method and a stage-relative, still percent-encoded path."""
        if not raw_path.startswith("/"):
            return None
        parts = raw_path.split("/")[1:]
        for candidate in self._by_length.get(len(parts), ()):
            if candidate.route.method != method:
                continue
            parameters = _bind(candidate.segments, parts)
            if parameters is not None:
                return RouteMatch(
                    candidate.route, candidate.resource_id, parameters if parameters else None
                )
        return None


def _bind(segments: tuple[tuple[bool, str], ...], parts: list[str]) -> dict[str, str] | None:
    parameters: dict[str, str] = {}
    for (is_parameter, text), part in zip(segments, parts, strict=True):
        if not part:
            return None
        decoded = unquote(part) if "%" in part else part
        if is_parameter:
            parameters[text] = decoded
        elif decoded != text:
            return None
    return parameters


def stage_relative(path: str, stage: str) -> str | None:
    """`path` without its `/{stage}` prefix (`/` for the stage itself); None outside the stage."""
    prefix = f"/{stage}"
    if path == prefix:
        return "/"
    if path.startswith(prefix + "/"):
        return path[len(prefix) :]
    return None
