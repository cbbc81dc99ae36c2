"""The Cognito user pool customers sign in to, and the app client the API trusts."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.compliance import acknowledge_nag
from orders_api.deployment.settings import AuthSettings

_MFA = {
    "OFF": cognito.Mfa.OFF,
    "OPTIONAL": cognito.Mfa.OPTIONAL,
    "REQUIRED": cognito.Mfa.REQUIRED,
}


class UserDirectory(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, settings: AuthSettings) -> None:
        super().__init__(scope, construct_id)
        policy = settings.password_policy
        lifetimes = settings.token_lifetimes
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            sign_in_aliases=cognito.SignInAliases(email=True),
            sign_in_case_sensitive=False,
            self_sign_up_enabled=True,
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            password_policy=cognito.PasswordPolicy(
                min_length=policy.min_length,
                require_lowercase=policy.require_lowercase,
                require_uppercase=policy.require_uppercase,
                require_digits=policy.require_digits,
                require_symbols=policy.require_symbols,
                temp_password_validity=Duration.days(policy.temporary_password_validity_days),
            ),
            mfa=_MFA[settings.mfa],
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            feature_plan=cognito.FeaturePlan[settings.feature_plan],
            deletion_protection=True,
            # Customer accounts outlive the stack, like the orders they placed.
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.client = self.user_pool.add_client(
            "AppClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_password=True, user_srp=True),
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            disable_o_auth=True,
            id_token_validity=Duration.minutes(lifetimes.id_token_minutes),
            access_token_validity=Duration.minutes(lifetimes.access_token_minutes),
            refresh_token_validity=Duration.days(lifetimes.refresh_token_days),
        )
        if settings.mfa != "REQUIRED":
            acknowledge_nag(
                self.user_pool,
                "AwsSolutions-COG2",
                "TOTP MFA is offered and optional by product decision: customers placing "
                "orders choose it; requiring it would block sign-up for most of them.",
            )
        if settings.feature_plan != "PLUS":
            acknowledge_nag(
                self.user_pool,
                "AwsSolutions-COG3",
                "Threat protection (advanced security) needs the Plus feature plan, not bought "
                "to keep cost down; the WAF rate rule and the password policy cover abuse.",
            )
            acknowledge_nag(
                self.user_pool,
                "AwsSolutions-COG8",
                f"Feature plan {settings.feature_plan} by decision (AuthSettings.feature_plan): "
                "Plus costs several times more per MAU and its extras are not used here.",
            )
