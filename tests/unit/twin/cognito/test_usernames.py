"""Users sign in by e-mail, and each has a generated username, as in a Cognito pool whose
UsernameAttributes is email: the UUID that is also their `sub` is `cognito:username` and
`username` in tokens, `Username` in admin answers, and USER_ID_FOR_SRP; USERNAME and Username
parameters take either the e-mail or that username (AdminCreateUser, API reference: "If your
user pool only supports phone numbers or email addresses as sign-in attributes, Amazon Cognito
automatically generates a username value")."""

from __future__ import annotations

import base64
import json
import sqlite3
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from orders_api.twin.cognito import IdentityProvider
from orders_api.twin.cognito.errors import NotAuthorized, UsernameExists
from orders_api.twin.cognito.provider import IDP_DIRECTORY, STORE_FILE
from orders_api.twin.cognito.records import User
from orders_api.twin.cognito.userpool import UserPool
from tests.fake_issuer import Clock
from tests.unit.twin.cognito.test_challenges import (
    PASSWORD,
    CognitoFailure,
    InProcessCognito,
    confirmed,
    srp_sign_in,
)


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())  # SRP timestamps come from the real clock


@pytest.fixture
def cognito(pool: UserPool) -> InProcessCognito:
    return InProcessCognito(pool)


def is_uuid(text: str) -> bool:
    return str(uuid.UUID(text)) == text


def test_a_created_user_is_named_by_a_generated_uuid_equal_to_the_sub(
    cognito: InProcessCognito,
) -> None:
    created = cognito.call(
        "AdminCreateUser",
        UserPoolId=cognito.pool.user_pool_id,
        Username="ada@example.com",
        MessageAction="SUPPRESS",
    )["User"]

    attributes = {a["Name"]: a["Value"] for a in created["Attributes"]}
    assert is_uuid(created["Username"])
    assert created["Username"] == attributes["sub"]
    assert attributes["email"] == "ada@example.com"


def test_a_signed_up_users_sub_is_their_username(cognito: InProcessCognito) -> None:
    signed_up = cognito.call(
        "SignUp", ClientId=cognito.pool.client_id, Username="ada@example.com", Password=PASSWORD
    )

    assert cognito.pool.admin_user("ada@example.com").username == signed_up["UserSub"]


@pytest.mark.parametrize("name", ["by e-mail", "by username"])
def test_admin_get_user_finds_a_user_by_email_or_by_username(
    cognito: InProcessCognito, name: str
) -> None:
    confirmed(cognito.pool)
    username = cognito.pool.admin_user("ada@example.com").username
    asked = "ADA@example.com" if name == "by e-mail" else username

    found = cognito.call("AdminGetUser", UserPoolId=cognito.pool.user_pool_id, Username=asked)

    assert found["Username"] == username


def test_tokens_carry_the_generated_username_and_the_email_as_an_attribute(
    cognito: InProcessCognito,
) -> None:
    confirmed(cognito.pool)
    user = cognito.pool.admin_user("ada@example.com")

    tokens = cognito.initiate_auth(
        ClientId=cognito.pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]

    id_claims = json.loads(_payload(tokens["IdToken"]))
    access_claims = json.loads(_payload(tokens["AccessToken"]))
    assert id_claims["cognito:username"] == user.username == id_claims["sub"]
    assert id_claims["email"] == "ada@example.com"
    assert access_claims["username"] == user.username


def test_srp_challenges_name_the_generated_username_and_sign_in_by_either_name(
    cognito: InProcessCognito,
) -> None:
    confirmed(cognito.pool)
    username = cognito.pool.admin_user("ada@example.com").username

    by_email = srp_sign_in(cognito.pool, "ada@example.com", PASSWORD)
    by_username = srp_sign_in(cognito.pool, username, PASSWORD)
    challenge = cognito.initiate_auth(
        ClientId=cognito.pool.client_id,
        AuthFlow="USER_SRP_AUTH",
        AuthParameters={"USERNAME": "ada@example.com", "SRP_A": "1f"},
    )["ChallengeParameters"]

    assert challenge["USER_ID_FOR_SRP"] == challenge["USERNAME"] == username
    assert "IdToken" in by_email["AuthenticationResult"]
    assert "IdToken" in by_username["AuthenticationResult"]


def test_an_unknown_email_gets_a_stable_made_up_username_in_its_challenge(
    cognito: InProcessCognito,
) -> None:
    def user_id(name: str) -> str:
        return str(
            cognito.initiate_auth(
                ClientId=cognito.pool.client_id,
                AuthFlow="USER_SRP_AUTH",
                AuthParameters={"USERNAME": name, "SRP_A": "1f"},
            )["ChallengeParameters"]["USER_ID_FOR_SRP"]
        )

    first, again = user_id("nobody@example.com"), user_id("Nobody@Example.com")

    assert first == again
    assert is_uuid(first)
    assert user_id("someone-else@example.com") != first


def test_an_email_belongs_to_one_user_whatever_its_case(pool: UserPool) -> None:
    pool.sign_up("ada@example.com", PASSWORD, {})

    with pytest.raises(UsernameExists):
        pool.sign_up("Ada@Example.com", PASSWORD, {})
    with pytest.raises(UsernameExists):
        pool.admin_create_user("ADA@example.com", {}, None, send_invitation=False)


def test_a_user_stored_before_usernames_were_generated_still_signs_in_by_email(
    provider: IdentityProvider, tmp_path: Path
) -> None:
    pool = provider.pool
    confirmed(pool, "new@example.com")
    template = pool.admin_user("new@example.com")
    legacy = User.from_record({**template.to_record(), "username": "old@example.com"})
    legacy.sub = str(uuid.uuid4())
    legacy.attributes = {**template.attributes, "email": "old@example.com"}
    pool._set_password(legacy, PASSWORD)  # its verifier, over the e-mail, as it was computed
    _insert_as_before(tmp_path, legacy)

    by_password = pool.authenticate("Old@Example.com", PASSWORD)
    by_srp = srp_sign_in(pool, "old@example.com", PASSWORD)["AuthenticationResult"]

    assert by_password.username == "old@example.com"
    assert pool.tokens.verify_access_token(by_srp["AccessToken"])["username"] == "old@example.com"
    with pytest.raises(UsernameExists):
        pool.sign_up("old@example.com", PASSWORD, {})


def test_a_wrong_password_by_username_counts_like_one_by_email(pool: UserPool) -> None:
    confirmed(pool)
    username = pool.admin_user("ada@example.com").username
    for name in ["ada@example.com", username] * 2 + [username]:
        with pytest.raises(NotAuthorized):
            pool.authenticate(name, "Wrong-Password-1")

    with pytest.raises(NotAuthorized, match="Password attempts exceeded"):
        pool.authenticate("ada@example.com", PASSWORD)


def test_a_new_password_challenge_is_answered_with_the_generated_username(
    cognito: InProcessCognito,
) -> None:
    pool = cognito.pool
    pool.admin_create_user("ada@example.com", {}, "Temporary-Pass-1", send_invitation=False)
    challenge = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": "Temporary-Pass-1"},
    )

    answered = cognito.respond_to_auth_challenge(
        ClientId=pool.client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": challenge["ChallengeParameters"]["USER_ID_FOR_SRP"],
            "NEW_PASSWORD": PASSWORD,
        },
    )

    assert "IdToken" in answered["AuthenticationResult"]


def test_deleting_a_user_frees_their_email_for_a_new_account(cognito: InProcessCognito) -> None:
    confirmed(cognito.pool)
    before = cognito.pool.admin_user("ada@example.com").username
    cognito.call(
        "AdminDeleteUser", UserPoolId=cognito.pool.user_pool_id, Username="ada@example.com"
    )

    cognito.pool.sign_up("ada@example.com", PASSWORD, {})

    assert cognito.pool.admin_user("ada@example.com").username != before
    with pytest.raises(CognitoFailure, match="UserNotFoundException"):
        cognito.call("AdminGetUser", UserPoolId=cognito.pool.user_pool_id, Username=before)


def _payload(token: str) -> str:
    part = token.split(".")[1]
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode()


def _insert_as_before(tmp_path: Path, user: User) -> None:
    """Write a user as the store did before aliases: keyed by e-mail, no alias row."""
    connection = sqlite3.connect(tmp_path / IDP_DIRECTORY / STORE_FILE)
    try:
        record: dict[str, Any] = user.to_record()
        connection.execute(
            "INSERT INTO users (username_key, sub, record) VALUES (?, ?, ?)",
            (user.key, user.sub, json.dumps(record)),
        )
        connection.commit()
    finally:
        connection.close()
