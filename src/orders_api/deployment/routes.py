"""The API's routes: one definition for API Gateway (infra) and the local twin's gateway."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FunctionName = Literal["create", "read"]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    resource: str
    """The API Gateway resource template, e.g. /orders/{orderId}."""
    function: FunctionName
    """Which Lambda function serves it; each has its own least-privilege role."""
    scopes: tuple[str, ...] = ()
    """OAuth scopes on the method. Empty: the authorizer accepts ID tokens only."""


ROUTES: tuple[Route, ...] = (
    Route("POST", "/orders", "create"),
    Route("GET", "/orders", "read"),
    Route("GET", "/orders/{orderId}", "read"),
)
