"""A browser app on a localhost dev server signs in with SRP and places an order across origins.

Debian's Chromium, driven by Playwright, loads a page from a static server on its own port
(`http://localhost:<port>`); the page uses amazon-cognito-identity-js from npm, bundled by
`make web` into web/dist (no CDN), to sign in to the twin's identity provider with
USER_SRP_AUTH, then calls the twin's API with the ID token and reads the new order back through
the exposed Location header. A screenshot is kept in test-artifacts/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.e2e.conftest import Twin, dev_server_for, new_password
from tests.e2e.test_cognito_clients import confirmed_user, new_email
from tests.paths import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

BUNDLE = ROOT / "web" / "dist"
PAGE_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def dev_server() -> Iterator[str]:
    """web/dist on its own localhost port, as a front end's dev server would serve it."""
    with dev_server_for(BUNDLE, "app.js") as origin:
        yield origin


def test_a_page_on_another_origin_signs_in_with_srp_and_places_an_order(
    twin: Twin, dev_server: str, chromium: Any
) -> None:
    email, password = new_email("browser"), new_password()
    confirmed_user(twin, email, password)
    query = urlencode(
        {
            "idp": twin.idp_endpoint,
            "pool": twin.user_pool_id,
            "client": twin.client_id,
            "api": twin.api_url,
        }
    )
    console: list[str] = []

    context = chromium.new_context()
    try:
        page = context.new_page()
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.goto(f"{dev_server}/index.html?{query}", timeout=PAGE_TIMEOUT_MS)
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("#submit")
        page.wait_for_function(
            "() => !/^(Waiting|Signing|Signed in)/.test("
            "document.getElementById('status').textContent)",
            timeout=PAGE_TIMEOUT_MS,
        )
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-srp-sign-in.png"), full_page=True)
        result = json.loads(page.text_content("#result") or "{}")
    finally:
        context.close()

    assert result.get("status") == 201, (result, console)
    assert result["username"] == result["sub"] != email, "the pool signs in by e-mail alias"
    assert result["order"]["items"] == [{"sku": "MUG-01", "quantity": 2}]
    assert result["location"], "the Location header is not exposed to the page"
    assert result["readStatus"] == 200
    assert result["readOrder"]["orderId"] == result["order"]["orderId"]
