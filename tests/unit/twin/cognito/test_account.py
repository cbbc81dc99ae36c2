"""What a signed-in user does with their own account, and what Amplify JS v6 calls, answered in
the shapes of the Cognito API reference: ResendConfirmationCode, UpdateUserAttributes,
VerifyUserAttribute, DeleteUser, GetTokensFromRefreshToken, and TOTP MFA
(AssociateSoftwareToken, VerifySoftwareToken, SetUserMFAPreference, the SOFTWARE_TOKEN_MFA
challenge, GetUser's MFA fields). The preflight of the SDKs' headers is tested over HTTP, in
tests/e2e/test_cognito_clients.py and test_browser_amplify.py."""

from __future__ import annotations

import time
from typing import Any

import pytest

from orders_api.twin.cognito import totp
from orders_api.twin.cognito.userpool import UserPool
from tests.fake_issuer import Clock
from tests.unit.twin.cognito.test_challenges import (
    PASSWORD,
    CognitoFailure,
    InProcessCognito,
    confirmed,
    srp_sign_in,
)

OTHER_PASSWORD = "Another-Horse-8-Staple"


@pytest.fixture
def clock() -> Clock:
    return Clock(time.time())  # SRP timestamps come from the real clock


@pytest.fixture
def cognito(pool: UserPool) -> InProcessCognito:
    return InProcessCognito(pool)


def fails(cognito: InProcessCognito, action: str, **parameters: Any) -> tuple[str, str]:
    with pytest.raises(CognitoFailure) as failure:
        cognito.call(action, **parameters)
    return failure.value.code, failure.value.message


def signed_in(cognito: InProcessCognito, email: str = "ada@example.com") -> dict[str, Any]:
    result: dict[str, Any] = cognito.initiate_auth(
        ClientId=cognito.pool.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD},
    )
    return result


def access_token(cognito: InProcessCognito, email: str = "ada@example.com") -> str:
    confirmed(cognito.pool, email)
    return str(signed_in(cognito, email)["AuthenticationResult"]["AccessToken"])


def last_code(logs: list[str]) -> str:
    return logs[-1].rsplit(" ", 1)[1]


# ResendConfirmationCode


def test_a_resent_sign_up_code_replaces_the_first(
    cognito: InProcessCognito, logs: list[str]
) -> None:
    client = cognito.pool.client_id
    cognito.call("SignUp", ClientId=client, Username="ada@example.com", Password=PASSWORD)
    first = last_code(logs)

    resent = cognito.call("ResendConfirmationCode", ClientId=client, Username="ada@example.com")
    second = last_code(logs)

    assert resent == {
        "CodeDeliveryDetails": {
            "Destination": "a***@e***",
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        }
    }
    if first != second:
        assert fails(
            cognito, "ConfirmSignUp", ClientId=client, Username="ada@example.com",
            ConfirmationCode=first,
        )[0] == "CodeMismatchException"  # fmt: skip
    cognito.call(
        "ConfirmSignUp", ClientId=client, Username="ada@example.com", ConfirmationCode=second
    )
    assert cognito.pool.admin_user("ada@example.com").status == "CONFIRMED"


def test_a_code_resent_to_an_unknown_address_looks_sent_and_is_not(
    cognito: InProcessCognito, logs: list[str]
) -> None:
    resent = cognito.call(
        "ResendConfirmationCode", ClientId=cognito.pool.client_id, Username="nobody@example.com"
    )

    assert resent["CodeDeliveryDetails"]["Destination"] == "n***@e***"
    assert logs == []


def test_a_confirmed_user_gets_no_new_sign_up_code(cognito: InProcessCognito) -> None:
    confirmed(cognito.pool)

    assert fails(
        cognito, "ResendConfirmationCode", ClientId=cognito.pool.client_id,
        Username="ada@example.com",
    ) == ("InvalidParameterException", "User is already confirmed.")  # fmt: skip


# UpdateUserAttributes and VerifyUserAttribute


def test_a_new_email_is_unverified_until_its_code_comes_back(
    cognito: InProcessCognito, logs: list[str]
) -> None:
    token = access_token(cognito)

    updated = cognito.call(
        "UpdateUserAttributes",
        AccessToken=token,
        UserAttributes=[
            {"Name": "email", "Value": "grace@example.com"},
            {"Name": "given_name", "Value": "Grace"},
        ],
    )
    pending = cognito.pool.admin_user("grace@example.com")
    wrong = fails(
        cognito, "VerifyUserAttribute", AccessToken=token, AttributeName="email", Code="000000"
    )
    cognito.call(
        "VerifyUserAttribute", AccessToken=token, AttributeName="email", Code=last_code(logs)
    )

    assert updated == {
        "CodeDeliveryDetailsList": [
            {"Destination": "g***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
        ]
    }
    assert pending.attributes["email_verified"] == "false"
    assert pending.attributes["given_name"] == "Grace"
    assert wrong[0] == "CodeMismatchException"
    assert cognito.pool.admin_user("grace@example.com").attributes["email_verified"] == "true"
    assert fails(
        cognito, "AdminGetUser", UserPoolId=cognito.pool.user_pool_id, Username="ada@example.com"
    )[0] == "UserNotFoundException", "the old address no longer names the user"  # fmt: skip


def test_a_user_asks_for_a_new_email_code_and_verifies_with_it(
    cognito: InProcessCognito, logs: list[str]
) -> None:
    token = access_token(cognito)
    cognito.call(
        "UpdateUserAttributes",
        AccessToken=token,
        UserAttributes=[{"Name": "email", "Value": "grace@example.com"}],
    )
    first = last_code(logs)

    sent = cognito.call(
        "GetUserAttributeVerificationCode", AccessToken=token, AttributeName="email"
    )
    second = last_code(logs)
    if first != second:
        assert fails(
            cognito, "VerifyUserAttribute", AccessToken=token, AttributeName="email", Code=first
        )[0] == "CodeMismatchException"  # fmt: skip
    cognito.call("VerifyUserAttribute", AccessToken=token, AttributeName="email", Code=second)

    assert sent == {
        "CodeDeliveryDetails": {
            "Destination": "g***@e***",
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        }
    }
    assert cognito.pool.admin_user("grace@example.com").attributes["email_verified"] == "true"


def test_an_update_without_a_new_email_sends_no_code(
    cognito: InProcessCognito, logs: list[str]
) -> None:
    token = access_token(cognito)
    sent_before = len(logs)

    updated = cognito.call(
        "UpdateUserAttributes",
        AccessToken=token,
        UserAttributes=[{"Name": "name", "Value": "Ada Lovelace"}],
    )

    assert updated == {"CodeDeliveryDetailsList": []}
    assert len(logs) == sent_before
    assert cognito.pool.admin_user("ada@example.com").attributes["email_verified"] == "true"


def test_another_users_email_cannot_be_taken(cognito: InProcessCognito) -> None:
    confirmed(cognito.pool, "grace@example.com")
    token = access_token(cognito)

    assert fails(
        cognito, "UpdateUserAttributes", AccessToken=token,
        UserAttributes=[{"Name": "email", "Value": "Grace@Example.com"}],
    ) == ("AliasExistsException", "An account with the given email already exists.")  # fmt: skip


@pytest.mark.parametrize(
    ("attribute", "value", "error"),
    [
        ("email_verified", "true", "NotAuthorizedException"),
        ("sub", "someone-else", "NotAuthorizedException"),
        ("email", "not-an-address", "InvalidParameterException"),
        ("custom:tier", "gold", "InvalidParameterException"),
    ],
)
def test_a_user_may_not_write_what_the_pool_does_not_let_them(
    cognito: InProcessCognito, attribute: str, value: str, error: str
) -> None:
    token = access_token(cognito)

    assert fails(
        cognito, "UpdateUserAttributes", AccessToken=token,
        UserAttributes=[{"Name": attribute, "Value": value}],
    )[0] == error  # fmt: skip


# DeleteUser


def test_a_user_deletes_their_account_and_their_tokens_stop_working(
    cognito: InProcessCognito,
) -> None:
    confirmed(cognito.pool)
    tokens = signed_in(cognito)["AuthenticationResult"]

    assert cognito.call("DeleteUser", AccessToken=tokens["AccessToken"]) == {}

    assert fails(cognito, "GetUser", AccessToken=tokens["AccessToken"])[0] == (
        "NotAuthorizedException"
    )
    assert fails(
        cognito, "GetTokensFromRefreshToken", ClientId=cognito.pool.client_id,
        RefreshToken=tokens["RefreshToken"],
    )[0] == "NotAuthorizedException"  # fmt: skip
    cognito.pool.sign_up("ada@example.com", PASSWORD, {})  # the address is free again


# GetTokensFromRefreshToken


def test_get_tokens_from_refresh_token_issues_new_tokens_until_revoked(
    cognito: InProcessCognito,
) -> None:
    confirmed(cognito.pool)
    tokens = signed_in(cognito)["AuthenticationResult"]
    client = cognito.pool.client_id

    refreshed = cognito.call(
        "GetTokensFromRefreshToken", ClientId=client, RefreshToken=tokens["RefreshToken"]
    )
    cognito.call("RevokeToken", ClientId=client, Token=tokens["RefreshToken"])

    assert set(refreshed) == {"AuthenticationResult"}
    assert set(refreshed["AuthenticationResult"]) == {
        "AccessToken",
        "ExpiresIn",
        "TokenType",
        "IdToken",
    }, "no new refresh token: the app client does not rotate them"
    assert fails(
        cognito, "GetTokensFromRefreshToken", ClientId=client, RefreshToken=tokens["RefreshToken"]
    ) == ("NotAuthorizedException", "Refresh Token has been revoked")


# TOTP MFA


def totp_on(cognito: InProcessCognito, token: str, clock: Clock) -> str:
    secret = str(cognito.call("AssociateSoftwareToken", AccessToken=token)["SecretCode"])
    cognito.call("VerifySoftwareToken", AccessToken=token, UserCode=totp.code_at(secret, clock.now))
    cognito.call(
        "SetUserMFAPreference",
        AccessToken=token,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    return secret


def test_an_authenticator_is_verified_with_one_of_its_codes(
    cognito: InProcessCognito, clock: Clock
) -> None:
    token = access_token(cognito)
    secret = cognito.call("AssociateSoftwareToken", AccessToken=token)["SecretCode"]

    wrong = fails(cognito, "VerifySoftwareToken", AccessToken=token, UserCode="000000")
    early = fails(
        cognito, "SetUserMFAPreference", AccessToken=token,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )  # fmt: skip
    verified = cognito.call(
        "VerifySoftwareToken",
        AccessToken=token,
        UserCode=totp.code_at(secret, clock.now),
        FriendlyDeviceName="phone",
    )

    assert len(secret) == 52
    assert secret.isalnum()
    assert secret.isupper()
    assert wrong[0] == "EnableSoftwareTokenMFAException"
    assert early[0] == "InvalidParameterException"
    assert verified == {"Status": "SUCCESS"}


def test_get_user_lists_the_mfa_a_user_turned_on(cognito: InProcessCognito, clock: Clock) -> None:
    token = access_token(cognito)
    before = cognito.call("GetUser", AccessToken=token)

    totp_on(cognito, token, clock)
    after = cognito.call("GetUser", AccessToken=token)

    assert "UserMFASettingList" not in before
    assert "PreferredMfaSetting" not in before
    assert after["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert after["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"


def test_sms_mfa_is_refused_in_a_pool_that_offers_only_totp(cognito: InProcessCognito) -> None:
    token = access_token(cognito)

    assert fails(
        cognito, "SetUserMFAPreference", AccessToken=token,
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )[0] == "InvalidParameterException"  # fmt: skip


@pytest.mark.parametrize("flow", ["USER_PASSWORD_AUTH", "USER_SRP_AUTH"])
def test_a_user_with_totp_answers_software_token_mfa_before_getting_tokens(
    cognito: InProcessCognito, clock: Clock, flow: str
) -> None:
    pool = cognito.pool
    secret = totp_on(cognito, access_token(cognito), clock)
    clock.now += totp.STEP_SECONDS  # the verifying code may not be used again

    if flow == "USER_SRP_AUTH":
        with pytest.raises(Exception, match="SOFTWARE_TOKEN_MFA") as raised:
            srp_sign_in(pool, "ada@example.com", PASSWORD)
        challenge = raised.value.get_tokens()  # type: ignore[attr-defined]
    else:
        challenge = signed_in(cognito)
    username = challenge["ChallengeParameters"]["USER_ID_FOR_SRP"]

    def answer(code: str) -> dict[str, Any]:
        return cognito.call(
            "RespondToAuthChallenge",
            ClientId=pool.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": username, "SOFTWARE_TOKEN_MFA_CODE": code},
        )

    with pytest.raises(CognitoFailure) as wrong:
        answer("000000")
    answered = answer(totp.code_at(secret, clock.now))

    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert "AuthenticationResult" not in challenge
    assert username == pool.admin_user("ada@example.com").username
    assert (wrong.value.code, wrong.value.message) == (
        "CodeMismatchException",
        "Invalid code received for user",
    )
    assert "IdToken" in answered["AuthenticationResult"]


def test_a_totp_code_signs_in_once(cognito: InProcessCognito, clock: Clock) -> None:
    secret = totp_on(cognito, access_token(cognito), clock)
    clock.now += totp.STEP_SECONDS
    code = totp.code_at(secret, clock.now)

    def sign_in_with(code: str) -> dict[str, Any]:
        challenge = signed_in(cognito)
        return cognito.call(
            "RespondToAuthChallenge",
            ClientId=cognito.pool.client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "ada@example.com", "SOFTWARE_TOKEN_MFA_CODE": code},
        )

    assert "AuthenticationResult" in sign_in_with(code)
    with pytest.raises(CognitoFailure, match="CodeMismatchException"):
        sign_in_with(code)


def test_turning_totp_off_signs_in_without_a_code(cognito: InProcessCognito, clock: Clock) -> None:
    token = access_token(cognito)
    totp_on(cognito, token, clock)

    cognito.call(
        "SetUserMFAPreference",
        AccessToken=token,
        SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False},
    )

    assert "AuthenticationResult" in signed_in(cognito)


def test_a_totp_answer_needs_its_session(cognito: InProcessCognito, clock: Clock) -> None:
    totp_on(cognito, access_token(cognito), clock)

    assert fails(
        cognito, "RespondToAuthChallenge", ClientId=cognito.pool.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        ChallengeResponses={"USERNAME": "ada@example.com", "SOFTWARE_TOKEN_MFA_CODE": "123456"},
    )[0] == "InvalidParameterException"  # fmt: skip
    assert fails(
        cognito, "RespondToAuthChallenge", ClientId=cognito.pool.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA", Session="x" * 40,
        ChallengeResponses={"USERNAME": "ada@example.com", "SOFTWARE_TOKEN_MFA_CODE": "123456"},
    )[0] == "NotAuthorizedException"  # fmt: skip


def test_totp_codes_follow_rfc_6238() -> None:
    # RFC 6238, appendix B: the SHA-1 seed "12345678901234567890" at 59 s gives 94287082
    # (eight digits); Cognito's six are its last six.
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

    assert totp.code_at(secret, 59) == "287082"
    assert totp.code_at(secret, 1111111109) == "081804"
    assert totp.matching_step(secret, "287082", 59 + 30) == 1
    assert totp.matching_step(secret, "287082", 59 + 90) is None
