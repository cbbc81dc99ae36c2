"""What is deployed, as the cost model needs it, read from the configuration the CDK app uses.

Nothing here is a copied constant: the function's memory and architecture, log retention,
tracing and PITR come from `deployment.settings`; the billed WAF rules from the rendered web
ACL; alarms, dashboards and custom metrics from `deployment.monitoring`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from orders_api.deployment import monitoring, waf_policy
from orders_api.deployment.settings import DEFAULT_SETTINGS, DeploymentSettings

CognitoPlan = Literal["LITE", "ESSENTIALS", "PLUS"]
Architecture = Literal["arm64", "x86_64"]


def billed_waf_rule_count(policy: waf_policy.WafPolicy = waf_policy.DEFAULT_POLICY) -> int:
    """Rules and rule groups AWS bills for: the top-level entries of the rendered web ACL."""
    rendered = waf_policy.render_web_acl(policy, name="OrdersApi", metric_prefix="OrdersApi")
    return len(rendered["Rules"])


@dataclass(frozen=True, slots=True)
class Deployment:
    region: str
    function_memory_mb: int
    architecture: Architecture
    log_retention_days: int
    tracing: bool
    point_in_time_recovery: bool
    cognito_plan: CognitoPlan
    web_acls: int
    waf_rules: int
    alarms: int
    dashboards: int
    custom_metrics: int
    budgets: int
    throttle_rate_limit: Decimal
    """Steady-state requests per second the stage admits; API Gateway bills none beyond."""


def _architecture(value: str) -> Architecture:
    if value == "arm64":
        return "arm64"
    if value == "x86_64":
        return "x86_64"
    raise ValueError(f"unknown Lambda architecture {value!r}")


def _cognito_plan(value: str) -> CognitoPlan:
    plan = value.upper()
    if plan == "LITE":
        return "LITE"
    if plan == "ESSENTIALS":
        return "ESSENTIALS"
    if plan == "PLUS":
        return "PLUS"
    raise ValueError(f"unknown Cognito feature plan {value!r}")


def read_deployment(
    settings: DeploymentSettings = DEFAULT_SETTINGS,
    policy: waf_policy.WafPolicy = waf_policy.DEFAULT_POLICY,
) -> Deployment:
    observability = settings.observability
    return Deployment(
        region=settings.region,
        function_memory_mb=settings.function.memory_mb,
        architecture=_architecture(settings.function.architecture),
        log_retention_days=observability.log_retention_days,
        tracing=observability.tracing,
        point_in_time_recovery=settings.storage.point_in_time_recovery,
        cognito_plan=_cognito_plan(settings.auth.feature_plan),
        web_acls=1,
        waf_rules=billed_waf_rule_count(policy),
        alarms=len(monitoring.ALARMS),
        dashboards=len(monitoring.DASHBOARDS),
        custom_metrics=len(monitoring.CUSTOM_METRICS),
        budgets=1 if observability.monthly_budget_usd else 0,
        throttle_rate_limit=Decimal(str(settings.api.throttle_rate_limit)),
    )
