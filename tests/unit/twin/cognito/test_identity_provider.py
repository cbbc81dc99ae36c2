"""The identity provider's rules in process: policy, lockouts, expiries, protocol, storage."""

from __future__ import annotations

import json
import re
import stat
import threading
from pathlib import Path
from typing import Any

import jwt
import pytest
from argon2 import PasswordHasher

from orders_api.deployment.settings import DEFAULT_SETTINGS, PasswordPolicy
from orders_api.twin.cognito import IdentityProvider
from orders_api.twin.cognito.actions import dispatch
from orders_api.twin.cognito.errors import (
    CodeMismatch,
    ExpiredCode,
    InvalidParameter,
    InvalidPassword,
    LimitExceeded,
    NotAuthorized,
    TooManyRequests,
)
from orders_api.twin.cognito.passwords import PasswordHashes, check_policy, generate_password
from orders_api.twin.cognito.provider import IDP_DIRECTORY, KEY_FILE, STORE_FILE, new_client_id
from orders_api.twin.cognito.userpool import UserPool
from tests.fake_issuer import Clock

PASSWORD = "Correct-Horse-9-Battery"
TARGET = "AWSCognitoIdentityProviderService."


@pytest.fixture
def clock() -> Clock:
    return Clock()


def last_code(logs: list[str]) -> str:
    return logs[-1].rsplit(" ", 1)[1]


def confirmed(pool: UserPool, logs: list[str], username: str = "ada@example.com") -> None:
    pool.sign_up(username, PASSWORD, {})
    pool.confirm_sign_up(username, last_code(logs))


def call(pool: UserPool, action: str, payload: object, *, signed: bool = False) -> Any:
    return dispatch(pool, TARGET + action, json.dumps(payload).encode(), signed=signed)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Aa1!aaaaaaa", "Password not long enough"),
        ("AAAA1111!!!!", "Password must have lowercase characters"),
        ("aaaa1111!!!!", "Password must have uppercase characters"),
        ("AAAAaaaa!!!!", "Password must have numeric characters"),
        ("AAAAaaaa1111", "Password must have symbol characters"),
    ],
)
def test_the_password_policy_names_the_first_rule_broken(password: str, message: str) -> None:
    with pytest.raises(InvalidPassword) as raised:
        check_policy(password, DEFAULT_SETTINGS.auth.password_policy)

    assert raised.value.message == f"Password did not conform with policy: {message}"


def test_a_relaxed_policy_accepts_what_the_default_refuses() -> None:
    check_policy("simple", PasswordPolicy(6, False, False, False, False))


def test_generated_passwords_meet_the_policy() -> None:
    for _ in range(20):
        check_policy(generate_password(DEFAULT_SETTINGS.auth.password_policy), PasswordPolicy())


def test_the_username_must_be_an_email(pool: UserPool) -> None:
    with pytest.raises(InvalidParameter, match=r"Username should be an email\."):
        pool.sign_up("ada", PASSWORD, {})


def test_attributes_outside_the_schema_are_refused(pool: UserPool) -> None:
    with pytest.raises(InvalidParameter, match="Attributes did not conform to the schema"):
        pool.sign_up("ada@example.com", PASSWORD, {"role": "admin"})


def test_the_code_log_line_masks_the_address(pool: UserPool, logs: list[str]) -> None:
    pool.sign_up("ada.lovelace@example.com", PASSWORD, {})

    assert re.fullmatch(r"identity: sign-up confirmation code for a\*\*\*@e\*\*\*: \d{6}", logs[-1])


def test_a_confirmation_code_expires_after_24_hours(
    pool: UserPool, logs: list[str], clock: Clock
) -> None:
    pool.sign_up("late@example.com", PASSWORD, {})
    clock.now += 24 * 3600

    with pytest.raises(ExpiredCode):
        pool.confirm_sign_up("late@example.com", last_code(logs))


def test_five_wrong_codes_burn_the_code(pool: UserPool, logs: list[str]) -> None:
    pool.sign_up("guesser@example.com", PASSWORD, {})
    code = last_code(logs)
    wrong = [f"{n:06d}" for n in range(10) if f"{n:06d}" != code][:5]

    for guess in wrong[:4]:
        with pytest.raises(CodeMismatch):
            pool.confirm_sign_up("guesser@example.com", guess)
    with pytest.raises(LimitExceeded):
        pool.confirm_sign_up("guesser@example.com", wrong[4])
    with pytest.raises(ExpiredCode):
        pool.confirm_sign_up("guesser@example.com", code)


def test_a_confirmed_user_cannot_be_confirmed_again(pool: UserPool, logs: list[str]) -> None:
    confirmed(pool, logs)

    with pytest.raises(NotAuthorized, match="Current status is CONFIRMED"):
        pool.confirm_sign_up("ada@example.com", "123456")


def test_repeated_wrong_passwords_lock_sign_in_for_a_while(
    pool: UserPool, logs: list[str], clock: Clock
) -> None:
    confirmed(pool, logs)
    for _ in range(5):
        with pytest.raises(NotAuthorized, match=r"Incorrect username or password\."):
            pool.authenticate("ada@example.com", "Wrong-Password-1")

    with pytest.raises(NotAuthorized, match="Password attempts exceeded"):
        pool.authenticate("ada@example.com", PASSWORD)
    clock.now += 2
    assert pool.authenticate("ada@example.com", PASSWORD).attributes["email"] == "ada@example.com"


def test_an_expired_temporary_password_must_be_reset_by_an_administrator(
    pool: UserPool, clock: Clock
) -> None:
    pool.admin_create_user("temp@example.com", {}, "Temporary-Pass-1", send_invitation=False)
    clock.now += 7 * 86400

    with pytest.raises(NotAuthorized, match="Temporary password has expired"):
        pool.authenticate("temp@example.com", "Temporary-Pass-1")


def test_a_generated_temporary_password_is_the_one_logged(pool: UserPool, logs: list[str]) -> None:
    pool.admin_create_user("invited@example.com", {}, None, send_invitation=True)
    temporary = logs[-1].rsplit(" ", 1)[1]

    assert pool.authenticate("invited@example.com", temporary).status == "FORCE_CHANGE_PASSWORD"


def test_an_expired_access_token_is_refused_by_get_user(
    pool: UserPool, logs: list[str], clock: Clock
) -> None:
    confirmed(pool, logs)
    access = pool.start_session(pool.authenticate("ada@example.com", PASSWORD)).tokens.access_token
    clock.now += 3600

    status, body = call(pool, "GetUser", {"AccessToken": access})

    assert (status, body) == (
        400,
        {"__type": "NotAuthorizedException", "message": "Access Token has expired"},
    )


def test_an_expired_refresh_token_is_refused(pool: UserPool, logs: list[str], clock: Clock) -> None:
    confirmed(pool, logs)
    refresh = pool.start_session(pool.authenticate("ada@example.com", PASSWORD)).refresh_token
    clock.now += 30 * 86400

    with pytest.raises(NotAuthorized, match="Refresh Token has expired"):
        pool.refresh(refresh)


def test_refresh_keeps_the_sessions_auth_time_and_origin(
    pool: UserPool, logs: list[str], clock: Clock
) -> None:
    confirmed(pool, logs)
    sign_in = pool.start_session(pool.authenticate("ada@example.com", PASSWORD))
    clock.now += 600

    refreshed = pool.refresh(sign_in.refresh_token)

    first = pool.tokens.verify_access_token(sign_in.tokens.access_token)
    second = pool.tokens.verify_access_token(refreshed.access_token)
    assert second["auth_time"] == first["auth_time"]
    assert second["origin_jti"] == first["origin_jti"]
    assert second["iat"] == first["iat"] + 600


def test_tokens_carry_cognitos_claims(pool: UserPool, logs: list[str]) -> None:
    confirmed(pool, logs)
    tokens = pool.start_session(pool.authenticate("ada@example.com", PASSWORD)).tokens

    id_claims = jwt.decode(tokens.id_token, options={"verify_signature": False})
    access_claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    header = jwt.get_unverified_header(tokens.id_token)

    assert header == {"alg": "RS256", "kid": pool.signing_key.kid}
    assert id_claims.keys() >= {
        "sub", "aud", "token_use", "cognito:username", "email", "email_verified", "iss",
        "iat", "exp", "auth_time", "jti", "origin_jti",
    }  # fmt: skip
    assert (id_claims["token_use"], id_claims["aud"]) == ("id", pool.client_id)
    assert id_claims["email_verified"] is True
    assert id_claims["exp"] - id_claims["iat"] == 3600
    assert access_claims.keys() >= {
        "sub", "client_id", "token_use", "scope", "username", "iss", "iat", "exp",
        "auth_time", "jti",
    }  # fmt: skip
    assert access_claims["scope"] == "aws.cognito.signin.user.admin"
    assert "aud" not in access_claims


@pytest.mark.parametrize(
    ("target", "body", "code"),
    [
        (None, b"{}", "UnknownOperationException"),
        ("DynamoDB_20120810.PutItem", b"{}", "UnknownOperationException"),
        (TARGET + "ListUsers", b"{}", "UnsupportedOperationException"),
        (TARGET + "SignUp", b"not json", "SerializationException"),
        (TARGET + "SignUp", b"[1, 2]", "SerializationException"),
        (TARGET + "SignUp", b'{"Username": "a@b.co"}', "InvalidParameterException"),
        (TARGET + "SignUp", b"[" * 5000 + b"]" * 5000, "SerializationException"),
        (TARGET + "InitiateAuth", b'{"a":' * 3000 + b"1" + b"}" * 3000, "SerializationException"),
    ],
)
def test_malformed_requests_get_cognitos_error_codes(
    pool: UserPool, target: str | None, body: bytes, code: str
) -> None:
    status, payload = dispatch(pool, target, body, signed=False)

    assert status == 400
    assert payload["__type"] == code


def test_a_missing_member_is_named_as_cognito_names_it(pool: UserPool) -> None:
    _, payload = call(pool, "SignUp", {"Username": "a@b.co", "Password": PASSWORD})

    assert payload["message"] == (
        "1 validation error detected: Value null at 'clientId' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_an_unexpected_failure_is_a_500_without_details(
    pool: UserPool, logs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(pool.store, "user", broken)

    status, payload = call(
        pool,
        "InitiateAuth",
        {
            "ClientId": pool.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "a@b.co", "PASSWORD": PASSWORD},
        },
    )

    assert (status, payload["__type"]) == (500, "InternalErrorException")
    assert "secret internals" not in json.dumps(payload) + "".join(logs)


def test_admin_actions_need_a_signed_request(pool: UserPool) -> None:
    payload = {"UserPoolId": pool.user_pool_id, "Username": "x@example.com"}

    unsigned = call(pool, "AdminConfirmSignUp", payload)
    signed = call(pool, "AdminConfirmSignUp", payload, signed=True)

    assert unsigned[1]["__type"] == "MissingAuthenticationTokenException"
    assert signed[1]["__type"] == "UserNotFoundException"


def test_secrets_at_rest_are_private_and_refresh_tokens_stored_hashed(
    provider: IdentityProvider, tmp_path: Path, logs: list[str]
) -> None:
    confirmed(provider.pool, logs)
    sign_in = provider.pool.start_session(provider.pool.authenticate("ada@example.com", PASSWORD))
    directory = tmp_path / IDP_DIRECTORY

    stored = b"".join(path.read_bytes() for path in directory.iterdir())

    assert stat.S_IMODE((directory / KEY_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((directory / STORE_FILE).stat().st_mode) == 0o600
    assert sign_in.refresh_token.encode() not in stored
    assert PASSWORD.encode() not in stored


def test_a_loosened_key_file_mode_is_tightened_on_open(tmp_path: Path) -> None:
    IdentityProvider.open(tmp_path, region="us-east-1", host="127.0.0.1", port=1).close()
    key_file = tmp_path / IDP_DIRECTORY / KEY_FILE
    key_file.chmod(0o644)

    IdentityProvider.open(tmp_path, region="us-east-1", host="127.0.0.1", port=1).close()

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_the_issuer_follows_host_and_port_while_ids_persist(tmp_path: Path) -> None:
    first = IdentityProvider.open(tmp_path, region="us-east-1", host="127.0.0.1", port=9229)
    first.close()
    second = IdentityProvider.open(tmp_path, region="us-east-1", host="0.0.0.0", port=9330)
    second.close()

    assert (second.user_pool_id, second.client_id) == (first.user_pool_id, first.client_id)
    assert second.issuer == f"http://127.0.0.1:9330/{first.user_pool_id}"
    assert second.endpoint == "http://127.0.0.1:9330"


def test_client_ids_are_26_lowercase_alphanumerics() -> None:
    assert all(re.fullmatch(r"[a-z0-9]{26}", new_client_id()) for _ in range(50))


def test_a_lone_surrogate_in_a_request_is_a_serialization_error_not_a_crash() -> None:
    from orders_api.twin.cognito.errors import SerializationError
    from orders_api.twin.cognito.protocol import parse_body

    body = b'{"AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{"PASSWORD":"ab\\ud800cd"}}'
    with pytest.raises(SerializationError):
        parse_body(body)
    assert (
        parse_body('{"USERNAME":"zo\u00eb \U0001f600"}'.encode())["USERNAME"]
        == "zo\u00eb \U0001f600"
    )


class _HeldWrongGuess(PasswordHashes):
    """Cheap hashes whose check of one wrong guess waits until the test lets it finish."""

    def __init__(self, wrong_guess: str) -> None:
        super().__init__(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        self._wrong_guess = wrong_guess
        self.checking = threading.Event()
        self.finish = threading.Event()

    def verify(self, stored_hash: str | None, password: str) -> bool:
        if password == self._wrong_guess:
            self.checking.set()
            self.finish.wait(timeout=30)
        return super().verify(stored_hash, password)


def test_a_wrong_password_being_checked_does_not_undo_a_password_set_meanwhile(
    pool: UserPool, logs: list[str]
) -> None:
    confirmed(pool, logs)
    wrong_guess, new_password = "Wrong-Password-1", "Brand-New-Password-7"
    pool.hashes = hashes = _HeldWrongGuess(wrong_guess)
    refusals: list[Exception] = []

    def guess() -> None:
        try:
            pool.authenticate("ada@example.com", wrong_guess)
        except NotAuthorized as refusal:
            refusals.append(refusal)

    guesser = threading.Thread(target=guess)
    guesser.start()
    assert hashes.checking.wait(timeout=30)
    resetter = threading.Thread(
        target=pool.admin_set_user_password,
        args=("ada@example.com", new_password),
        kwargs={"permanent": True},
    )
    resetter.start()
    resetter.join(timeout=1)  # time enough to finish first, were it not kept waiting
    hashes.finish.set()
    guesser.join(timeout=30)
    resetter.join(timeout=30)

    assert len(refusals) == 1
    signed_in = pool.authenticate("ada@example.com", new_password)
    assert signed_in.attributes["email"] == "ada@example.com"
    with pytest.raises(NotAuthorized):
        pool.authenticate("ada@example.com", PASSWORD)


def test_forgot_password_masks_the_username_as_asked_so_case_does_not_reveal_the_user(
    pool: UserPool, logs: list[str]
) -> None:
    confirmed(pool, logs, "Ada@example.com")

    assert pool.forgot_password("ada@example.com") == "a***@e***"
    assert pool.forgot_password("alan@example.com") == "a***@e***"


@pytest.mark.parametrize("flag", ["email_verified", "phone_number_verified"])
def test_a_client_cannot_sign_up_already_verified(pool: UserPool, flag: str) -> None:
    status, payload = call(
        pool,
        "SignUp",
        {
            "ClientId": pool.client_id,
            "Username": "eve@example.com",
            "Password": PASSWORD,
            "UserAttributes": [{"Name": flag, "Value": "true"}],
        },
    )
    assert (status, payload["__type"]) == (400, "NotAuthorizedException")
    assert payload["message"] == "A client attempted to write unauthorized attribute"
    assert pool.store.user("eve@example.com") is None


@pytest.mark.parametrize(
    ("password", "constraint"),
    [
        ("A" * 250 + "a1!xyzw", "length less than or equal to 256"),
        (" " + PASSWORD, "regular expression pattern"),
        (PASSWORD + " ", "regular expression pattern"),
        (PASSWORD + "\n", "regular expression pattern"),
    ],
)
def test_passwords_cognito_cannot_hold_are_refused_as_it_refuses_them(
    pool: UserPool, password: str, constraint: str
) -> None:
    status, payload = call(
        pool,
        "SignUp",
        {"ClientId": pool.client_id, "Username": "eve@example.com", "Password": password},
    )
    assert (status, payload["__type"]) == (400, "InvalidParameterException")
    assert constraint in payload["message"]


def test_a_space_inside_a_password_is_a_symbol(pool: UserPool) -> None:
    status, _ = call(
        pool,
        "SignUp",
        {"ClientId": pool.client_id, "Username": "eve@example.com", "Password": "Correct horse 9"},
    )
    assert status == 200


def test_usernames_that_only_full_case_folding_makes_equal_are_two_users(
    pool: UserPool, logs: list[str]
) -> None:
    pool.sign_up("strasse@example.com", PASSWORD, {})
    pool.sign_up("STRAßE@example.com", PASSWORD, {})  # ß folds to ss, but does not lower to it
    assert pool.admin_user("straße@example.com").attributes["email"] == "STRAßE@example.com"
    assert pool.admin_user("Strasse@Example.com").attributes["email"] == "strasse@example.com"


def test_password_hashing_turns_a_flood_away_instead_of_queueing_it() -> None:
    entered, release = threading.Event(), threading.Event()

    class SlowHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            entered.set()
            release.wait(10)
            return False

    hashes = PasswordHashes(
        SlowHasher(time_cost=1, memory_cost=8, parallelism=1), concurrent=1, waiting=0
    )
    holder = threading.Thread(target=hashes.verify, args=("$argon2id$x", "pw"))
    holder.start()
    try:
        assert entered.wait(10)
        with pytest.raises(TooManyRequests):
            hashes.verify("$argon2id$x", "pw")
    finally:
        release.set()
        holder.join(10)
    assert hashes.verify(None, "pw") is False, "the slot is free again"


def test_revoke_token_ends_the_sign_in_it_names_and_no_other(
    pool: UserPool, logs: list[str]
) -> None:
    # Amplify's signOut calls RevokeToken with the refresh token; the session must end.
    confirmed(pool, logs)
    first = pool.start_session(pool.authenticate("ada@example.com", PASSWORD))
    other = pool.start_session(pool.authenticate("ada@example.com", PASSWORD))

    status, payload = call(
        pool, "RevokeToken", {"ClientId": pool.client_id, "Token": first.refresh_token}
    )

    assert (status, payload) == (200, {})
    with pytest.raises(NotAuthorized, match="revoked"):
        pool.refresh(first.refresh_token)
    with pytest.raises(NotAuthorized, match="revoked"):
        pool.user_of_access_token(first.tokens.access_token)
    assert pool.refresh(other.refresh_token).id_token, "another sign-in goes on"


def test_revoking_an_unknown_token_is_answered_as_a_success(pool: UserPool) -> None:
    # RFC 7009 (2.2): an invalid token is no error for the revocation endpoint.
    status, payload = call(pool, "RevokeToken", {"ClientId": pool.client_id, "Token": "nope"})
    assert (status, payload) == (200, {})
    status, payload = call(pool, "RevokeToken", {"ClientId": "other", "Token": "nope"})
    assert status == 400


def test_an_administrator_reads_then_deletes_a_user_whose_sign_ins_end_with_it(
    pool: UserPool, logs: list[str]
) -> None:
    confirmed(pool, logs)
    signed_in = call(
        pool,
        "InitiateAuth",
        {
            "ClientId": pool.client_id,
            "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "ada@example.com", "PASSWORD": PASSWORD},
        },
    )[1]["AuthenticationResult"]
    target = {"UserPoolId": pool.user_pool_id, "Username": "ada@example.com"}

    status, found = call(pool, "AdminGetUser", target, signed=True)
    assert status == 200
    assert found["UserStatus"] == "CONFIRMED"
    assert {"Name": "email", "Value": "ada@example.com"} in found["UserAttributes"]

    assert call(pool, "AdminDeleteUser", target, signed=True) == (200, {})
    assert call(pool, "AdminGetUser", target, signed=True)[1]["__type"] == "UserNotFoundException"
    refused = call(
        pool,
        "InitiateAuth",
        {
            "ClientId": pool.client_id,
            "AuthFlow": "REFRESH_TOKEN_AUTH",
            "AuthParameters": {"REFRESH_TOKEN": signed_in["RefreshToken"]},
        },
    )[1]
    assert refused["__type"] == "NotAuthorizedException"
    assert call(pool, "GetUser", {"AccessToken": signed_in["AccessToken"]})[1]["__type"] in (
        "NotAuthorizedException",
        "UserNotFoundException",
    )
    assert call(pool, "AdminDeleteUser", target, signed=True)[1]["__type"] == (
        "UserNotFoundException"
    )
