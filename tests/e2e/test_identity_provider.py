"""The local identity provider over real HTTP, driven by boto3's own cognito-idp client."""

from __future__ import annotations

import re
import socket
import stat
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import uvicorn
from botocore.config import Config

from orders_api.twin.apigateway.authorizer import AuthorizerDenied, CognitoAuthorizer
from orders_api.twin.cognito import IdentityProvider
from orders_api.twin.cognito.provider import IDP_DIRECTORY, KEY_FILE

PASSWORD = "Correct-Horse-9-Battery"
STARTUP_SECONDS = 15.0


class RunningIdp:
    def __init__(self, idp: IdentityProvider, logs: list[str]) -> None:
        self.idp = idp
        self.logs = logs
        self.client: Any = boto3.client(
            "cognito-idp",
            endpoint_url=idp.endpoint,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}),
        )

    def last_code(self) -> str:
        match = re.search(r"confirmation code for \S+: (\d{6})$", self.logs[-1])
        assert match, self.logs[-1]
        return match.group(1)

    def sign_up(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        response: dict[str, Any] = self.client.sign_up(
            ClientId=self.idp.client_id, Username=username, Password=password
        )
        return response

    def confirmed_user(self, username: str) -> None:
        self.sign_up(username)
        self.client.confirm_sign_up(
            ClientId=self.idp.client_id, Username=username, ConfirmationCode=self.last_code()
        )

    def sign_in(self, username: str, password: str = PASSWORD) -> dict[str, Any]:
        response: dict[str, Any] = self.client.initiate_auth(
            ClientId=self.idp.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": username, "PASSWORD": password},
        )
        return response


@contextmanager
def running_idp(data_dir: Path) -> Iterator[RunningIdp]:
    """The IdP served by uvicorn on a free loopback port, stopped on exit."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    logs: list[str] = []
    idp = IdentityProvider.open(
        data_dir, region="eu-west-1", host="127.0.0.1", port=port, log=logs.append
    )
    server = uvicorn.Server(
        uvicorn.Config(idp.asgi_app(), log_level="warning", lifespan="off", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:
        assert thread.is_alive(), "the identity provider did not start"
        assert time.monotonic() < deadline, "the identity provider did not start in time"
        time.sleep(0.02)
    try:
        yield RunningIdp(idp, logs)
    finally:
        server.should_exit = True
        thread.join(STARTUP_SECONDS)
        sock.close()
        idp.close()


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningIdp]:
    with running_idp(tmp_path_factory.mktemp("idp")) as idp:
        yield idp


def error_of(excinfo: pytest.ExceptionInfo[Any]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_ids_are_shaped_like_cognitos(running: RunningIdp) -> None:
    idp = running.idp

    assert re.fullmatch(r"eu-west-1_[A-Za-z0-9]{9}", idp.user_pool_id)
    assert re.fullmatch(r"[a-z0-9]{26}", idp.client_id)
    assert idp.issuer == f"{idp.endpoint}/{idp.user_pool_id}"
    assert idp.endpoint.startswith("http://127.0.0.1:")


def test_a_user_signs_up_confirms_with_the_logged_code_and_signs_in(running: RunningIdp) -> None:
    signed_up = running.sign_up("ada@example.com")
    assert signed_up["UserConfirmed"] is False
    assert signed_up["CodeDeliveryDetails"] == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert "ada@example.com" not in running.logs[-1]

    running.client.confirm_sign_up(
        ClientId=running.idp.client_id,
        Username="ada@example.com",
        ConfirmationCode=running.last_code(),
    )
    result = running.sign_in("ada@example.com")["AuthenticationResult"]

    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    assert {"IdToken", "AccessToken", "RefreshToken"} <= result.keys()


def test_signing_up_a_taken_username_raises_username_exists(running: RunningIdp) -> None:
    running.sign_up("taken@example.com")

    with pytest.raises(running.client.exceptions.UsernameExistsException) as raised:
        running.sign_up("Taken@Example.com")

    assert error_of(raised) == ("UsernameExistsException", "User already exists")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Sh0rt!", "Password not long enough"),
        ("ALLUPPERCASE-123", "Password must have lowercase characters"),
        ("NoSymbolsHere123", "Password must have symbol characters"),
    ],
)
def test_a_password_breaking_the_policy_raises_invalid_password(
    running: RunningIdp, password: str, reason: str
) -> None:
    with pytest.raises(running.client.exceptions.InvalidPasswordException) as raised:
        running.sign_up(f"weak-{len(password)}@example.com", password)

    assert error_of(raised)[1] == f"Password did not conform with policy: {reason}"


def test_a_wrong_confirmation_code_raises_code_mismatch(running: RunningIdp) -> None:
    running.sign_up("mistyped@example.com")
    wrong = "000000" if running.last_code() != "000000" else "111111"

    with pytest.raises(running.client.exceptions.CodeMismatchException) as raised:
        running.client.confirm_sign_up(
            ClientId=running.idp.client_id, Username="mistyped@example.com", ConfirmationCode=wrong
        )

    assert error_of(raised)[0] == "CodeMismatchException"


def test_confirming_an_unknown_user_looks_like_a_wrong_code(running: RunningIdp) -> None:
    with pytest.raises(running.client.exceptions.CodeMismatchException):
        running.client.confirm_sign_up(
            ClientId=running.idp.client_id, Username="nobody@example.com", ConfirmationCode="123456"
        )


def test_an_unconfirmed_user_raises_user_not_confirmed(running: RunningIdp) -> None:
    running.sign_up("pending@example.com")

    with pytest.raises(running.client.exceptions.UserNotConfirmedException) as raised:
        running.sign_in("pending@example.com")

    assert error_of(raised) == ("UserNotConfirmedException", "User is not confirmed.")


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(running: RunningIdp) -> None:
    running.confirmed_user("known@example.com")

    with pytest.raises(running.client.exceptions.NotAuthorizedException) as wrong_password:
        running.sign_in("known@example.com", "Wrong-Password-123")
    with pytest.raises(running.client.exceptions.NotAuthorizedException) as unknown_user:
        running.sign_in("unknown@example.com")

    assert error_of(wrong_password) == error_of(unknown_user)
    assert error_of(unknown_user) == ("NotAuthorizedException", "Incorrect username or password.")


def test_an_unknown_app_client_raises_resource_not_found(running: RunningIdp) -> None:
    with pytest.raises(running.client.exceptions.ResourceNotFoundException):
        running.client.initiate_auth(
            ClientId="a" * 26,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": PASSWORD},
        )


def test_an_auth_flow_the_client_does_not_allow_raises_invalid_parameter(
    running: RunningIdp,
) -> None:
    with pytest.raises(running.client.exceptions.InvalidParameterException):
        running.client.initiate_auth(
            ClientId=running.idp.client_id,
            AuthFlow="CUSTOM_AUTH",
            AuthParameters={"USERNAME": "ada@example.com"},
        )


def test_an_admin_created_user_must_change_the_temporary_password_first(
    running: RunningIdp,
) -> None:
    idp = running.idp
    created = running.client.admin_create_user(
        UserPoolId=idp.user_pool_id,
        Username="grace@example.com",
        TemporaryPassword="Temporary-Pass-1",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
    )["User"]
    assert created["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert created["Enabled"] is True
    attributes = {a["Name"]: a["Value"] for a in created["Attributes"]}
    assert attributes["email"] == "grace@example.com"
    assert re.fullmatch(r"[0-9a-f-]{36}", attributes["sub"])

    challenge = running.sign_in("grace@example.com", "Temporary-Pass-1")
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert challenge["Session"]

    running.client.admin_set_user_password(
        UserPoolId=idp.user_pool_id, Username="grace@example.com", Password=PASSWORD, Permanent=True
    )
    assert "IdToken" in running.sign_in("grace@example.com")["AuthenticationResult"]


def test_creating_an_existing_user_raises_username_exists(running: RunningIdp) -> None:
    running.confirmed_user("twice@example.com")

    with pytest.raises(running.client.exceptions.UsernameExistsException):
        running.client.admin_create_user(
            UserPoolId=running.idp.user_pool_id,
            Username="twice@example.com",
            MessageAction="SUPPRESS",
        )


def test_admin_confirm_sign_up_lets_an_unconfirmed_user_sign_in(running: RunningIdp) -> None:
    running.sign_up("admin-confirmed@example.com")

    running.client.admin_confirm_sign_up(
        UserPoolId=running.idp.user_pool_id, Username="admin-confirmed@example.com"
    )

    assert "AccessToken" in running.sign_in("admin-confirmed@example.com")["AuthenticationResult"]


def test_admin_actions_on_an_unknown_user_raise_user_not_found(running: RunningIdp) -> None:
    with pytest.raises(running.client.exceptions.UserNotFoundException):
        running.client.admin_confirm_sign_up(
            UserPoolId=running.idp.user_pool_id, Username="ghost@example.com"
        )
    with pytest.raises(running.client.exceptions.UserNotFoundException):
        running.client.admin_set_user_password(
            UserPoolId=running.idp.user_pool_id,
            Username="ghost@example.com",
            Password=PASSWORD,
            Permanent=True,
        )


def test_admin_actions_on_another_pool_raise_resource_not_found(running: RunningIdp) -> None:
    with pytest.raises(running.client.exceptions.ResourceNotFoundException) as raised:
        running.client.admin_confirm_sign_up(
            UserPoolId="eu-west-1_Nowhere00", Username="ada@example.com"
        )

    assert error_of(raised)[1] == "User pool eu-west-1_Nowhere00 does not exist."


def test_an_unsigned_admin_request_is_refused(running: RunningIdp) -> None:
    response = httpx.post(
        running.idp.endpoint,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminCreateUser",
            "Content-Type": "application/x-amz-json-1.1",
        },
        content=b'{"UserPoolId":"x","Username":"mallory@example.com"}',
    )

    assert response.status_code == 400
    assert response.json()["__type"] == "MissingAuthenticationTokenException"


def test_an_admin_request_from_a_web_page_is_refused_even_with_a_signature(
    running: RunningIdp,
) -> None:
    # The local pool does not verify signatures: a page on this machine must not reach Admin*.
    response = httpx.post(
        running.idp.endpoint,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.AdminCreateUser",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261205/us-east-1/"
            "cognito-idp/aws4_request, SignedHeaders=host, Signature=00",
            "Origin": "http://localhost:5173",
        },
        content=b'{"UserPoolId":"x","Username":"mallory@example.com"}',
    )

    assert response.status_code == 400
    assert response.json()["__type"] == "MissingAuthenticationTokenException"


def test_get_user_returns_the_users_attributes(running: RunningIdp) -> None:
    running.confirmed_user("attrs@example.com")
    access_token = running.sign_in("attrs@example.com")["AuthenticationResult"]["AccessToken"]

    user = running.client.get_user(AccessToken=access_token)

    attributes = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    assert user["Username"] == attributes["sub"], "the pool signs in by e-mail: a generated name"
    assert attributes["email"] == "attrs@example.com"
    assert attributes["email_verified"] == "true"
    assert user["UserAttributes"][0]["Name"] == "sub"


def test_a_refresh_token_yields_new_tokens_but_no_new_refresh_token(running: RunningIdp) -> None:
    running.confirmed_user("refresh@example.com")
    first = running.sign_in("refresh@example.com")["AuthenticationResult"]

    refreshed = running.client.initiate_auth(
        ClientId=running.idp.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]

    assert "RefreshToken" not in refreshed
    assert refreshed["IdToken"] != first["IdToken"]
    assert running.client.get_user(AccessToken=refreshed["AccessToken"])["Username"]


def test_an_invalid_refresh_token_raises_not_authorized(running: RunningIdp) -> None:
    with pytest.raises(running.client.exceptions.NotAuthorizedException) as raised:
        running.client.initiate_auth(
            ClientId=running.idp.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": "made-up"},
        )

    assert error_of(raised)[1] == "Invalid Refresh Token"


def test_global_sign_out_revokes_the_refresh_and_access_tokens(running: RunningIdp) -> None:
    running.confirmed_user("leaving@example.com")
    result = running.sign_in("leaving@example.com")["AuthenticationResult"]

    running.client.global_sign_out(AccessToken=result["AccessToken"])

    with pytest.raises(running.client.exceptions.NotAuthorizedException) as get_user:
        running.client.get_user(AccessToken=result["AccessToken"])
    with pytest.raises(running.client.exceptions.NotAuthorizedException) as refresh:
        running.client.initiate_auth(
            ClientId=running.idp.client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
        )
    assert error_of(get_user)[1] == "Access Token has been revoked"
    assert error_of(refresh)[1] == "Refresh Token has been revoked"
    fresh = running.sign_in("leaving@example.com")["AuthenticationResult"]
    assert running.client.get_user(AccessToken=fresh["AccessToken"])["Username"]


def test_get_user_with_a_forged_access_token_raises_not_authorized(running: RunningIdp) -> None:
    running.confirmed_user("forged@example.com")
    access = running.sign_in("forged@example.com")["AuthenticationResult"]["AccessToken"]
    header, payload, signature = access.split(".")

    with pytest.raises(running.client.exceptions.NotAuthorizedException) as raised:
        running.client.get_user(AccessToken=f"{header}.{payload}x.{signature}")

    assert error_of(raised)[1] == "Invalid Access Token"


def test_an_issued_id_token_passes_the_authorizer_against_the_live_jwks(
    running: RunningIdp,
) -> None:
    running.confirmed_user("verified@example.com")
    result = running.sign_in("verified@example.com")["AuthenticationResult"]
    authorizer = CognitoAuthorizer(issuer=running.idp.issuer, client_id=running.idp.client_id)

    claims = authorizer.authorize(result["IdToken"])

    assert claims["cognito:username"] == claims["sub"] != "verified@example.com"
    assert claims["token_use"] == "id"
    assert claims["aud"] == running.idp.client_id
    assert claims["email_verified"] == "true"
    assert re.fullmatch(r"\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}", claims["exp"])
    assert set(claims) >= {"sub", "iss", "iat", "auth_time", "jti", "origin_jti", "email"}
    with pytest.raises(AuthorizerDenied, match="an ID token is required"):
        authorizer.authorize(result["AccessToken"])
    scoped = authorizer.authorize(result["AccessToken"], scopes=("aws.cognito.signin.user.admin",))
    assert scoped["username"] == claims["cognito:username"]


def test_the_issuer_publishes_its_discovery_document_and_jwks(running: RunningIdp) -> None:
    idp = running.idp

    discovery = httpx.get(f"{idp.issuer}/.well-known/openid-configuration").json()
    jwks = httpx.get(discovery["jwks_uri"]).json()
    elsewhere = httpx.get(f"{idp.endpoint}/eu-west-1_Nowhere00/.well-known/jwks.json")

    assert discovery["issuer"] == idp.issuer
    assert discovery["jwks_uri"] == f"{idp.issuer}/.well-known/jwks.json"
    assert [(k["kty"], k["alg"], k["use"]) for k in jwks["keys"]] == [("RSA", "RS256", "sig")]
    assert "d" not in jwks["keys"][0]
    assert elsewhere.status_code == 404


def test_keys_ids_and_users_survive_reopening_the_data_dir(tmp_path: Path) -> None:
    with running_idp(tmp_path) as first:
        first.confirmed_user("durable@example.com")
        before = (first.idp.user_pool_id, first.idp.client_id)
        key_before = httpx.get(first.idp.pool.issuer + "/.well-known/jwks.json").json()["keys"][0]

    with running_idp(tmp_path) as second:
        key_after = httpx.get(second.idp.issuer + "/.well-known/jwks.json").json()["keys"][0]
        tokens = second.sign_in("durable@example.com")["AuthenticationResult"]
        after = (second.idp.user_pool_id, second.idp.client_id)
        claims = CognitoAuthorizer(
            issuer=second.idp.issuer, client_id=second.idp.client_id
        ).authorize(tokens["IdToken"])

    key_file = tmp_path / IDP_DIRECTORY / KEY_FILE
    assert after == before
    assert key_after == key_before
    assert claims["cognito:username"] == claims["sub"]
    assert claims["email"] == "durable@example.com"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
