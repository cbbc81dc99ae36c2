"""SRP sign-in, auth challenges and password resets in process: pycognito's unmodified AWSSRP
talks to the pool's action dispatcher through a stand-in for the boto3 client."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from pycognito.aws_srp import AWSSRP

from orders_api.twin.cognito import IdentityProvider
from orders_api.twin.cognito.actions import dispatch
from orders_api.twin.cognito.errors import (
    CodeMismatch,
    ExpiredCode,
    InvalidParameter,
    LimitExceeded,
    NotAuthorized,
)
from orders_api.twin.cognito.provider import IDP_DIRECTORY
from orders_api.twin.cognito.userpool import SRP_SALT, SRP_VERIFIER, UserPool
from tests.fake_issuer import Clock

PASSWORD = "Correct-Horse-9-Battery"
OTHER_PASSWORD = "Another-Horse-8-Staple"
TARGET = "AWSCognitoIdentityProviderService."


class CognitoFailure(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)
        self.code = code
        self.message = message


class InProcessCognito:
    """The two boto3 cognito-idp calls pycognito makes, answered by the dispatcher."""

    def __init__(self, pool: UserPool) -> None:
        self.pool = pool

    def call(self, action: str, **parameters: Any) -> dict[str, Any]:
        status, payload = dispatch(
            self.pool, TARGET + action, json.dumps(parameters).encode(), signed=True
        )
        if status != 200:
            raise CognitoFailure(payload["__type"], payload["message"])
        return payload

    def initiate_auth(self, **parameters: Any) -> dict[str, Any]:
        return self.call("InitiateAuth", **parameters)

    def respond_to_auth_challenge(self, **parameters: Any) -> dict[str, Any]:
        return self.call("RespondToAuthChallenge", **parameters)


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())  # SRP timestamps come from the real clock


@pytest.fixture
def cognito(pool: UserPool) -> InProcessCognito:
    return InProcessCognito(pool)


def confirmed(pool: UserPool, username: str = "ada@example.com", password: str = PASSWORD) -> None:
    pool.admin_create_user(username, {"email_verified": "true"}, None, send_invitation=False)
    pool.admin_set_user_password(username, password, permanent=True)


def srp(pool: UserPool, cognito: InProcessCognito, username: str, password: str) -> AWSSRP:
    return AWSSRP(username, password, pool.user_pool_id, pool.client_id, client=cognito)


def srp_sign_in(pool: UserPool, username: str, password: str) -> dict[str, Any]:
    tokens: dict[str, Any] = srp(
        pool, InProcessCognito(pool), username, password
    ).authenticate_user()
    return tokens


def claim(pool: UserPool, cognito: InProcessCognito, username: str, password: str) -> Any:
    client = srp(pool, cognito, username, password)
    parameters = client.get_auth_params()
    challenge = cognito.initiate_auth(
        ClientId=pool.client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=parameters
    )
    return client.process_challenge(challenge["ChallengeParameters"], parameters)


def answer(cognito: InProcessCognito, challenge: str, responses: Any, **extra: Any) -> Any:
    return cognito.respond_to_auth_challenge(
        ClientId=cognito.pool.client_id,
        ChallengeName=challenge,
        ChallengeResponses=responses,
        **extra,
    )


def test_setting_a_password_stores_its_srp_verifier_and_never_the_password(
    provider: IdentityProvider, tmp_path: Path
) -> None:
    confirmed(provider.pool)

    user = provider.pool.store.user("ada@example.com")
    assert user is not None
    stored = b"".join(path.read_bytes() for path in (tmp_path / IDP_DIRECTORY).iterdir())
    assert {SRP_SALT, SRP_VERIFIER} <= user.extras.keys()
    assert PASSWORD.encode() not in stored
    assert user.extras[SRP_VERIFIER].encode() in stored


def test_srp_signs_in_by_email_as_the_users_generated_username(pool: UserPool) -> None:
    confirmed(pool)
    user = pool.admin_user("ada@example.com")

    tokens = srp_sign_in(pool, "Ada@Example.com", PASSWORD)["AuthenticationResult"]

    assert pool.tokens.verify_access_token(tokens["AccessToken"])["username"] == user.username
    assert user.username == user.sub != "ada@example.com"


def test_a_user_whose_record_predates_srp_signs_in_with_the_password_flow_only(
    pool: UserPool, cognito: InProcessCognito
) -> None:
    confirmed(pool)
    user = pool.store.user("ada@example.com")
    assert user is not None
    del user.extras[SRP_SALT], user.extras[SRP_VERIFIER]
    pool.store.save_user(user)

    with pytest.raises(CognitoFailure) as refused:
        srp_sign_in(pool, "ada@example.com", PASSWORD)
    by_password = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": PASSWORD},
    )
    pool.admin_set_user_password("ada@example.com", PASSWORD, permanent=True)

    assert (refused.value.code, refused.value.message) == (
        "NotAuthorizedException",
        "Incorrect username or password.",
    )
    assert "IdToken" in by_password["AuthenticationResult"]
    assert "IdToken" in srp_sign_in(pool, "ada@example.com", PASSWORD)["AuthenticationResult"]


def test_wrong_srp_claims_lock_sign_in_for_a_while(
    pool: UserPool, cognito: InProcessCognito, clock: Clock
) -> None:
    confirmed(pool)
    for _ in range(5):
        with pytest.raises(CognitoFailure, match=r"Incorrect username or password\."):
            srp_sign_in(pool, "ada@example.com", OTHER_PASSWORD)

    with pytest.raises(CognitoFailure, match="Password attempts exceeded"):
        srp_sign_in(pool, "ada@example.com", PASSWORD)
    clock.now += 2
    assert "IdToken" in srp_sign_in(pool, "ada@example.com", PASSWORD)["AuthenticationResult"]


def test_a_claim_answered_after_the_challenge_expired_is_refused(
    pool: UserPool, cognito: InProcessCognito, clock: Clock
) -> None:
    confirmed(pool)
    responses = claim(pool, cognito, "ada@example.com", PASSWORD)
    clock.now += 5 * 60

    with pytest.raises(CognitoFailure, match=r"Incorrect username or password\."):
        answer(cognito, "PASSWORD_VERIFIER", responses)


def test_a_claim_cannot_sign_in_another_user(pool: UserPool, cognito: InProcessCognito) -> None:
    confirmed(pool)
    confirmed(pool, "eve@example.com", OTHER_PASSWORD)
    responses = claim(pool, cognito, "eve@example.com", OTHER_PASSWORD)

    with pytest.raises(CognitoFailure, match=r"Incorrect username or password\."):
        answer(cognito, "PASSWORD_VERIFIER", {**responses, "USERNAME": "ada@example.com"})


def test_srp_a_that_is_not_an_srp_value_is_an_invalid_parameter(
    pool: UserPool, cognito: InProcessCognito
) -> None:
    with pytest.raises(CognitoFailure) as raised:
        cognito.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": "ada@example.com", "SRP_A": "0"},
        )

    assert raised.value.code == "InvalidParameterException"


def test_an_unknown_challenge_name_is_an_invalid_parameter(cognito: InProcessCognito) -> None:
    with pytest.raises(CognitoFailure) as raised:
        answer(cognito, "SMS_MFA", {"USERNAME": "ada@example.com", "SMS_MFA_CODE": "123456"})

    assert raised.value.code == "InvalidParameterException"


def test_a_new_password_session_expires_after_three_minutes(
    pool: UserPool, cognito: InProcessCognito, clock: Clock
) -> None:
    pool.admin_create_user("temp@example.com", {}, PASSWORD, send_invitation=False)
    session = answer(
        cognito, "PASSWORD_VERIFIER", claim(pool, cognito, "temp@example.com", PASSWORD)
    )
    assert session["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    clock.now += 180

    with pytest.raises(CognitoFailure, match="Invalid session for the user"):
        answer(
            cognito,
            "NEW_PASSWORD_REQUIRED",
            {"USERNAME": "temp@example.com", "NEW_PASSWORD": OTHER_PASSWORD},
            Session=session["Session"],
        )


def test_a_new_password_answer_cannot_verify_the_email_itself(
    pool: UserPool, cognito: InProcessCognito
) -> None:
    pool.admin_create_user("temp@example.com", {}, PASSWORD, send_invitation=False)
    session = cognito.initiate_auth(
        ClientId=pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "temp@example.com", "PASSWORD": PASSWORD},
    )["Session"]

    with pytest.raises(CognitoFailure) as raised:
        answer(
            cognito,
            "NEW_PASSWORD_REQUIRED",
            {
                "USERNAME": "temp@example.com",
                "NEW_PASSWORD": OTHER_PASSWORD,
                "userAttributes.email_verified": "true",
            },
            Session=session,
        )

    assert raised.value.code == "InvalidParameterException"


def test_five_reset_attempts_an_hour_then_even_the_right_code_waits(
    pool: UserPool, logs: list[str], clock: Clock
) -> None:
    confirmed(pool)
    pool.forgot_password("ada@example.com")
    code = logs[-1].rsplit(" ", 1)[1]
    wrong = [f"{n:06d}" for n in range(10) if f"{n:06d}" != code][:4]

    for guess in wrong:  # the request was the first attempt of the hour
        with pytest.raises(CodeMismatch):
            pool.confirm_forgot_password("ada@example.com", guess, OTHER_PASSWORD)
    with pytest.raises(LimitExceeded, match="Attempt limit exceeded"):
        pool.confirm_forgot_password("ada@example.com", code, OTHER_PASSWORD)

    clock.now += 3600
    pool.forgot_password("ada@example.com")
    pool.confirm_forgot_password("ada@example.com", logs[-1].rsplit(" ", 1)[1], OTHER_PASSWORD)


def test_asking_for_a_fresh_code_does_not_renew_the_guesses(
    pool: UserPool, logs: list[str], clock: Clock
) -> None:
    # The probe's attack: a new code every few guesses reset the old 5-try counter, for 300
    # guesses in 10 s. Requests and guesses now share one allowance an hour.
    confirmed(pool)
    answers: list[str] = []
    for _ in range(10):
        try:
            pool.forgot_password("ada@example.com")
            answers.append("code sent")
            wrong = f"{(int(logs[-1].rsplit(' ', 1)[1]) + 1) % 10**6:06d}"
            pool.confirm_forgot_password("ada@example.com", wrong, OTHER_PASSWORD)
        except CodeMismatch:
            answers.append("mismatch")
        except LimitExceeded:
            answers.append("limit")
        clock.now += 1
    assert answers[:6] == ["code sent", "mismatch"] * 2 + ["code sent", "limit"]
    assert set(answers[6:]) == {"limit"}


def test_a_reset_code_expires_after_an_hour(pool: UserPool, logs: list[str], clock: Clock) -> None:
    confirmed(pool)
    pool.forgot_password("ada@example.com")
    clock.now += 3600

    with pytest.raises(ExpiredCode):
        pool.confirm_forgot_password("ada@example.com", logs[-1].rsplit(" ", 1)[1], OTHER_PASSWORD)


def test_a_reset_lifts_a_lockout(pool: UserPool, logs: list[str]) -> None:
    confirmed(pool)
    for _ in range(6):
        with pytest.raises(NotAuthorized):
            pool.authenticate("ada@example.com", "Wrong-Password-1")
    pool.forgot_password("ada@example.com")

    pool.confirm_forgot_password("ada@example.com", logs[-1].rsplit(" ", 1)[1], OTHER_PASSWORD)

    assert pool.authenticate("ada@example.com", OTHER_PASSWORD).attributes["email"] == (
        "ada@example.com"
    )


def test_no_reset_code_goes_to_an_unverified_address_or_a_temporary_password(
    pool: UserPool,
) -> None:
    pool.sign_up("unverified@example.com", PASSWORD, {})
    pool.admin_create_user("temp@example.com", {}, PASSWORD, send_invitation=False)

    with pytest.raises(InvalidParameter, match="no registered/verified email"):
        pool.forgot_password("unverified@example.com")
    with pytest.raises(NotAuthorized, match="cannot be reset in the current state"):
        pool.forgot_password("temp@example.com")


def test_change_password_needs_the_current_password(
    pool: UserPool, cognito: InProcessCognito
) -> None:
    confirmed(pool)
    access = pool.start_session(pool.authenticate("ada@example.com", PASSWORD)).tokens.access_token

    with pytest.raises(CognitoFailure, match=r"Incorrect username or password\."):
        cognito.call(
            "ChangePassword",
            AccessToken=access,
            PreviousPassword=OTHER_PASSWORD,
            ProposedPassword=OTHER_PASSWORD,
        )
    cognito.call(
        "ChangePassword",
        AccessToken=access,
        PreviousPassword=PASSWORD,
        ProposedPassword=OTHER_PASSWORD,
    )

    assert "IdToken" in srp_sign_in(pool, "ada@example.com", OTHER_PASSWORD)["AuthenticationResult"]
