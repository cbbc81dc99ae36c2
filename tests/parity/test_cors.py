"""A web app on a developer's localhost calls the API across origins: the preflight answers
with the allowed method and headers, and each answer (the function's and API Gateway's own)
lets that origin read it.

Sources: "CORS for REST APIs in API Gateway" (a preflight is an OPTIONS request with Origin,
Access-Control-Request-Method and -Headers, answered with Access-Control-Allow-Methods,
-Headers and -Origin; for a Lambda proxy integration the function's response must carry
Access-Control-Allow-Origin): https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html;
"Gateway response types for API Gateway" (API Gateway's own errors get their headers from the
gateway responses): https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html.
"""

from __future__ import annotations

import httpx
import pytest

from tests.parity.conftest import DEV_ORIGIN, ORDER, UNAUTHORIZED, Target


def listed(value: str | None) -> set[str]:
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}


@pytest.mark.parametrize(
    ("path", "method"), [("orders", "POST"), ("orders", "GET"), ("orders/some-id", "GET")]
)
def test_a_preflight_from_the_dev_server_allows_the_method_and_the_headers(
    target: Target, path: str, method: str
) -> None:
    response = httpx.options(
        target.url(path),
        headers={
            "Origin": DEV_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
        },
        timeout=30,
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == DEV_ORIGIN
    assert method.lower() in listed(response.headers.get("access-control-allow-methods"))
    assert {"authorization", "content-type", "idempotency-key"} <= listed(
        response.headers.get("access-control-allow-headers")
    )


def test_the_placed_order_is_readable_by_the_dev_servers_page(api: httpx.Client) -> None:
    response = api.post("orders", json=ORDER, headers={"Origin": DEV_ORIGIN})
    assert response.status_code == 201
    assert response.headers["access-control-allow-origin"] == DEV_ORIGIN
    assert "location" in listed(response.headers.get("access-control-expose-headers"))


def test_an_api_gateway_refusal_is_readable_by_the_dev_servers_page_too(
    anonymous: httpx.Client,
) -> None:
    """Without it the page would see a CORS failure instead of the 401 it can act on."""
    response = anonymous.post("orders", json=ORDER, headers={"Origin": DEV_ORIGIN})
    assert (response.status_code, response.json()) == (401, UNAUTHORIZED)
    assert response.headers["access-control-allow-origin"] == DEV_ORIGIN
