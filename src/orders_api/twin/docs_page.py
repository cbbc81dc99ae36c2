"""The twin's API documentation page: Swagger UI at /docs, the OpenAPI document at /openapi.json.

Local only, and outside the API: these paths are not under the stage, so no WAF, authorizer or
function sees them, and nothing of them is deployed. Only loopback peers that name a loopback
host get them (a DNS-rebinding page names another host); everyone else reaches the API, which
answers 403 as API Gateway does for a path outside its stage.

Swagger UI's assets come from the `swagger-ui-py` package (Swagger UI 5, which reads OpenAPI
3.1); no CDN. The page's own script signs in as a browser app signs in to Cognito: a `fetch` of
InitiateAuth (USER_PASSWORD_AUTH) with `X-Amz-Target` to the identity provider, which answers
CORS for http://localhost:* and http://127.0.0.1:* origins. The ID token it gets is handed to
Swagger UI (`preauthorizeApiKey`), which then sends it in `Authorization` on "Try it out".
"""

from __future__ import annotations

import importlib.util
import ipaddress
import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route, Router
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/docs"
OPENAPI_PATH = "/openapi.json"
_STATIC = Path(__file__).with_name("docs_static")
_MEDIA_TYPES = {"js": "text/javascript", "css": "text/css"}
_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SwaggerUiMissing(RuntimeError):
    """The swagger-ui-py package is not installed."""


def swagger_ui_assets() -> Path:
    """The directory of Swagger UI's distribution files, from the swagger-ui-py package."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise SwaggerUiMissing("swagger-ui-py is not installed: pip install swagger-ui-py")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _content_security_policy(idp_endpoint: str, api_origins: list[str]) -> str:
    # Swagger UI styles elements inline; scripts come only from this origin. "Try it out" calls
    # the API's own origin, as named in the document, even from a page opened as localhost
    # (a Host of localhost is what AWS's known-bad-inputs rule blocks, deployed and here).
    connect = " ".join(["'self'", *api_origins, idp_endpoint])
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        f"img-src 'self' data:; connect-src {connect}; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    )


def _origins(document: dict[str, Any]) -> list[str]:
    """The scheme://host:port of each server the document names."""
    origins = []
    for server in document.get("servers", []):
        parts = urlsplit(server["url"])
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


class DocsPage:
    """The ASGI app for /docs, its assets, and /openapi.json."""

    def __init__(
        self,
        *,
        openapi_document: dict[str, Any],
        idp_endpoint: str,
        client_id: str,
        security_scheme: str,
    ) -> None:
        config = {
            "openapiUrl": OPENAPI_PATH,
            "idpEndpoint": idp_endpoint,
            "clientId": client_id,
            "securityScheme": security_scheme,
        }
        # `<` escaped: the config sits in a <script type="application/json"> element.
        config_json = json.dumps(config).replace("<", "\\u003c")
        page = (_STATIC / "index.html").read_text(encoding="utf-8")
        self._page = page.replace("{{CONFIG}}", config_json)
        self._document = openapi_document
        self._headers = {
            "Content-Security-Policy": _content_security_policy(
                idp_endpoint, _origins(openapi_document)
            ),
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store",
        }
        self._router = Router(
            routes=[
                Route(DOCS_PATH, self._index, methods=["GET"]),
                Route(f"{DOCS_PATH}/", self._index, methods=["GET"]),
                Route(f"{DOCS_PATH}/docs.js", self._own_file, methods=["GET"]),
                Route(f"{DOCS_PATH}/docs.css", self._own_file, methods=["GET"]),
                Route(OPENAPI_PATH, self._openapi, methods=["GET"]),
                Mount(f"{DOCS_PATH}/assets", app=StaticFiles(directory=swagger_ui_assets())),
            ]
        )

    @staticmethod
    def serves(scope: Scope) -> bool:
        """True for a loopback peer asking a loopback host for a docs path."""
        if scope["type"] != "http":
            return False
        path: str = scope["path"]
        if path != OPENAPI_PATH and path != DOCS_PATH and not path.startswith(f"{DOCS_PATH}/"):
            return False
        return _from_loopback(scope) and _names_loopback_host(scope)

    def in_front_of(self, api: AsgiApp) -> AsgiApp:
        """An ASGI app that answers docs paths here and passes everything else to `api`."""

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            if self.serves(scope):
                await self._router(scope, receive, send)
            else:
                await api(scope, receive, send)

        return app

    async def _index(self, _: Request) -> Response:
        return HTMLResponse(self._page, headers=self._headers)

    async def _own_file(self, request: Request) -> Response:
        name = request.url.path.rsplit("/", 1)[1]
        media_type = _MEDIA_TYPES[name.rsplit(".", 1)[1]]
        return Response((_STATIC / name).read_bytes(), media_type=media_type, headers=self._headers)

    async def _openapi(self, _: Request) -> Response:
        return JSONResponse(self._document, headers=self._headers)


def _from_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


def _names_loopback_host(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1").lower()
            hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            return hostname in _LOOPBACK_NAMES
    return False
