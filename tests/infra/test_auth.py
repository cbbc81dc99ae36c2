"""The user pool and its app client: settings applied, nothing weaker."""

from __future__ import annotations

from synthesized import Synthesis

from orders_api.deployment.settings import DEFAULT_SETTINGS

AUTH = DEFAULT_SETTINGS.auth


def test_customers_sign_in_with_their_email(synthesis: Synthesis) -> None:
    pool = synthesis.only("AWS::Cognito::UserPool")["Properties"]
    assert pool["UsernameAttributes"] == ["email"]
    assert pool["AutoVerifiedAttributes"] == ["email"]
    assert pool["UsernameConfiguration"] == {"CaseSensitive": False}


def test_the_password_policy_is_the_shared_one(synthesis: Synthesis) -> None:
    policy = AUTH.password_policy
    pool = synthesis.only("AWS::Cognito::UserPool")["Properties"]
    assert pool["Policies"]["PasswordPolicy"] == {
        "MinimumLength": policy.min_length,
        "RequireLowercase": policy.require_lowercase,
        "RequireUppercase": policy.require_uppercase,
        "RequireNumbers": policy.require_digits,
        "RequireSymbols": policy.require_symbols,
        "TemporaryPasswordValidityDays": policy.temporary_password_validity_days,
    }


def test_mfa_is_optional_and_totp_only(synthesis: Synthesis) -> None:
    pool = synthesis.only("AWS::Cognito::UserPool")["Properties"]
    assert pool["MfaConfiguration"] == AUTH.mfa == "OPTIONAL"
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


def test_the_pool_is_on_the_configured_plan_protected_from_deletion_and_retained(
    synthesis: Synthesis,
) -> None:
    pool = synthesis.only("AWS::Cognito::UserPool")
    assert pool["Properties"]["UserPoolTier"] == AUTH.feature_plan
    assert pool["Properties"]["DeletionProtection"] == "ACTIVE"
    assert pool["DeletionPolicy"] == "Retain"


def test_the_app_client_has_no_secret_and_only_password_srp_and_refresh_flows(
    synthesis: Synthesis,
) -> None:
    client = synthesis.only("AWS::Cognito::UserPoolClient")["Properties"]
    assert client["GenerateSecret"] is False
    assert sorted(client["ExplicitAuthFlows"]) == [
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_USER_SRP_AUTH",
    ]
    assert client["PreventUserExistenceErrors"] == "ENABLED"
    assert client["EnableTokenRevocation"] is True
    assert client["AllowedOAuthFlowsUserPoolClient"] is False


def test_token_lifetimes_are_the_shared_ones(synthesis: Synthesis) -> None:
    lifetimes = AUTH.token_lifetimes
    client = synthesis.only("AWS::Cognito::UserPoolClient")["Properties"]
    assert client["IdTokenValidity"] == lifetimes.id_token_minutes
    assert client["AccessTokenValidity"] == lifetimes.access_token_minutes
    assert client["RefreshTokenValidity"] == lifetimes.refresh_token_days * 24 * 60
    assert client["TokenValidityUnits"] == {
        "IdToken": "minutes",
        "AccessToken": "minutes",
        "RefreshToken": "minutes",
    }
