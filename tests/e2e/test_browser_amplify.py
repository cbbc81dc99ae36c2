"""A web app on a localhost dev server uses Amplify JS v6, unchanged, against the twin.

Debian's Chromium, driven by Playwright, loads web/dist/amplify.html from a static server on its
own port; the page is bundled by `make web` from npm (`aws-amplify` pinned in web/package.json,
no CDN) and configured as a developer would: `Amplify.configure({Auth: {Cognito: {userPoolId,
userPoolClientId, userPoolEndpoint}}})` with the twin's identity provider as the endpoint. Each
test calls Amplify's own Auth functions in the page (window.amplifyAuth.call), reads codes from
the twin's log (its mailbox), and checks the outcome through Amplify and through boto3.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest

from orders_api.twin.cognito.app import CORS_ALLOW_HEADERS
from tests.e2e.conftest import Twin, dev_server_for, new_password
from tests.e2e.test_cognito_clients import confirmed_user, new_email
from tests.paths import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

BUNDLE = ROOT / "web" / "dist"
PAGE_TIMEOUT_MS = 60_000
SAFELISTED_HEADERS = {"accept", "accept-language", "content-language", "user-agent", "referer"}
"""Headers a page sends without asking a preflight (or that the browser itself sets)."""


@pytest.fixture(scope="module")
def dev_server() -> Iterator[str]:
    """web/dist on its own localhost port, as a front end's dev server would serve it."""
    with dev_server_for(BUNDLE, "amplify.js") as origin:
        yield origin


class AmplifyPage:
    """The page in one browser context; `ok` and `fails` call one Amplify function in it."""

    def __init__(self, page: Any, twin: Twin) -> None:
        self.page = page
        self.twin = twin
        self.sent_headers: set[str] = set()
        idp = urlsplit(twin.idp_endpoint).netloc
        page.on(
            "request",
            lambda request: (
                self.sent_headers.update(request.headers)
                if urlsplit(request.url).netloc == idp
                else None
            ),
        )

    def call(self, name: str, value: Any = None) -> dict[str, Any]:
        answer: dict[str, Any] = self.page.evaluate(
            "([name, value]) => window.amplifyAuth.call(name, value)", [name, value]
        )
        return answer

    def ok(self, name: str, value: Any = None) -> Any:
        answer = self.call(name, value)
        assert answer["ok"], (name, answer)
        return answer["value"]

    def fails(self, name: str, value: Any = None) -> tuple[str, str]:
        answer = self.call(name, value)
        assert not answer["ok"], (name, answer)
        return answer["name"], answer["message"]

    def refresh_token(self) -> str:
        """The refresh token Amplify keeps in localStorage (its default token store)."""
        token: str | None = self.page.evaluate(
            "() => Object.keys(localStorage).filter(k => k.endsWith('.refreshToken'))"
            ".map(k => localStorage.getItem(k))[0] ?? null"
        )
        assert token, "Amplify stored no refresh token"
        return token

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.fixture
def amplify(twin: Twin, dev_server: str, chromium: Any) -> Iterator[AmplifyPage]:
    query = urlencode(
        {
            "idp": twin.idp_endpoint,
            "pool": twin.user_pool_id,
            "client": twin.client_id,
            "api": twin.api_url,
        }
    )
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(f"{dev_server}/amplify.html?{query}")
        page.wait_for_function("() => window.amplifyAuth !== undefined")
        yield AmplifyPage(page, twin)
    finally:
        context.close()


def last_code(twin: Twin, kind: str, email: str) -> str:
    """The last code of `kind` the twin "emailed" to `email`: its log is the mailbox."""
    local, _, domain = email.partition("@")
    destination = re.escape(f"{local[:1]}***@{domain[:1]}***")
    codes = re.findall(rf"{kind} code for {destination}: (\d{{6}})", twin.log())
    assert codes, twin.log()
    return str(codes[-1])


def totp_code(secret: str, moment: float) -> str:
    """RFC 6238 (SHA-1, 30 s, 6 digits), written here apart from the twin's own."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    digest = hmac.digest(key, struct.pack(">Q", int(moment // 30)), hashlib.sha1)
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def refresh_refusal(twin: Twin, refresh_token: str) -> str:
    cognito = twin.cognito()
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as refused:
        cognito.initiate_auth(
            ClientId=twin.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": refresh_token},
        )
    return str(refused.value.response["Error"]["Message"])


def signed_in(amplify: AmplifyPage, email: str, password: str, **options: Any) -> None:
    result = amplify.ok("signIn", {"username": email, "password": password, "options": options})
    assert result["isSignedIn"], result


def test_a_new_customer_signs_up_confirms_signs_in_with_srp_and_places_an_order(
    twin: Twin, amplify: AmplifyPage
) -> None:
    email, password = new_email("amplify"), new_password()

    signed_up = amplify.ok(
        "signUp",
        {"username": email, "password": password, "options": {"userAttributes": {"email": email}}},
    )
    first_code = last_code(twin, "sign-up confirmation", email)
    resent = amplify.ok("resendSignUpCode", {"username": email})
    second_code = last_code(twin, "sign-up confirmation", email)
    stale = amplify.call("confirmSignUp", {"username": email, "confirmationCode": first_code})
    confirmed = amplify.ok("confirmSignUp", {"username": email, "confirmationCode": second_code})
    signed_in(amplify, email, password)
    current = amplify.ok("getCurrentUser")
    attributes = amplify.ok("fetchUserAttributes")
    session = amplify.ok("fetchAuthSession")
    order = amplify.ok("placeOrder", {"sku": "MUG-01", "quantity": 2})
    amplify.screenshot("browser-amplify-sign-in.png")

    assert signed_up["nextStep"]["signUpStep"] == "CONFIRM_SIGN_UP"
    assert resent["destination"] == signed_up["nextStep"]["codeDeliveryDetails"]["destination"]
    assert first_code == second_code or not stale["ok"], "the resent code replaces the first"
    assert confirmed["isSignUpComplete"]
    user_id = signed_up["userId"]
    assert current["userId"] == user_id
    assert current["username"] == user_id != email, "a generated username, as on AWS"
    assert str(uuid.UUID(current["username"])) == current["username"]
    assert current["signInDetails"]["loginId"] == email
    assert attributes["email"] == email
    assert attributes["email_verified"] == "true"
    assert attributes["sub"] == user_id
    assert session["idClaims"]["cognito:username"] == user_id
    assert order["status"] == 201, order
    assert order["order"]["items"] == [{"sku": "MUG-01", "quantity": 2}]
    assert order["readStatus"] == 200
    assert order["readOrder"]["orderId"] == order["order"]["orderId"]
    by_page = {h for h in amplify.sent_headers if not h.startswith("sec-")}  # the browser's own
    unasked = by_page - SAFELISTED_HEADERS - set(CORS_ALLOW_HEADERS)
    assert not unasked, f"Amplify sent headers the preflight does not allow: {unasked}"


def test_a_session_refreshes_and_sign_out_revokes_its_refresh_token(
    twin: Twin, amplify: AmplifyPage
) -> None:
    email, password = new_email("refresh"), new_password()
    confirmed_user(twin, email, password)

    signed_in(amplify, email, password, authFlowType="USER_PASSWORD_AUTH")
    before = amplify.ok("fetchAuthSession")
    time.sleep(1.1)  # a new token's iat differs from the first's
    refreshed = amplify.ok("fetchAuthSession", {"forceRefresh": True})
    refresh_token = amplify.refresh_token()
    amplify.ok("signOut")
    after = amplify.ok("fetchAuthSession")

    assert refreshed["accessToken"] != before["accessToken"]
    assert refreshed["userSub"] == before["userSub"]
    assert after["accessToken"] is None
    assert refresh_refusal(twin, refresh_token) == "Refresh Token has been revoked"
    cognito = twin.cognito()
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        cognito.get_user(AccessToken=refreshed["accessToken"])


def test_a_global_sign_out_revokes_the_sessions_of_other_devices(
    twin: Twin, amplify: AmplifyPage
) -> None:
    email, password = new_email("global"), new_password()
    confirmed_user(twin, email, password)
    elsewhere = twin.cognito().initiate_auth(
        ClientId=twin.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )["AuthenticationResult"]

    signed_in(amplify, email, password)
    amplify.ok("signOut", {"global": True})

    assert refresh_refusal(twin, elsewhere["RefreshToken"]) == "Refresh Token has been revoked"


def test_an_invited_customer_replaces_the_temporary_password_in_confirm_sign_in(
    twin: Twin, amplify: AmplifyPage
) -> None:
    email, temporary, chosen = new_email("invited"), new_password(), new_password()
    cognito = twin.cognito()
    cognito.admin_create_user(
        UserPoolId=twin.user_pool_id,
        Username=email,
        TemporaryPassword=temporary,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )

    challenged = amplify.ok("signIn", {"username": email, "password": temporary})
    answered = amplify.ok("confirmSignIn", {"challengeResponse": chosen})

    assert challenged["nextStep"]["signInStep"] == "CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED"
    assert answered["isSignedIn"]
    assert cognito.admin_get_user(UserPoolId=twin.user_pool_id, Username=email)["UserStatus"] == (
        "CONFIRMED"
    )


def test_a_customer_changes_email_and_password_resets_it_and_deletes_the_account(
    twin: Twin, amplify: AmplifyPage
) -> None:
    email, password = new_email("changer"), new_password()
    new_address, changed, reset = new_email("moved"), new_password(), new_password()
    confirmed_user(twin, email, password)
    signed_in(amplify, email, password)

    updated = amplify.ok(
        "updateUserAttributes", {"userAttributes": {"email": new_address, "given_name": "Ada"}}
    )
    unverified = amplify.ok("fetchUserAttributes")
    code = last_code(twin, "e-mail verification", new_address)
    amplify.ok("confirmUserAttribute", {"userAttributeKey": "email", "confirmationCode": code})
    verified = amplify.ok("fetchUserAttributes")
    amplify.ok("updatePassword", {"oldPassword": password, "newPassword": changed})
    amplify.ok("signOut")
    refused_old = amplify.fails("signIn", {"username": email, "password": changed})
    signed_in(amplify, new_address, changed)
    amplify.ok("signOut")
    asked = amplify.ok("resetPassword", {"username": new_address})
    code = last_code(twin, "password reset", new_address)
    amplify.ok(
        "confirmResetPassword",
        {"username": new_address, "confirmationCode": code, "newPassword": reset},
    )
    signed_in(amplify, new_address, reset)
    amplify.ok("deleteUser")

    assert updated["email"]["nextStep"]["updateAttributeStep"] == "CONFIRM_ATTRIBUTE_WITH_CODE"
    assert updated["given_name"]["nextStep"]["updateAttributeStep"] == "DONE"
    assert (unverified["email"], unverified["email_verified"]) == (new_address, "false")
    assert (verified["email"], verified["email_verified"], verified["given_name"]) == (
        new_address,
        "true",
        "Ada",
    )
    assert refused_old[0] == "NotAuthorizedException", "the old address no longer signs in"
    assert asked["nextStep"]["resetPasswordStep"] == "CONFIRM_RESET_PASSWORD_WITH_CODE"
    cognito = twin.cognito()
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=twin.user_pool_id, Username=new_address)
    assert amplify.fails("signIn", {"username": new_address, "password": reset})[0] == (
        "NotAuthorizedException"
    )


def test_a_customer_turns_on_totp_and_signs_in_with_a_code_from_the_app(
    twin: Twin, amplify: AmplifyPage
) -> None:
    email, password = new_email("totp"), new_password()
    confirmed_user(twin, email, password)
    signed_in(amplify, email, password)

    secret = amplify.ok("setUpTOTP")["sharedSecret"]
    amplify.ok("verifyTOTPSetup", {"code": totp_code(secret, time.time())})
    amplify.ok("updateMFAPreference", {"totp": "PREFERRED"})
    preference = amplify.ok("fetchMFAPreference")
    amplify.ok("signOut")
    challenged = amplify.ok("signIn", {"username": email, "password": password})
    wrong = amplify.fails("confirmSignIn", {"challengeResponse": "000000"})
    # The next time step's code: the one used to verify the setup may not be used again.
    answered = amplify.ok(
        "confirmSignIn", {"challengeResponse": totp_code(secret, time.time() + 30)}
    )
    order = amplify.ok("placeOrder", {"sku": "MUG-01", "quantity": 1})

    assert preference == {"enabled": ["TOTP"], "preferred": "TOTP"}
    assert challenged["nextStep"]["signInStep"] == "CONFIRM_SIGN_IN_WITH_TOTP_CODE"
    assert wrong[0] == "CodeMismatchException"
    assert answered["isSignedIn"]
    assert order["status"] == 201, order
