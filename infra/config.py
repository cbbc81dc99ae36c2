"""The stack's configuration: the shared deployment settings plus the few AWS-only knobs.

Figures that the local twin or the cost model also use live in `orders_api.deployment` and
are read from there. What is here exists only for AWS: which published Powertools layer to
use, the CDK bootstrap qualifier, and names. CDK context (`-c key=value` or cdk.json) can
override a handful of them at deploy time; see `from_context`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from aws_cdk import DefaultStackSynthesizer
from aws_cdk import aws_logs as logs

from orders_api.deployment.settings import DEFAULT_SETTINGS, DeploymentSettings

POWERTOOLS_LAYER_ACCOUNT = "017000801446"
"""The AWS account that publishes the official Powertools for AWS Lambda (Python) layers."""

POWERTOOLS_LAYER_VERSION = 38
"""A published version of AWSLambdaPowertoolsPythonV3-python314-arm64 (Powertools 3.3x, with
pydantic 2 and every other extra; boto3 comes from the runtime). List the current ones with
`aws lambda list-layer-versions --layer-name arn:aws:lambda:REGION:017000801446:layer:
AWSLambdaPowertoolsPythonV3-python314-arm64` and override with `-c powertoolsLayerVersion=N`."""

SERVICE_NAME = "orders-api"
"""Powertools' service name: the `service` dimension of the handler's metrics and logs."""

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
}


@dataclass(frozen=True, slots=True)
class InfraConfig:
    settings: DeploymentSettings = DEFAULT_SETTINGS
    powertools_layer_version: int = POWERTOOLS_LAYER_VERSION
    bootstrap_qualifier: str = DefaultStackSynthesizer.DEFAULT_QUALIFIER
    """The `cdk bootstrap` qualifier; its roles are the only ones operators may assume."""
    account: str | None = None
    """None: an environment-agnostic account (synthesis, tests); the CLI supplies the real one."""

    @property
    def stack_name(self) -> str:
        return self.settings.stack_name

    @property
    def region(self) -> str:
        return self.settings.region

    @property
    def operators_group_name(self) -> str:
        return f"{self.stack_name}-operators"

    @property
    def web_acl_name(self) -> str:
        return f"{self.stack_name}-web-acl"

    @property
    def budget_name(self) -> str:
        return f"{self.stack_name}-monthly-cost"

    @property
    def log_retention(self) -> logs.RetentionDays:
        """The retention of every log group the stack creates."""
        days = self.settings.observability.log_retention_days
        if days not in _RETENTION:
            raise ValueError(
                f"CloudWatch Logs offers no {days}-day retention: {sorted(_RETENTION)}"
            )
        return _RETENTION[days]

    @property
    def powertools_layer_arn(self) -> str:
        """The official layer for this region, runtime and architecture."""
        runtime = self.settings.function.runtime.replace(".", "")  # python3.14 -> python314
        architecture = self.settings.function.architecture
        return (
            f"arn:aws:lambda:{self.region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
            f"AWSLambdaPowertoolsPythonV3-{runtime}-{architecture}:"
            f"{self.powertools_layer_version}"
        )

    @classmethod
    def from_context(
        cls, context: Callable[[str], Any], *, account: str | None = None
    ) -> InfraConfig:
        """Defaults, overridden by these CDK context keys when given:

        `region`, `alarmEmail`, `monthlyBudgetUsd`, `powertoolsLayerVersion`.
        """
        settings = DEFAULT_SETTINGS
        if (region := context("region")) is not None:
            settings = replace(settings, region=str(region))
        observability = settings.observability
        if (email := context("alarmEmail")) is not None:
            observability = replace(observability, alarm_email=str(email) or None)
        if (budget := context("monthlyBudgetUsd")) is not None:
            observability = replace(observability, monthly_budget_usd=int(budget))
        settings = replace(settings, observability=observability)
        layer_version = context("powertoolsLayerVersion")
        return cls(
            settings=settings,
            powertools_layer_version=(
                POWERTOOLS_LAYER_VERSION if layer_version is None else int(layer_version)
            ),
            account=account,
        )
