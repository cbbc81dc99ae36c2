"""What the stack watches, as data: its alarms, its dashboard and the custom metrics it emits.

The CDK stack creates exactly these CloudWatch alarms and dashboards, and the cost model
prices exactly these (standard-resolution alarms at $0.10 each, dashboards at $3 beyond the
account's free three, custom metrics at $0.30 each): add an alarm here and both follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orders_api.deployment.routes import ROUTES

Resource = Literal["api", "create-function", "read-function", "table", "web-acl", "service"]
"""Which deployed resource supplies an alarm's metric dimensions; infra/ maps it to the
construct (the REST API stage, a function, the table, the web ACL, or the custom namespace)."""

Comparison = Literal[
    "GreaterThanOrEqualToThreshold",
    "GreaterThanThreshold",
    "LessThanThreshold",
    "LessThanOrEqualToThreshold",
]

CUSTOM_METRICS_NAMESPACE = "OrdersApi"
CUSTOM_METRICS: tuple[str, ...] = (
    "OrdersPlaced",
    "IdempotentReplays",
    "RejectedRequests",
    "StorageUnavailable",
    "StorageErrors",
)
"""The metrics the handler emits (Powertools EMF, dimension `service=orders-api`): each name
is one billed custom metric while it is emitted. A test keeps this list equal to the code."""


@dataclass(frozen=True, slots=True)
class Alarm:
    """One standard-resolution CloudWatch alarm on one metric (billed $0.10 per month)."""

    name: str
    resource: Resource
    namespace: str
    metric_name: str
    statistic: str
    """A statistic (Sum, Average, Maximum) or an extended one (p99)."""
    threshold: float
    comparison: Comparison
    description: str
    period_seconds: int = 300
    """At least 60: shorter periods make a high-resolution alarm, billed at $0.30."""
    evaluation_periods: int = 1
    treat_missing_data: Literal["notBreaching", "breaching", "ignore", "missing"] = "notBreaching"


def _function_alarms(function: Literal["create", "read"]) -> tuple[Alarm, ...]:
    resource: Resource = "create-function" if function == "create" else "read-function"
    return (
        Alarm(
            name=f"{function}-function-errors",
            resource=resource,
            namespace="AWS/Lambda",
            metric_name="Errors",
            statistic="Sum",
            threshold=1,
            comparison="GreaterThanOrEqualToThreshold",
            description=f"The {function} function raised an unhandled error.",
        ),
        Alarm(
            name=f"{function}-function-throttles",
            resource=resource,
            namespace="AWS/Lambda",
            metric_name="Throttles",
            statistic="Sum",
            threshold=1,
            comparison="GreaterThanOrEqualToThreshold",
            description=f"The {function} function hit its reserved concurrency (a cost cap).",
        ),
    )


_FUNCTIONS: tuple[Literal["create", "read"], ...] = tuple(
    sorted({route.function for route in ROUTES})
)

ALARMS: tuple[Alarm, ...] = (
    Alarm(
        name="api-5xx-errors",
        resource="api",
        namespace="AWS/ApiGateway",
        metric_name="5XXError",
        statistic="Sum",
        threshold=1,
        comparison="GreaterThanOrEqualToThreshold",
        description="The API answered with a server error.",
    ),
    Alarm(
        name="api-4xx-rate",
        resource="api",
        namespace="AWS/ApiGateway",
        metric_name="4XXError",
        statistic="Average",
        threshold=0.25,
        comparison="GreaterThanThreshold",
        description="Over a quarter of requests got a 4XX for 15 minutes: bad client or probe.",
        evaluation_periods=3,
    ),
    Alarm(
        name="api-latency-p99",
        resource="api",
        namespace="AWS/ApiGateway",
        metric_name="Latency",
        statistic="p99",
        threshold=3000,
        comparison="GreaterThanThreshold",
        description="One request in a hundred took more than 3 s end to end.",
        evaluation_periods=3,
    ),
    *(alarm for function in _FUNCTIONS for alarm in _function_alarms(function)),
    Alarm(
        name="orders-table-write-throttles",
        resource="table",
        namespace="AWS/DynamoDB",
        metric_name="WriteThrottleEvents",
        statistic="Sum",
        threshold=1,
        comparison="GreaterThanOrEqualToThreshold",
        description="Writes exceeded the table's maximum on-demand throughput (a cost cap).",
    ),
    Alarm(
        name="waf-blocked-requests-surge",
        resource="web-acl",
        namespace="AWS/WAFV2",
        metric_name="BlockedRequests",
        statistic="Sum",
        threshold=1000,
        comparison="GreaterThanOrEqualToThreshold",
        description="The web ACL blocked over 1,000 requests in 5 minutes: an attack or a bot.",
    ),
    Alarm(
        name="storage-unavailable",
        resource="service",
        namespace=CUSTOM_METRICS_NAMESPACE,
        metric_name="StorageUnavailable",
        statistic="Sum",
        threshold=1,
        comparison="GreaterThanOrEqualToThreshold",
        description="DynamoDB throttled or failed; clients got 503 with Retry-After.",
    ),
)

DASHBOARDS: tuple[str, ...] = ("OrdersApi",)
"""One operations dashboard: requests, errors, latency, WAF blocks, throttles."""
