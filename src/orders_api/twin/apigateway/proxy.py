"""Lambda proxy integration, payload format 1.0: the event API Gateway (REST) sends a function
and the result it expects back.

Event fidelity, field by field:

- `path` is the stage-relative path still percent-encoded (REST APIs do not decode it);
  `requestContext.path` is the full path with the stage, as the client called it.
- `headers` holds the last value of each header, `multiValueHeaders` all of them, in arrival
  order. Names arrive lower-cased: HTTP/1.1 servers (and HTTP/2 clients) lose the case the
  client used, and lower case is what an HTTP/2 client's request shows in a real event too.
  API Gateway adds `X-Forwarded-For` (the caller appended), `X-Forwarded-Proto`,
  `X-Forwarded-Port` and `X-Amzn-Trace-Id`.
- Query strings are percent-decoded (`+` stays a plus); `queryStringParameters` holds the last
  value of each name, `multiValueQueryStringParameters` all. Absent maps are null.
- A body that is valid UTF-8 is passed as text; any other body is base64 with
  `isBase64Encoded: true`. No body is null.
- `requestContext.authorizer.claims` are the authorizer's claims, every value a string.

Result fidelity: `statusCode` is required; `headers` and `multiValueHeaders` merge (values in
both appear once); `body` must be a string, base64-decoded when `isBase64Encoded`. Anything else
is malformed, and API Gateway answers 502.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from orders_api.twin.apigateway.routing import RouteMatch
from orders_api.twin.http import HttpRequest, HttpResponse

_NULL_IDENTITY_FIELDS = (
    "cognitoIdentityPoolId",
    "accountId",
    "cognitoIdentityId",
    "caller",
    "principalOrgId",
    "accessKey",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "userArn",
    "user",
)
_RESULT_KEYS = frozenset({"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"})
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True, slots=True)
class ApiIdentity:
    """What the deployed API is called: the constant parts of every event's requestContext."""

    api_id: str
    account_id: str
    stage: str
    protocol_port: str = "443"
    """What X-Forwarded-Port says: the port the caller used."""
    scheme: str = "https"


@dataclass(frozen=True, slots=True)
class Invocation:
    """The per-request facts API Gateway puts into the event."""

    request_id: str
    extended_request_id: str
    trace_id: str
    epoch_seconds: float
    claims: Mapping[str, str]


class MalformedProxyResult(ValueError):
    """The function's result is not a valid proxy integration response."""


def new_invocation(claims: Mapping[str, str], epoch_seconds: float | None = None) -> Invocation:
    """Fresh ids for one request, shaped like API Gateway's."""
    now = time.time() if epoch_seconds is None else epoch_seconds
    random = os.urandom(38)
    request_id = random[:16].hex()
    return Invocation(
        request_id=(
            f"{request_id[:8]}-{request_id[8:12]}-{request_id[12:16]}-"
            f"{request_id[16:20]}-{request_id[20:]}"
        ),
        extended_request_id=base64.b64encode(random[16:26]).decode()[:14] + "=",
        trace_id=f"Root=1-{int(now):08x}-{random[26:38].hex()}",
        epoch_seconds=now,
        claims=claims,
    )


def build_event(
    request: HttpRequest,
    match: RouteMatch,
    stage_path: str,
    api: ApiIdentity,
    invocation: Invocation,
) -> dict[str, Any]:
    """The proxy event (payload 1.0) for a matched request; `stage_path` excludes the stage."""
    headers, multi_headers = _header_maps(request, api, invocation)
    query, multi_query = _query_maps(request.raw_query)
    body, is_base64 = _event_body(request.body)
    user_agent = headers.get("user-agent")
    host = headers.get("host", "")
    domain_name = host.rsplit(":", 1)[0] if host and not host.endswith("]") else host
    return {
        "resource": match.route.resource,
        "path": stage_path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": match.path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": match.resource_id,
            "authorizer": {"claims": dict(invocation.claims)},
            "resourcePath": match.route.resource,
            "httpMethod": request.method,
            "extendedRequestId": invocation.extended_request_id,
            "requestTime": _clf_time(invocation.epoch_seconds),
            "path": request.path,
            "accountId": api.account_id,
            "protocol": "HTTP/1.1",
            "stage": api.stage,
            "domainPrefix": domain_name.split(".", 1)[0],
            "requestTimeEpoch": int(invocation.epoch_seconds * 1000),
            "requestId": invocation.request_id,
            "identity": {
                **dict.fromkeys(_NULL_IDENTITY_FIELDS),
                "sourceIp": request.client_ip,
                "userAgent": user_agent,
            },
            "domainName": domain_name,
            "apiId": api.api_id,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    }


def _header_maps(
    request: HttpRequest, api: ApiIdentity, invocation: Invocation
) -> tuple[dict[str, str], dict[str, list[str]]]:
    multi: dict[str, list[str]] = {}
    for name, value in request.headers:
        lower = name.lower()
        if lower in multi:
            multi[lower].append(value)
        else:
            multi[lower] = [value]
    forwarded = multi.pop("x-forwarded-for", None)
    for added in ("x-forwarded-proto", "x-forwarded-port", "x-amzn-trace-id"):
        multi.pop(added, None)
    # The headers API Gateway sets itself, spelled as it spells them (the AWS sample events).
    multi["X-Forwarded-For"] = [
        f"{', '.join(forwarded)}, {request.client_ip}" if forwarded else request.client_ip
    ]
    multi["X-Forwarded-Proto"] = [api.scheme]
    multi["X-Forwarded-Port"] = [api.protocol_port]
    multi["X-Amzn-Trace-Id"] = [invocation.trace_id]
    return {name: values[-1] for name, values in multi.items()}, multi


def _query_maps(raw_query: str) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not raw_query:
        return None, None
    multi: dict[str, list[str]] = {}
    for pair in raw_query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        multi.setdefault(unquote(name), []).append(unquote(value))
    if not multi:
        return None, None
    return {name: values[-1] for name, values in multi.items()}, multi


def _event_body(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def _clf_time(epoch_seconds: float) -> str:
    """`25/Nov/2024:16:00:00 +0000`, independent of the process locale."""
    moment = time.gmtime(epoch_seconds)
    return (
        f"{moment.tm_mday:02d}/{_MONTHS[moment.tm_mon - 1]}/{moment.tm_year}:"
        f"{moment.tm_hour:02d}:{moment.tm_min:02d}:{moment.tm_sec:02d} +0000"
    )


def response_from_result(result: object) -> HttpResponse:
    """The HTTP response for a function's proxy result; MalformedProxyResult if it is not one."""
    if not isinstance(result, Mapping):
        raise MalformedProxyResult("the result is not a JSON object")
    unknown = set(result) - _RESULT_KEYS
    if unknown:
        raise MalformedProxyResult(f"unexpected keys {sorted(unknown)}")
    status = result.get("statusCode")
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        raise MalformedProxyResult("statusCode is not an HTTP status")
    headers = _result_headers(result.get("headers"), result.get("multiValueHeaders"))
    return HttpResponse(
        status=status,
        body=_result_body(result.get("body"), result.get("isBase64Encoded", False)),
        headers=headers,
    )


def _result_headers(single: object, multi: object) -> tuple[tuple[str, str], ...]:
    if single is not None and not isinstance(single, Mapping):
        raise MalformedProxyResult("headers is not an object")
    if multi is not None and not isinstance(multi, Mapping):
        raise MalformedProxyResult("multiValueHeaders is not an object")
    merged: dict[str, list[str]] = {}
    for name, values in (multi or {}).items():
        if not isinstance(values, list):
            raise MalformedProxyResult("a multiValueHeaders entry is not a list")
        merged[name] = [_header_value(value) for value in values]
    for name, value in (single or {}).items():
        text = _header_value(value)
        values = merged.setdefault(name, [])
        if text not in values:
            values.append(text)
    return tuple((name, value) for name, values in merged.items() for value in values)


def _header_value(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise MalformedProxyResult("a header value is not a string")
    return str(value)


def _result_body(body: object, is_base64: object) -> bytes:
    if not isinstance(is_base64, bool):
        raise MalformedProxyResult("isBase64Encoded is not a boolean")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedProxyResult("body is not a string")
    if not is_base64:
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedProxyResult("body is not valid base64") from exc
