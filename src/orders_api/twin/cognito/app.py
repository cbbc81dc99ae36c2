"""The identity provider over HTTP (ASGI): Cognito's JSON API on POST /, plus the issuer's
discovery document and JWKS.

CORS, as Cognito answers browsers, but only for web apps on the developer's machine
(`http://localhost:<port>`, `http://127.0.0.1:<port>`; Cognito allows any origin): a page there
can sign in as amazon-cognito-identity-js or Amplify does, sending every header the AWS SDKs
send; a page elsewhere gets no CORS at all. A Host check keeps DNS-rebinding pages out.
"""

from __future__ import annotations

import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from orders_api.deployment.cors_policy import LOCAL_DEVELOPMENT_ORIGINS, origin_regex
from orders_api.twin.cognito.actions import dispatch
from orders_api.twin.cognito.protocol import CONTENT_TYPE, encode
from orders_api.twin.cognito.userpool import UserPool
from orders_api.twin.http import WILDCARD_ADDRESSES

MAX_REQUEST_BYTES = 1024 * 1024

CORS_ALLOW_HEADERS = (
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "authorization",
    "cache-control",
    "content-type",
    "x-amz-content-sha256",
    "x-amz-date",
    "x-amz-security-token",
    "x-amz-target",
    "x-amz-user-agent",
)
"""Every header the AWS SDKs for JavaScript (v3, under Amplify 6) and Python send to Cognito:
`amz-sdk-invocation-id` and `amz-sdk-request` on every call, `x-amz-user-agent` from browsers
(which may not set User-Agent), SigV4's `authorization`, `x-amz-date`, `x-amz-security-token` and
`x-amz-content-sha256` on signed calls, and amazon-cognito-identity-js 6's `Cache-Control:
no-store`. Cognito answers any preflight; the twin lists these so that a page on the developer's
machine may send what the SDKs send (the Admin* signatures are not checked anyway)."""
CORS_EXPOSE_HEADERS = ("x-amzn-RequestId", "x-amzn-ErrorType", "x-amzn-ErrorMessage", "Date")
CORS_MAX_AGE_SECONDS = 86400


async def _bounded_body(request: Request) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_REQUEST_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def openid_configuration(pool: UserPool) -> dict[str, Any]:
    return {
        "issuer": pool.issuer,
        "jwks_uri": f"{pool.issuer}/.well-known/jwks.json",
        "id_token_signing_alg_values_supported": ["RS256"],
        "subject_types_supported": ["public"],
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "claims_supported": ["sub", "email", "email_verified", "cognito:username"],
    }


def build_app(pool: UserPool, *, host: str) -> Starlette:
    async def api(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        body = await _bounded_body(request)
        if body is None:
            return JSONResponse({"message": "Request entity too large"}, status_code=413)
        # Admin* actions need a signed request. Signatures are not verified locally, so a call
        # from a web page (a browser always sends Origin) counts as unsigned: no page open in
        # a browser on this machine can create or delete the twin's users.
        signed = request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256 ") and (
            "origin" not in request.headers
        )
        status, payload = await run_in_threadpool(
            dispatch, pool, request.headers.get("x-amz-target"), body, signed=signed
        )
        headers = {"x-amzn-RequestId": request_id}
        if status != 200:
            headers["x-amzn-ErrorType"] = str(payload.get("__type", ""))
        return Response(encode(payload), status, headers=headers, media_type=CONTENT_TYPE)

    def of_this_pool(request: Request) -> bool:
        return request.path_params.get("pool_id") == pool.user_pool_id

    async def jwks(request: Request) -> Response:
        if not of_this_pool(request):
            return JSONResponse({"message": "Not found"}, status_code=404)
        return JSONResponse(pool.signing_key.jwks())

    async def discovery(request: Request) -> Response:
        if "pool_id" in request.path_params and not of_this_pool(request):
            return JSONResponse({"message": "Not found"}, status_code=404)
        return JSONResponse(openid_configuration(pool))

    allowed_hosts = (
        ["*"] if host in WILDCARD_ADDRESSES else sorted({host, "127.0.0.1", "localhost"})
    )
    return Starlette(
        routes=[
            Route("/", api, methods=["POST"]),
            Route("/{pool_id}/.well-known/jwks.json", jwks, methods=["GET"]),
            Route("/{pool_id}/.well-known/openid-configuration", discovery, methods=["GET"]),
            Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
        ],
        middleware=[
            # Outermost first: a rebinding page is refused before CORS says anything.
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts),
            Middleware(
                CORSMiddleware,
                allow_origin_regex=origin_regex(LOCAL_DEVELOPMENT_ORIGINS),
                allow_methods=["POST"],
                allow_headers=CORS_ALLOW_HEADERS,
                expose_headers=CORS_EXPOSE_HEADERS,
                max_age=CORS_MAX_AGE_SECONDS,
            ),
        ],
    )
