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

PROJECT_TAGS = {"application": "orders-api"}
"""Tags on every taggable resource of the stack."""

POWERTOOLS_LAYER_ACCOUNT = "017000801446"
"""The AWS account that publishes the official Powertools for AWS Lambda (Python) layers."""

POWERTOOLS_VERSION = "3.37.0"
"""The Powertools release the function is tested with (the dev virtualenv's). Its official
layer is found through the public SSM parameter Powertools publishes in every region,
`/aws/service/powertools/python/<arch>/<runtime>/<version>` (and `/latest`), resolved by
CloudFormation at deploy time: no layer number to guess per region. Override with
`-c powertoolsVersion=X.Y.Z` (or `latest`), or name a layer version outright with
`-c powertoolsLayerVersion=N`."""

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
    powertools_version: str = POWERTOOLS_VERSION
    powertools_layer_version: int | None = None
    """A layer version number to use instead of the SSM parameter's."""
    bootstrap_qualifier: str = DefaultStackSynthesizer.DEFAULT_QUALIFIER
    """The `cdk bootstrap` qualifier; its roles are the only ones operators may assume."""
    account: str | None = None
    """None: an environment-agnostic account (synthesis, tests); the CLI supplies the real one."""
    orders_email: str | None = None
    """Where the e-mail for each new order goes (an SNS e-mail subscription); None: no e-mail."""
    table_indexes: int | None = None
    """How many of the table's indexes to deploy (None: all): 1 for the first of the two
    deployments that give an existing table its indexes (DynamoDB adds one per update)."""

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
    def powertools_layer_parameter(self) -> str:
        """The public SSM parameter holding the official layer's ARN for this region, runtime,
        architecture and Powertools version (Powertools' `update_ssm` release workflow)."""
        function = self.settings.function
        return (
            f"/aws/service/powertools/python/{function.architecture}/{function.runtime}/"
            f"{self.powertools_version}"
        )

    @property
    def powertools_layer_arn(self) -> str | None:
        """The official layer's ARN when a layer version was named; None: use the parameter."""
        if self.powertools_layer_version is None:
            return None
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

        `region`, `alarmEmail`, `monthlyBudgetUsd`, `powertoolsVersion`,
        `powertoolsLayerVersion`, `reservedConcurrency` (0: none reserved, for a new account
        whose concurrency limit leaves no room to reserve), `ordersEmail` (the address told of
        each new order), `tableIndexes` (how many table indexes to deploy, see
        `infra/storage.py`).
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
        if (reserved := context("reservedConcurrency")) is not None:
            if int(reserved) < 0:
                raise ValueError("reservedConcurrency is a count of executions, 0 for none")
            function = replace(settings.function, reserved_concurrency=int(reserved))
            settings = replace(settings, function=function)
        layer_version = context("powertoolsLayerVersion")
        table_indexes = context("tableIndexes")
        if table_indexes is not None and int(table_indexes) < 0:
            raise ValueError("tableIndexes is a count of indexes, 0 or more")
        return cls(
            settings=settings,
            powertools_version=str(context("powertoolsVersion") or POWERTOOLS_VERSION),
            powertools_layer_version=None if layer_version is None else int(layer_version),
            account=account,
            orders_email=str(context("ordersEmail") or "") or None,
            table_indexes=None if table_indexes is None else int(table_indexes),
        )
