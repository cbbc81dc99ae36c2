"""The twin's /docs page in a real browser: sign in, place an order with Swagger UI, see 201.

Debian's Chromium, headless, driven by Playwright (never `playwright install`: no browser is
downloaded). Without /usr/bin/chromium or Playwright the browser test is skipped, with the
reason in pytest's summary. The screenshot lands in test-artifacts/ (gitignored).
"""

from __future__ import annotations

import shutil
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import CHROMIUM, Twin, new_password, new_user
from tests.paths import ARTIFACTS

UI_TIMEOUT_MS = 60_000


def test_the_docs_page_and_document_are_served_outside_the_stage(twin: Twin) -> None:
    page = httpx.get(twin.base_url + "/docs", timeout=10)
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert twin.client_id in page.text
    spec = httpx.get(twin.base_url + "/openapi.json", timeout=10).json()
    assert [server["url"] for server in spec["servers"]] == [twin.api_url.rstrip("/")]
    asset = httpx.get(twin.base_url + "/docs/assets/swagger-ui-bundle.js", timeout=10)
    assert asset.status_code == 200
    assert "cdn" not in page.text.lower()


def test_the_page_may_call_the_api_whichever_loopback_name_it_was_opened_with(
    twin: Twin,
) -> None:
    by_name = httpx.get(twin.base_url.replace("127.0.0.1", "localhost") + "/docs", timeout=10)
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in by_name.headers["content-security-policy"].split(";")
    )
    assert twin.base_url in policy["connect-src"].split()


def test_the_docs_page_is_not_part_of_the_api(twin: Twin) -> None:
    under_the_stage = httpx.get(twin.url("docs"), timeout=10)
    assert (under_the_stage.status_code, under_the_stage.json()) == (
        403,
        {"message": "Missing Authentication Token"},
    )


def test_a_page_naming_another_host_gets_no_docs(twin: Twin) -> None:
    rebound = httpx.get(twin.base_url + "/docs", headers={"Host": "attacker.example"}, timeout=10)
    assert rebound.status_code == 403
    assert rebound.json() == {"message": "Forbidden"}


@pytest.mark.browser
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_person_signs_in_and_places_an_order_from_the_browser(
    twin: Twin, chromium: Any, host: str
) -> None:
    password = new_password()
    user = new_user(twin, password=password)
    context = chromium.new_context(viewport={"width": 1280, "height": 1400})
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        page.goto(twin.base_url.replace("127.0.0.1", host) + "/docs")
        page.wait_for_selector("#operations-default-place_order_orders_post")

        page.fill("#username", user.email)
        page.fill("#password", password)
        page.click("#sign-in-button")
        page.wait_for_selector("#sign-in-status.ok")
        assert user.email in page.inner_text("#sign-in-status")
        assert page.input_value("#password") == ""

        operation = page.locator("#operations-default-place_order_orders_post")
        operation.locator(".opblock-summary").click()
        operation.locator(".try-out__btn").click()
        body = operation.locator("textarea.body-param__text")
        assert '"MUG-01"' in body.input_value()  # the document's first example
        operation.locator(".execute").click()
        status = operation.locator(".live-responses-table tbody .response-col_status").first
        status.wait_for()
        shown = operation.locator(".live-responses-table tbody .response-col_description").first
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"docs-page-{host}.png"), full_page=False)
        operation.screenshot(path=str(ARTIFACTS / f"docs-page-order-placed-{host}.png"))
        assert status.inner_text().strip() == "201", shown.inner_text()
        assert '"status": "PLACED"' in shown.inner_text()
        assert user.sub in shown.inner_text()  # the customer is the signed-in user
    finally:
        context.close()
    assert problems == []


@pytest.mark.browser
def test_a_wrong_password_is_reported_on_the_page(twin: Twin, chromium: Any) -> None:
    user = new_user(twin)
    context = chromium.new_context()
    page = context.new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    try:
        page.goto(twin.base_url + "/docs")
        page.fill("#username", user.email)
        page.fill("#password", user.password + "x")
        page.click("#sign-in-button")
        page.wait_for_selector("#sign-in-status.error")
        assert "NotAuthorizedException" in page.inner_text("#sign-in-status")
    finally:
        context.close()


def test_chromium_is_where_the_browser_tests_expect_it() -> None:
    """Reports, rather than hides, a machine where the browser tests are skipped."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} missing: the browser tests above were skipped")
    assert shutil.which(str(CHROMIUM))
