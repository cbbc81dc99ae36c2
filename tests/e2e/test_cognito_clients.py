"""Real Cognito client libraries against the running twin, unchanged: pycognito's SRP sign-in,
the temporary-password and forgotten-password flows through boto3, `orders-api login`, and the
CORS answers a browser app on a localhost dev server gets from the identity provider and the API.
"""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from typing import Any

import httpx
import pytest
from pycognito.aws_srp import AWSSRP
from pycognito.exceptions import ForceChangePasswordException

from orders_api.cli.api_client import IdentityClient, StackOutputs
from tests.e2e.conftest import Twin, new_password

DEV_ORIGIN = "http://localhost:5173"
ORDER = {"items": [{"sku": "MUG-01", "quantity": 2}]}
INCORRECT = ("NotAuthorizedException", "Incorrect username or password.")

SDK_HEADERS = (
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
"""Every header the AWS SDKs (JavaScript v3 under Amplify 6, boto3) and amazon-cognito-identity-js
send to Cognito."""


def error_of(raised: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    error = raised.value.response["Error"]
    return error["Code"], error["Message"]


def new_email(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}@example.com"


def confirmed_user(twin: Twin, email: str, password: str) -> None:
    cognito = twin.cognito()
    cognito.admin_create_user(
        UserPoolId=twin.user_pool_id,
        Username=email,
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=twin.user_pool_id, Username=email, Password=password, Permanent=True
    )


def srp_for(twin: Twin, email: str, password: str, cognito: Any = None) -> AWSSRP:
    return AWSSRP(
        email, password, twin.user_pool_id, twin.client_id, client=cognito or twin.cognito()
    )


def password_verifier_answer(twin: Twin, srp: AWSSRP, cognito: Any) -> dict[str, str]:
    """InitiateAuth USER_SRP_AUTH, and pycognito's answer to the challenge, not yet sent."""
    auth_parameters = srp.get_auth_params()
    challenge = cognito.initiate_auth(
        ClientId=twin.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=auth_parameters
    )
    assert challenge["ChallengeName"] == "PASSWORD_VERIFIER"
    answer: dict[str, str] = srp.process_challenge(
        challenge["ChallengeParameters"], auth_parameters
    )
    return answer


def respond(twin: Twin, cognito: Any, answer: dict[str, str]) -> dict[str, Any]:
    response: dict[str, Any] = cognito.respond_to_auth_challenge(
        ClientId=twin.client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )
    return response


def reset_code(twin: Twin, destination: str) -> str:
    """The last reset code the twin "emailed": its log is the mailbox."""
    codes = re.findall(rf"password reset code for {re.escape(destination)}: (\d{{6}})", twin.log())
    assert codes, twin.log()
    return codes[-1]


def test_pycognito_signs_in_with_srp_and_its_id_token_places_an_order(twin: Twin) -> None:
    email, password = new_email("srp"), new_password()
    confirmed_user(twin, email, password)

    tokens = srp_for(twin, email, password).authenticate_user()["AuthenticationResult"]

    headers = {"Authorization": tokens["IdToken"]}
    placed = httpx.post(twin.url("orders"), json=ORDER, headers=headers, timeout=30)
    assert placed.status_code == 201, placed.text
    read = httpx.get(twin.url(f"orders/{placed.json()['orderId']}"), headers=headers, timeout=30)
    assert read.status_code == 200
    assert read.json()["items"] == ORDER["items"]
    assert {"AccessToken", "RefreshToken", "ExpiresIn"} <= tokens.keys()


def test_a_wrong_password_over_srp_raises_not_authorized(twin: Twin) -> None:
    email = new_email("wrong")
    confirmed_user(twin, email, new_password())
    cognito = twin.cognito()

    with pytest.raises(cognito.exceptions.NotAuthorizedException) as raised:
        srp_for(twin, email, "Not-The-Password-1", cognito).authenticate_user()

    assert error_of(raised) == INCORRECT


def test_an_unknown_user_gets_a_stable_challenge_and_the_same_refusal(twin: Twin) -> None:
    cognito = twin.cognito()
    ghost = srp_for(twin, "Nobody@Example.com", new_password(), cognito)
    first = cognito.initiate_auth(
        ClientId=twin.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=ghost.get_auth_params()
    )
    second_answer = password_verifier_answer(twin, ghost, cognito)

    with pytest.raises(cognito.exceptions.NotAuthorizedException) as raised:
        respond(twin, cognito, second_answer)

    again = cognito.initiate_auth(
        ClientId=twin.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=ghost.get_auth_params()
    )
    assert error_of(raised) == INCORRECT
    assert first["ChallengeParameters"]["SALT"] == again["ChallengeParameters"]["SALT"]
    decoy_id = first["ChallengeParameters"]["USER_ID_FOR_SRP"]
    assert decoy_id == again["ChallengeParameters"]["USER_ID_FOR_SRP"]
    assert str(uuid.UUID(decoy_id)) == decoy_id, "an unknown e-mail gets a username like a user's"


def test_a_replayed_claim_is_refused(twin: Twin) -> None:
    email, password = new_email("replay"), new_password()
    confirmed_user(twin, email, password)
    cognito = twin.cognito()
    answer = password_verifier_answer(twin, srp_for(twin, email, password, cognito), cognito)

    assert "IdToken" in respond(twin, cognito, answer)["AuthenticationResult"]
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as raised:
        respond(twin, cognito, answer)

    assert error_of(raised) == INCORRECT


@pytest.mark.parametrize("member", ["PASSWORD_CLAIM_SIGNATURE", "TIMESTAMP"])
def test_an_altered_claim_is_refused_and_spends_the_challenge(twin: Twin, member: str) -> None:
    email, password = new_email("altered"), new_password()
    confirmed_user(twin, email, password)
    cognito = twin.cognito()
    answer = password_verifier_answer(twin, srp_for(twin, email, password, cognito), cognito)
    altered = dict(answer)
    if member == "TIMESTAMP":  # one second later: the signature no longer covers it
        altered[member] = re.sub(
            r":(\d\d) ", lambda m: f":{(int(m[1]) + 1) % 60:02d} ", answer[member]
        )
    else:
        signature = bytearray(base64.b64decode(answer[member]))
        signature[0] ^= 1
        altered[member] = base64.b64encode(bytes(signature)).decode()

    with pytest.raises(cognito.exceptions.NotAuthorizedException) as tampered:
        respond(twin, cognito, altered)
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as genuine_after:
        respond(twin, cognito, answer)

    assert error_of(tampered) == INCORRECT
    assert error_of(genuine_after) == INCORRECT


def test_a_temporary_password_must_be_replaced_before_tokens_are_issued(twin: Twin) -> None:
    email, temporary, chosen = new_email("invited"), new_password(), new_password()
    cognito = twin.cognito()
    created = cognito.admin_create_user(
        UserPoolId=twin.user_pool_id,
        Username=email,
        TemporaryPassword=temporary,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )
    assert created["User"]["UserStatus"] == "FORCE_CHANGE_PASSWORD"

    challenge = cognito.initiate_auth(
        ClientId=twin.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": temporary},
    )
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    with pytest.raises(cognito.exceptions.InvalidPasswordException):
        cognito.respond_to_auth_challenge(
            ClientId=twin.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": "too-weak"},
        )
    answered = cognito.respond_to_auth_challenge(
        ClientId=twin.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": email,
            "NEW_PASSWORD": chosen,
            "userAttributes.given_name": "Grace",
        },
    )

    tokens = answered["AuthenticationResult"]
    assert httpx.post(
        twin.url("orders"), json=ORDER, headers={"Authorization": tokens["IdToken"]}, timeout=30
    ).is_success
    attributes = {
        a["Name"]: a["Value"]
        for a in cognito.get_user(AccessToken=tokens["AccessToken"])["UserAttributes"]
    }
    assert (attributes["given_name"], attributes["email_verified"]) == ("Grace", "true")
    with pytest.raises(cognito.exceptions.NotAuthorizedException) as session_reused:
        cognito.respond_to_auth_challenge(
            ClientId=twin.client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": email, "NEW_PASSWORD": new_password()},
        )
    assert "session" in error_of(session_reused)[1]
    assert "IdToken" in srp_for(twin, email, chosen).authenticate_user()["AuthenticationResult"]


def test_pycognito_answers_new_password_required_over_srp(twin: Twin) -> None:
    email, temporary, chosen = new_email("srp-invited"), new_password(), new_password()
    cognito = twin.cognito()
    cognito.admin_create_user(
        UserPoolId=twin.user_pool_id,
        Username=email,
        TemporaryPassword=temporary,
        MessageAction="SUPPRESS",
    )
    with pytest.raises(ForceChangePasswordException):
        srp_for(twin, email, temporary, cognito).authenticate_user()

    answered = srp_for(twin, email, temporary, cognito).set_new_password_challenge(chosen)

    assert "IdToken" in answered["AuthenticationResult"]
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        srp_for(twin, email, temporary, cognito).authenticate_user()
    assert "IdToken" in srp_for(twin, email, chosen).authenticate_user()["AuthenticationResult"]


def test_a_forgotten_password_is_reset_with_the_code_from_the_server_log(twin: Twin) -> None:
    email, old, new = new_email("forgetful"), new_password(), new_password()
    confirmed_user(twin, email, old)
    cognito = twin.cognito()

    delivery = cognito.forgot_password(ClientId=twin.client_id, Username=email)
    destination = delivery["CodeDeliveryDetails"]["Destination"]
    code = reset_code(twin, destination)
    cognito.confirm_forgot_password(
        ClientId=twin.client_id, Username=email, ConfirmationCode=code, Password=new
    )

    assert destination == "f***@e***"
    assert email not in twin.log()
    assert "IdToken" in srp_for(twin, email, new).authenticate_user()["AuthenticationResult"]
    with pytest.raises(cognito.exceptions.NotAuthorizedException):
        srp_for(twin, email, old, cognito).authenticate_user()
    with pytest.raises(cognito.exceptions.ExpiredCodeException):
        cognito.confirm_forgot_password(
            ClientId=twin.client_id, Username=email, ConfirmationCode=code, Password=old
        )


def test_forgot_password_for_an_unknown_user_looks_the_same_and_sends_nothing(twin: Twin) -> None:
    cognito = twin.cognito()
    log_before = twin.log()

    delivery = cognito.forgot_password(ClientId=twin.client_id, Username="absent@example.com")

    assert delivery["CodeDeliveryDetails"] == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert twin.log().count("password reset code") == log_before.count("password reset code")
    with pytest.raises(cognito.exceptions.CodeMismatchException):
        cognito.confirm_forgot_password(
            ClientId=twin.client_id,
            Username="absent@example.com",
            ConfirmationCode="123456",
            Password=new_password(),
        )


def test_admin_initiate_auth_signs_in_with_a_password_or_srp(twin: Twin) -> None:
    email, password = new_email("admin-auth"), new_password()
    confirmed_user(twin, email, password)
    cognito = twin.cognito()

    by_password = cognito.admin_initiate_auth(
        UserPoolId=twin.user_pool_id,
        ClientId=twin.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    srp = srp_for(twin, email, password, cognito)
    challenge = cognito.admin_initiate_auth(
        UserPoolId=twin.user_pool_id,
        ClientId=twin.client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters=srp.get_auth_params(),
    )
    by_srp = cognito.admin_respond_to_auth_challenge(
        UserPoolId=twin.user_pool_id,
        ClientId=twin.client_id,
        ChallengeName="PASSWORD_VERIFIER",
        ChallengeResponses=srp.process_challenge(
            challenge["ChallengeParameters"], srp.get_auth_params()
        ),
    )

    assert "IdToken" in by_password["AuthenticationResult"]
    assert "IdToken" in by_srp["AuthenticationResult"]


def test_orders_api_login_uses_srp_unless_told_otherwise(twin: Twin) -> None:
    email, password = new_email("cli-srp"), new_password()
    confirmed_user(twin, email, password)
    identity = IdentityClient(StackOutputs.load(twin.outputs_path))
    flows: list[str] = []
    identity._cognito.meta.events.register(
        "provide-client-params.cognito-idp.InitiateAuth",
        lambda params, **_: flows.append(params["AuthFlow"]),
    )

    by_srp = identity.sign_in(email, password)
    by_password = identity.sign_in(email, password, srp=False)

    assert flows == ["USER_SRP_AUTH", "USER_PASSWORD_AUTH"]
    assert by_srp.username == by_password.username == email


# CORS: a web app on a localhost dev server calls the identity provider and the API.


def test_the_identity_provider_answers_the_cognito_sdks_preflight(twin: Twin) -> None:
    preflight = httpx.options(
        twin.idp_endpoint + "/",
        headers={
            "Origin": DEV_ORIGIN,
            "Access-Control-Request-Method": "POST",
            # What amazon-cognito-identity-js 6 and the AWS SDKs (JavaScript v3, Python) send,
            # signed calls' SigV4 headers included, as Chromium lists them.
            "Access-Control-Request-Headers": ",".join(SDK_HEADERS),
        },
    )
    call = httpx.post(
        twin.idp_endpoint + "/",
        headers={
            "Origin": DEV_ORIGIN,
            "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
            "Content-Type": "application/x-amz-json-1.1",
        },
        content=b"{}",
    )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == DEV_ORIGIN
    assert preflight.headers["access-control-allow-methods"] == "POST"
    allowed = {h.strip() for h in preflight.headers["access-control-allow-headers"].split(",")}
    assert set(SDK_HEADERS) <= {h.lower() for h in allowed}
    assert call.headers["access-control-allow-origin"] == DEV_ORIGIN
    assert "x-amzn-ErrorType" in call.headers["access-control-expose-headers"]


@pytest.mark.parametrize(
    ("origin", "requested_headers"),
    [
        ("https://evil.example", "content-type,x-amz-target"),
        ("http://localhost.evil.example:80", "content-type,x-amz-target"),
        (DEV_ORIGIN, "content-type,x-amz-target,x-not-an-sdk-header"),
    ],
)
def test_the_identity_provider_refuses_other_origins_and_headers_no_sdk_sends(
    twin: Twin, origin: str, requested_headers: str
) -> None:
    preflight = httpx.options(
        twin.idp_endpoint + "/",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": requested_headers,
        },
    )

    assert preflight.status_code == 400
    assert preflight.headers.get("access-control-allow-origin") in (None, DEV_ORIGIN)


def test_the_identity_provider_still_refuses_a_foreign_host(twin: Twin) -> None:
    rebound = httpx.options(
        twin.idp_endpoint + "/",
        headers={
            "Host": "rebind.evil.example",
            "Origin": DEV_ORIGIN,
            "Access-Control-Request-Method": "POST",
        },
    )

    assert rebound.status_code == 400
    assert "access-control-allow-origin" not in rebound.headers


def test_the_api_answers_preflights_on_its_resources(twin: Twin) -> None:
    preflight = httpx.options(
        twin.url("orders/some-id"),
        headers={
            "Origin": "http://127.0.0.1:8080",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    elsewhere = httpx.options(
        twin.url("nothing-here"),
        headers={"Origin": DEV_ORIGIN, "Access-Control-Request-Method": "GET"},
    )

    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://127.0.0.1:8080"
    assert preflight.headers["access-control-allow-methods"] == "GET,OPTIONS,POST"
    assert preflight.headers["access-control-allow-headers"] == (
        "Authorization,Content-Type,Idempotency-Key"
    )
    assert preflight.headers["vary"] == "Origin"
    assert elsewhere.status_code == 403  # no OPTIONS method there: the preflight fails
    assert "access-control-allow-methods" not in elsewhere.headers


def test_api_responses_let_an_allowed_origin_read_them_and_no_other(twin: Twin) -> None:
    email, password = new_email("cors"), new_password()
    confirmed_user(twin, email, password)
    tokens = srp_for(twin, email, password).authenticate_user()["AuthenticationResult"]

    placed = httpx.post(
        twin.url("orders"),
        json=ORDER,
        headers={"Origin": DEV_ORIGIN, "Authorization": tokens["IdToken"]},
        timeout=30,
    )
    refused = httpx.post(twin.url("orders"), json=ORDER, headers={"Origin": DEV_ORIGIN})
    foreign = httpx.post(
        twin.url("orders"),
        json=ORDER,
        headers={"Origin": "https://evil.example", "Authorization": tokens["IdToken"]},
        timeout=30,
    )

    assert placed.status_code == 201
    assert placed.headers["access-control-allow-origin"] == DEV_ORIGIN
    assert placed.headers["access-control-expose-headers"] == "Location,Retry-After"
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == DEV_ORIGIN
    assert foreign.status_code == 201
    assert "access-control-allow-origin" not in foreign.headers
