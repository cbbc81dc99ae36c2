"""What is deployed, as the cost model needs it, read from the configuration the CDK app uses.

Nothing here is a copied constant: the function's memory and architecture, log retention,
tracing and PITR come from `deployment.settings`; the billed WAF rules from the rendered web
ACL; alarms, dashboards and custom metrics from `deployment.monitoring`; the table's secondary
indexes from `adapters.table_layout`. The events path (issue 18, `infra/events.py`) is the
exception: the package cannot import the CDK app, so its pipes, its enrichment batches and its
delivery alarms are restated below (a test reads `infra/events.py` to keep them equal), and the
stream's shards and polling rate, which nothing deployed states, are assumptions with reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from orders_api.adapters import table_layout
from orders_api.deployment import monitoring, waf_policy
from orders_api.deployment.settings import DEFAULT_SETTINGS, DeploymentSettings

CognitoPlan = Literal["LITE", "ESSENTIALS", "PLUS"]
Architecture = Literal["arm64", "x86_64"]

SECONDARY_INDEXES: tuple[str, ...] = (table_layout.CUSTOMER_INDEX, table_layout.STATUS_INDEX)
"""The table's global secondary indexes, both projecting every attribute."""
EVENT_PIPES = 2
"""Pipes reading the table's stream (`infra/events.py` PIPES): one for new orders (OrderPlaced)
and one for changed ones (OrderStatusChanged), each with a filter. Each record passes one pipe's
filter; every pipe polls the whole stream."""
RECORDS_PER_ENRICHMENT = 1
"""Stream records per invocation of the enrichment function. The pipes' BatchSize is 10
(`infra/events.py`) with no batching window, so an invocation takes what one poll finds: at a
shop's rates (an order every few minutes) that is one record. One is the upper bound on
invocations."""
STREAM_SHARDS = 1
"""Open shards of the table's stream. DynamoDB gives each table partition a shard; a small
on-demand table is taken to have one. A table of N partitions multiplies the polling by N."""
STREAM_POLLS_PER_SECOND = Decimal(4)
"""GetRecords calls a pipe makes on each shard per second. AWS documents 4 a second for Lambda's
DynamoDB poller (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html) and no rate for
Pipes; the model assumes Pipes polls like Lambda."""
EVENT_DELIVERY_ALARMS = 4
"""Alarms `infra/events.py` adds beside `deployment.monitoring`'s: each pipe's ExecutionFailed,
the e-mail rule's FailedInvocations and the dead-letter queue's depth. Counted only while
`deployment.monitoring` lists none on those metrics (then its own are counted instead)."""
_EVENT_ALARM_NAMESPACES = frozenset({"AWS/EventBridge/Pipes", "AWS/Events", "AWS/SQS"})


def assumed_event_alarms(alarms: tuple[monitoring.Alarm, ...] = monitoring.ALARMS) -> int:
    """EVENT_DELIVERY_ALARMS while `monitoring` lists no alarm on a Pipes, EventBridge or SQS
    metric; none once it does (its alarms are then counted with the others)."""
    listed = any(alarm.namespace in _EVENT_ALARM_NAMESPACES for alarm in alarms)
    return 0 if listed else EVENT_DELIVERY_ALARMS


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
    secondary_indexes: int = len(SECONDARY_INDEXES)
    """Global secondary indexes projecting every attribute: each holds a copy of every order."""
    event_pipes: int = EVENT_PIPES
    stream_shards: int = STREAM_SHARDS
    stream_polls_per_second: Decimal = STREAM_POLLS_PER_SECOND
    enrichment_batch_size: int = RECORDS_PER_ENRICHMENT
    order_emails: bool = True
    """An address was given with `-c ordersEmail=...`: the rule e-mails every new order."""


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
        alarms=len(monitoring.ALARMS) + assumed_event_alarms(),
        dashboards=len(monitoring.DASHBOARDS),
        custom_metrics=len(monitoring.CUSTOM_METRICS),
        budgets=1 if observability.monthly_budget_usd else 0,
        throttle_rate_limit=Decimal(str(settings.api.throttle_rate_limit)),
    )
