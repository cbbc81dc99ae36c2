"""API Gateway's own responses: the ones it sends without the function, as one table.

Read by the CDK stack (which gives every deployed type the one JSON error body and CORS
headers), by `openapi.py` (the documented examples) and by the twin's API Gateway (what it
answers). Statuses are API Gateway's defaults, "Gateway response types for API Gateway":
https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
Every response API Gateway makes itself names its type in `x-amzn-ErrorType`; the body is
`{"message": ...}`, except REQUEST_TOO_LARGE's, which cannot be customised and is plain text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GatewayResponse:
    """One answer API Gateway gives without invoking the function."""

    response_type: str
    """The gateway response type it falls under, as the CDK and CloudFormation name it."""
    status: int
    error_type: str
    """The `x-amzn-ErrorType` header's value."""
    body: bytes
    content_type: str = "application/json"

    @property
    def message(self) -> str:
        """The `message` of a JSON body."""
        return str(json.loads(self.body)["message"])


def _json(response_type: str, status: int, error_type: str, message: str) -> GatewayResponse:
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    return GatewayResponse(response_type, status, error_type, body)


UNAUTHORIZED = _json("UNAUTHORIZED", 401, "UnauthorizedException", "Unauthorized")
"""The Cognito authorizer refused the token: missing, malformed, forged, another pool's."""
TOKEN_EXPIRED = _json(
    "UNAUTHORIZED", 401, "UnauthorizedException", "The incoming token has expired"
)
"""A genuine token past its `exp` (the Cognito authorizer's UNAUTHORIZED, with this message)."""
MISSING_AUTHENTICATION_TOKEN = _json(
    "MISSING_AUTHENTICATION_TOKEN",
    403,
    "MissingAuthenticationTokenException",
    "Missing Authentication Token",
)
"""No such method or resource in the stage."""
FORBIDDEN = _json("DEFAULT_4XX", 403, "ForbiddenException", "Forbidden")
"""A path outside any deployed stage."""
WAF_FILTERED = _json("WAF_FILTERED", 403, "ForbiddenException", "Forbidden")
"""A web ACL's Block action without a custom response."""
INVALID_REQUEST_BODY = _json("BAD_REQUEST_BODY", 400, "BadRequestException", "Invalid request body")
"""The request validator refused the body: it breaks the route's request model."""
INTERNAL_SERVER_ERROR = _json(
    "DEFAULT_5XX", 502, "InternalServerErrorException", "Internal server error"
)
"""The function raised, or returned something that is not a proxy result."""


def request_too_large(max_body_bytes: int) -> GatewayResponse:
    """What a REST API answers to a body over its payload limit: plain text, not JSON."""
    return GatewayResponse(
        "REQUEST_TOO_LARGE",
        413,
        "RequestTooLarge",
        f"HTTP content length exceeded {max_body_bytes} bytes.".encode(),
        content_type="text/plain",
    )


DEPLOYED_TYPES: tuple[str, ...] = (
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "UNAUTHORIZED",
    "EXPIRED_TOKEN",
    "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN",
    "ACCESS_DENIED",
    "AUTHORIZER_FAILURE",
    "AUTHORIZER_CONFIGURATION_ERROR",
    "WAF_FILTERED",
    "THROTTLED",
    "QUOTA_EXCEEDED",
    "BAD_REQUEST_BODY",
    "BAD_REQUEST_PARAMETERS",
    "UNSUPPORTED_MEDIA_TYPE",
    "RESOURCE_NOT_FOUND",
    "INTEGRATION_FAILURE",
    "INTEGRATION_TIMEOUT",
)
"""The types the stack customises: each gets the one JSON error shape and CORS headers.
Not REQUEST_TOO_LARGE: API Gateway answers a body over its limit before any customisation
applies (reported by users, e.g. reapit/foundations#4338: "custom 413 responses seem to get
ignored by the gateway"), so its 413 is plain text and carries no CORS header; the twin's too."""

TWIN_ANSWERS: tuple[GatewayResponse, ...] = (
    UNAUTHORIZED,
    TOKEN_EXPIRED,
    MISSING_AUTHENTICATION_TOKEN,
    FORBIDDEN,
    WAF_FILTERED,
    INVALID_REQUEST_BODY,
    INTERNAL_SERVER_ERROR,
)
"""The JSON answers the twin gives itself; each falls under a deployed type."""
