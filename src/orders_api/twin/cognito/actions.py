"""Cognito's actions: each maps its JSON request onto the user pool and shapes its response.

To add an action, write `def action(pool, parameters) -> dict` and register it in ACTIONS
(signed=True for the IAM-authorized Admin* actions). To add an InitiateAuth flow, register a
`def flow(pool, auth_parameters) -> dict` in AUTH_FLOWS (ADMIN_AUTH_FLOWS for AdminInitiateAuth);
to answer a challenge in RespondToAuthChallenge, a `def answer(pool, responses, session) -> dict`
in CHALLENGE_ANSWERS.

Each action rests on its page of the Cognito API reference,
https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_<Action>.html
(request and response members, error types); the pages are named where an action is defined.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from orders_api.twin.cognito.errors import (
    CognitoError,
    InternalError,
    InvalidParameter,
    MissingAuthenticationToken,
    NotAuthorized,
    UnsupportedOperation,
)
from orders_api.twin.cognito.protocol import Parameters, action_name, error_payload, parse_body
from orders_api.twin.cognito.records import User
from orders_api.twin.cognito.tokens import IssuedTokens
from orders_api.twin.cognito.userpool import UserPool

Action = Callable[[UserPool, Parameters], dict[str, Any]]
AuthFlow = Callable[[UserPool, Parameters], dict[str, Any]]
ChallengeAnswer = Callable[[UserPool, Parameters, str | None], dict[str, Any]]

_USER_ATTRIBUTE_PREFIX = "userAttributes."
_VERIFIED_FLAGS = frozenset({"email_verified", "phone_number_verified"})


@dataclass(frozen=True, slots=True)
class ActionSpec:
    handler: Action
    signed: bool = False
    """An IAM-authorized action: boto3 signs it with SigV4 (any credentials are accepted here)."""


def attribute_list(attributes: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in attributes.items()]


def user_type(user: User) -> dict[str, Any]:
    """Cognito's UserType, as AdminCreateUser returns it."""
    return {
        "Username": user.username,
        "Attributes": attribute_list(user.all_attributes()),
        "UserCreateDate": user.created_at,
        "UserLastModifiedDate": user.modified_at,
        "Enabled": user.enabled,
        "UserStatus": user.status,
    }


def authentication_result(tokens: IssuedTokens, refresh_token: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "AccessToken": tokens.access_token,
        "ExpiresIn": tokens.expires_in,
        "TokenType": "Bearer",
        "IdToken": tokens.id_token,
    }
    if refresh_token is not None:
        result["RefreshToken"] = refresh_token
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


def _email_delivery(destination: str) -> dict[str, str]:
    """CodeDeliveryDetailsType for a code sent by e-mail."""
    return {"Destination": destination, "DeliveryMedium": "EMAIL", "AttributeName": "email"}


def totp_challenge(pool: UserPool, user: User) -> dict[str, Any]:
    """What a user who turned TOTP MFA on gets after their password: SOFTWARE_TOKEN_MFA, answered
    with SOFTWARE_TOKEN_MFA_CODE (RespondToAuthChallenge, API reference). In a pool whose MFA is
    optional, users who have activated a factor are challenged ("Adding MFA to a user pool",
    Cognito developer guide)."""
    return {
        "ChallengeName": "SOFTWARE_TOKEN_MFA",
        "Session": pool.open_challenge(user, "SOFTWARE_TOKEN_MFA"),
        "ChallengeParameters": {"USER_ID_FOR_SRP": user.key},
    }


def new_password_challenge(pool: UserPool, user: User) -> dict[str, Any]:
    """What a user with a temporary password gets instead of tokens."""
    visible = {k: v for k, v in user.attributes.items() if k != "email_verified"}
    return {
        "ChallengeName": "NEW_PASSWORD_REQUIRED",
        "Session": pool.open_challenge(user, "NEW_PASSWORD_REQUIRED"),
        "ChallengeParameters": {
            "USER_ID_FOR_SRP": user.key,
            "requiredAttributes": "[]",
            "userAttributes": json.dumps(visible, separators=(",", ":")),
        },
    }


# Client actions (no AWS credentials needed)


def sign_up(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_client(parameters.string("ClientId"))
    attributes = parameters.attributes("UserAttributes")
    if attributes.keys() & _VERIFIED_FLAGS:
        # An app client may not write the verified flags: only a confirmation, or an
        # administrator, sets them ("Attribute permissions and scopes", Cognito developer guide).
        raise NotAuthorized("A client attempted to write unauthorized attribute")
    result = pool.sign_up(
        parameters.string("Username"),
        parameters.string("Password"),
        attributes,
    )
    return {
        "UserConfirmed": False,
        "UserSub": result.user.sub,
        "CodeDeliveryDetails": {
            "Destination": result.destination,
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        },
    }


def confirm_sign_up(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_client(parameters.string("ClientId"))
    pool.confirm_sign_up(parameters.string("Username"), parameters.string("ConfirmationCode"))
    return {}


def initiate_auth(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    return _start_flow(pool, parameters, AUTH_FLOWS)


def respond_to_auth_challenge(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_client(parameters.string("ClientId"))
    return _answer_challenge(pool, parameters)


def _answer_challenge(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    name = parameters.string("ChallengeName")
    answer = CHALLENGE_ANSWERS.get(name)
    if answer is None:
        raise InvalidParameter(f"{name} is not a challenge the local identity provider answers.")
    responses = Parameters(parameters.string_map("ChallengeResponses"))
    return answer(pool, responses, parameters.optional_string("Session"))


def forgot_password(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_client(parameters.string("ClientId"))
    destination = pool.forgot_password(parameters.string("Username"))
    return {
        "CodeDeliveryDetails": {
            "Destination": destination,
            "DeliveryMedium": "EMAIL",
            "AttributeName": "email",
        }
    }


def confirm_forgot_password(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_client(parameters.string("ClientId"))
    pool.confirm_forgot_password(
        parameters.string("Username"),
        parameters.string("ConfirmationCode"),
        parameters.string("Password"),
    )
    return {}


def change_password(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.change_password(
        parameters.string("AccessToken"),
        parameters.string("PreviousPassword"),
        parameters.string("ProposedPassword"),
    )
    return {}


def get_user(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """GetUser (API_GetUser): the username, the attributes, and the MFA the user has turned on
    (`UserMFASettingList`, `PreferredMfaSetting`), which Amplify's fetchMFAPreference reads."""
    user = pool.user_of_access_token(parameters.string("AccessToken"))
    answer: dict[str, Any] = {
        "Username": user.username,
        "UserAttributes": attribute_list(user.all_attributes()),
    }
    answer.update(_mfa_settings(pool, user))
    return answer


def _mfa_settings(pool: UserPool, user: User) -> dict[str, Any]:
    """GetUser's and AdminGetUser's `UserMFASettingList` and `PreferredMfaSetting`, present only
    when the user has turned a factor on."""
    settings: dict[str, Any] = {}
    if pool.totp_enabled(user):
        settings["UserMFASettingList"] = ["SOFTWARE_TOKEN_MFA"]
    if pool.totp_preferred(user):
        settings["PreferredMfaSetting"] = "SOFTWARE_TOKEN_MFA"
    return settings


def resend_confirmation_code(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """ResendConfirmationCode (API_ResendConfirmationCode): a new sign-up code."""
    pool.check_client(parameters.string("ClientId"))
    destination = pool.resend_confirmation_code(parameters.string("Username"))
    return {"CodeDeliveryDetails": _email_delivery(destination)}


def update_user_attributes(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """UpdateUserAttributes (API_UpdateUserAttributes): `CodeDeliveryDetailsList` names where
    the code for a changed e-mail went; empty when no verified attribute changed."""
    destination = pool.update_attributes(
        parameters.string("AccessToken"), parameters.attributes("UserAttributes")
    )
    return {
        "CodeDeliveryDetailsList": [] if destination is None else [_email_delivery(destination)]
    }


def get_user_attribute_verification_code(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """GetUserAttributeVerificationCode (API_GetUserAttributeVerificationCode)."""
    destination = pool.send_attribute_code(
        parameters.string("AccessToken"), parameters.string("AttributeName")
    )
    return {"CodeDeliveryDetails": _email_delivery(destination)}


def verify_user_attribute(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """VerifyUserAttribute (API_VerifyUserAttribute): an empty answer once the e-mail is
    verified."""
    pool.verify_attribute(
        parameters.string("AccessToken"),
        parameters.string("AttributeName"),
        parameters.string("Code"),
    )
    return {}


def delete_user(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """DeleteUser (API_DeleteUser): the signed-in user deletes themselves; an empty answer."""
    pool.delete_self(parameters.string("AccessToken"))
    return {}


def associate_software_token(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """AssociateSoftwareToken (API_AssociateSoftwareToken): `SecretCode` for the authenticator
    app. Only the access-token form: the MFA_SETUP Session form serves pools that require MFA,
    which this one does not."""
    if parameters.optional_string("AccessToken") is None:
        raise InvalidParameter("AccessToken is required: MFA is not required in this pool.")
    return {"SecretCode": pool.associate_software_token(parameters.string("AccessToken"))}


def verify_software_token(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """VerifySoftwareToken (API_VerifySoftwareToken): `Status` SUCCESS once a code matches;
    EnableSoftwareTokenMFAException when it does not."""
    if parameters.optional_string("AccessToken") is None:
        raise InvalidParameter("AccessToken is required: MFA is not required in this pool.")
    pool.verify_software_token(parameters.string("AccessToken"), parameters.string("UserCode"))
    return {"Status": "SUCCESS"}


def set_user_mfa_preference(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """SetUserMFAPreference (API_SetUserMFAPreference): TOTP on or off, preferred or not. The
    pool offers no SMS or e-mail factor (mfa_second_factor otp only), so turning either on is
    refused."""
    for other in ("SMSMfaSettings", "EmailMfaSettings"):
        settings = parameters.as_dict().get(other) or {}
        if isinstance(settings, dict) and settings.get("Enabled") is True:
            raise InvalidParameter(
                f"{other.removesuffix('MfaSettings')} MFA is not enabled in this pool."
            )
    totp = parameters.as_dict().get("SoftwareTokenMfaSettings") or {}
    if not isinstance(totp, dict):
        raise InvalidParameter("SoftwareTokenMfaSettings must be a structure.")
    enabled, preferred = totp.get("Enabled"), totp.get("PreferredMfa", False)
    if (enabled is not None and not isinstance(enabled, bool)) or not isinstance(preferred, bool):
        raise InvalidParameter("Enabled and PreferredMfa are booleans.")
    pool.set_mfa_preference(parameters.string("AccessToken"), enabled=enabled, preferred=preferred)
    return {}


def get_tokens_from_refresh_token(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """GetTokensFromRefreshToken (API_GetTokensFromRefreshToken), what Amplify 6 refreshes with:
    new ID and access tokens; no new refresh token, since the app client does not rotate them."""
    pool.check_client(parameters.string("ClientId"))
    tokens = pool.refresh(parameters.string("RefreshToken"))
    return {"AuthenticationResult": authentication_result(tokens, None)["AuthenticationResult"]}


def revoke_token(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_client(parameters.string("ClientId"))
    pool.revoke_token(parameters.string("Token"))
    return {}


def global_sign_out(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.global_sign_out(parameters.string("AccessToken"))
    return {}


# InitiateAuth flows


def user_password_auth(pool: UserPool, auth: Parameters) -> dict[str, Any]:
    return signed_in(pool, pool.authenticate(auth.string("USERNAME"), auth.string("PASSWORD")))


def refresh_token_auth(pool: UserPool, auth: Parameters) -> dict[str, Any]:
    return authentication_result(pool.refresh(auth.string("REFRESH_TOKEN")), None)


def user_srp_auth(pool: UserPool, auth: Parameters) -> dict[str, Any]:
    return {
        "ChallengeName": "PASSWORD_VERIFIER",
        "ChallengeParameters": pool.start_srp(auth.string("USERNAME"), auth.string("SRP_A")),
    }


# RespondToAuthChallenge answers


def signed_in(pool: UserPool, user: User) -> dict[str, Any]:
    """Tokens, or NEW_PASSWORD_REQUIRED for a user who still has a temporary password."""
    if user.status == "FORCE_CHANGE_PASSWORD":
        return new_password_challenge(pool, user)
    if pool.totp_enabled(user):
        return totp_challenge(pool, user)
    return tokens_for(pool, user)


def tokens_for(pool: UserPool, user: User) -> dict[str, Any]:
    sign_in = pool.start_session(user)
    return authentication_result(sign_in.tokens, sign_in.refresh_token)


def password_verifier(
    pool: UserPool, responses: Parameters, _session: str | None
) -> dict[str, Any]:
    # The SECRET_BLOCK is this challenge's session: clients send no Session with it.
    user = pool.verify_srp(
        responses.string("USERNAME"),
        responses.string("PASSWORD_CLAIM_SECRET_BLOCK"),
        responses.string("TIMESTAMP"),
        responses.string("PASSWORD_CLAIM_SIGNATURE"),
    )
    return signed_in(pool, user)


def new_password_required(
    pool: UserPool, responses: Parameters, session: str | None
) -> dict[str, Any]:
    if session is None:
        raise InvalidParameter("Session is required for NEW_PASSWORD_REQUIRED.")
    user = pool.complete_new_password(
        session,
        responses.string("USERNAME"),
        responses.string("NEW_PASSWORD"),
        _challenge_attributes(responses.as_dict()),
    )
    return signed_in(pool, user)


def software_token_mfa(
    pool: UserPool, responses: Parameters, session: str | None
) -> dict[str, Any]:
    if session is None:
        raise InvalidParameter("Session is required for SOFTWARE_TOKEN_MFA.")
    user = pool.answer_totp(
        session, responses.string("USERNAME"), responses.string("SOFTWARE_TOKEN_MFA_CODE")
    )
    return tokens_for(pool, user)


def _challenge_attributes(responses: dict[str, str]) -> dict[str, str]:
    """The `userAttributes.<name>` answers that come with a new password."""
    attributes = {
        name.removeprefix(_USER_ATTRIBUTE_PREFIX): value
        for name, value in responses.items()
        if name.startswith(_USER_ATTRIBUTE_PREFIX)
    }
    for name in attributes.keys() & _VERIFIED_FLAGS:
        raise InvalidParameter(f"Cannot modify the non-mutable attribute {name}.")
    return attributes


# Administrator actions (IAM-authorized in AWS)


def admin_confirm_sign_up(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_pool(parameters.string("UserPoolId"))
    pool.admin_confirm_sign_up(parameters.string("Username"))
    return {}


def admin_create_user(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_pool(parameters.string("UserPoolId"))
    message_action = parameters.optional_string("MessageAction")
    if message_action not in {None, "SUPPRESS"}:
        raise InvalidParameter(f"MessageAction {message_action} is not supported locally.")
    user = pool.admin_create_user(
        parameters.string("Username"),
        parameters.attributes("UserAttributes"),
        parameters.optional_string("TemporaryPassword"),
        send_invitation=message_action != "SUPPRESS",
    )
    return {"User": user_type(user)}


def admin_get_user(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    """AdminGetUser: the user as UserType, its attributes under `UserAttributes`."""
    pool.check_pool(parameters.string("UserPoolId"))
    stored = pool.admin_user(parameters.string("Username"))
    user = user_type(stored)
    user["UserAttributes"] = user.pop("Attributes")
    user.update(_mfa_settings(pool, stored))
    return user


def admin_delete_user(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_pool(parameters.string("UserPoolId"))
    pool.admin_delete_user(parameters.string("Username"))
    return {}


def admin_initiate_auth(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_pool(parameters.string("UserPoolId"))
    return _start_flow(pool, parameters, ADMIN_AUTH_FLOWS)


def _start_flow(
    pool: UserPool, parameters: Parameters, flows: Mapping[str, AuthFlow]
) -> dict[str, Any]:
    pool.check_client(parameters.string("ClientId"))
    flow_name = parameters.string("AuthFlow")
    flow = flows.get(flow_name)
    if flow is None:
        raise InvalidParameter(f"{flow_name} flow not enabled for this client")
    return flow(pool, Parameters(parameters.string_map("AuthParameters")))


def admin_respond_to_auth_challenge(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_pool(parameters.string("UserPoolId"))
    pool.check_client(parameters.string("ClientId"))
    return _answer_challenge(pool, parameters)


def admin_set_user_password(pool: UserPool, parameters: Parameters) -> dict[str, Any]:
    pool.check_pool(parameters.string("UserPoolId"))
    pool.admin_set_user_password(
        parameters.string("Username"),
        parameters.string("Password"),
        permanent=parameters.boolean("Permanent", default=False),
    )
    return {}


ACTIONS: dict[str, ActionSpec] = {
    "SignUp": ActionSpec(sign_up),
    "ConfirmSignUp": ActionSpec(confirm_sign_up),
    "InitiateAuth": ActionSpec(initiate_auth),
    "RespondToAuthChallenge": ActionSpec(respond_to_auth_challenge),
    "ForgotPassword": ActionSpec(forgot_password),
    "ConfirmForgotPassword": ActionSpec(confirm_forgot_password),
    "ChangePassword": ActionSpec(change_password),
    "GetUser": ActionSpec(get_user),
    "GlobalSignOut": ActionSpec(global_sign_out),
    "RevokeToken": ActionSpec(revoke_token),
    "GetTokensFromRefreshToken": ActionSpec(get_tokens_from_refresh_token),
    "ResendConfirmationCode": ActionSpec(resend_confirmation_code),
    "UpdateUserAttributes": ActionSpec(update_user_attributes),
    "GetUserAttributeVerificationCode": ActionSpec(get_user_attribute_verification_code),
    "VerifyUserAttribute": ActionSpec(verify_user_attribute),
    "DeleteUser": ActionSpec(delete_user),
    "AssociateSoftwareToken": ActionSpec(associate_software_token),
    "VerifySoftwareToken": ActionSpec(verify_software_token),
    "SetUserMFAPreference": ActionSpec(set_user_mfa_preference),
    "AdminConfirmSignUp": ActionSpec(admin_confirm_sign_up, signed=True),
    "AdminCreateUser": ActionSpec(admin_create_user, signed=True),
    "AdminSetUserPassword": ActionSpec(admin_set_user_password, signed=True),
    "AdminGetUser": ActionSpec(admin_get_user, signed=True),
    "AdminDeleteUser": ActionSpec(admin_delete_user, signed=True),
    "AdminInitiateAuth": ActionSpec(admin_initiate_auth, signed=True),
    "AdminRespondToAuthChallenge": ActionSpec(admin_respond_to_auth_challenge, signed=True),
}

AUTH_FLOWS: dict[str, AuthFlow] = {
    "USER_SRP_AUTH": user_srp_auth,
    "USER_PASSWORD_AUTH": user_password_auth,
    "REFRESH_TOKEN_AUTH": refresh_token_auth,
    "REFRESH_TOKEN": refresh_token_auth,
}

ADMIN_AUTH_FLOWS: dict[str, AuthFlow] = {
    "USER_SRP_AUTH": user_srp_auth,
    "ADMIN_USER_PASSWORD_AUTH": user_password_auth,
    "ADMIN_NO_SRP_AUTH": user_password_auth,
    "REFRESH_TOKEN_AUTH": refresh_token_auth,
    "REFRESH_TOKEN": refresh_token_auth,
}

CHALLENGE_ANSWERS: dict[str, ChallengeAnswer] = {
    "PASSWORD_VERIFIER": password_verifier,
    "NEW_PASSWORD_REQUIRED": new_password_required,
    "SOFTWARE_TOKEN_MFA": software_token_mfa,
}


def dispatch(
    pool: UserPool, target: str | None, body: bytes, *, signed: bool
) -> tuple[int, dict[str, Any]]:
    """(status, JSON payload) for one request; every failure becomes a Cognito error."""
    try:
        name = action_name(target)
        spec = ACTIONS.get(name)
        if spec is None:
            raise UnsupportedOperation(f"{name} is not emulated by the local identity provider.")
        if spec.signed and not signed:
            raise MissingAuthenticationToken("Missing Authentication Token")
        return 200, spec.handler(pool, Parameters(parse_body(body)))
    except CognitoError as error:
        return error.status, error_payload(error)
    except Exception as exc:  # a bug must answer as Cognito's 500, never with a trace
        pool.log(f"identity: internal error in {target!r}: {exc.__class__.__name__}")
        internal = InternalError("Internal server error.")
        return internal.status, error_payload(internal)
