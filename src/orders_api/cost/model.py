"""The cost model: a workload through a design, priced line by line from the price sheet.

Money is Decimal throughout and never rounded inside the model; `lines.cents` rounds for show.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from orders_api.cost.deployed import Deployment
from orders_api.cost.lines import Basis, FreeTierLedger, FreeTierMode, LineItem, Service
from orders_api.cost.prices import PriceSheet
from orders_api.cost.workload import Workload

HOURS_PER_MONTH = Decimal(730)
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
DAYS_PER_MONTH = Decimal(365) / Decimal(12)
GIB = Decimal(2**30)
DYNAMODB_ITEM_OVERHEAD_BYTES = 100
WRU_BYTES = 1024
RRU_BYTES = 4096
EVENTUALLY_CONSISTENT_READ = Decimal("0.5")

# What AWS says, and what it does not; quoted in every estimate's notes.
AUTHORIZER_AND_THROTTLE_NOT_BILLED = (
    "API Gateway (REST) does not bill requests its Cognito authorizer refuses, nor throttled "
    "ones; it does bill requests its request validator refuses. Source: AWS re:Post, answer "
    "accepted and reviewed by AWS experts, https://repost.aws/questions/QU5y4fo-e3RWyU5r4VmyPIzA "
    "(the developer-guide page that used to say so, docs.aws.amazon.com/apigateway/latest/"
    "developerguide/api-gateway-pricing.html, has been removed). HTTP APIs are assumed alike."
)
WAF_BILLS_EVERY_EVALUATED_REQUEST = (
    "WAF bills every request its web ACL evaluates, blocked ones included "
    "(https://aws.amazon.com/waf/pricing/)."
)
WAF_BLOCKED_UNDOCUMENTED = (
    "AWS does not document whether API Gateway bills requests WAF blocks. API Gateway consults "
    "WAF rather than sitting behind it, and blocked requests do appear in its access logs "
    "(https://repost.aws/questions/QUT-Ts0igfSrCdZdWeuzwLCA)."
)
HTTP_API_HAS_NO_WAF = (
    "A regional web ACL can protect a REST API but not an HTTP API "
    "(https://docs.aws.amazon.com/waf/latest/developerguide/"
    "web-acl-associating-aws-resource.html), "
    "and HTTP APIs have no request validator: with HTTP API, what WAF blocked reaches the "
    "authorizer and invalid bodies reach Lambda."
)


class ApiKind(StrEnum):
    REST = "REST"
    HTTP = "HTTP"


@dataclass(frozen=True, slots=True)
class Design:
    """Which front door the traffic meets: the deployed one or an alternative the brief weighs."""

    key: str
    title: str
    api: ApiKind
    waf: bool


DEPLOYED = Design("deployed", "REST API + WAF (deployed)", ApiKind.REST, waf=True)
HTTP_API = Design("http_api", "HTTP API (no WAF possible)", ApiKind.HTTP, waf=False)
REST_WITHOUT_WAF = Design("rest_without_waf", "REST API without WAF", ApiKind.REST, waf=False)
DESIGNS: tuple[Design, ...] = (DEPLOYED, HTTP_API, REST_WITHOUT_WAF)


@dataclass(frozen=True, slots=True)
class Assumptions:
    free_tier: FreeTierMode = FreeTierMode.ALWAYS
    api_gateway_bills_waf_blocked: bool = False
    """Undocumented by AWS; the model states which way it assumed."""


@dataclass(frozen=True, slots=True)
class Traffic:
    """Where a month's requests end up. Counts are monthly averages, hence Decimal."""

    arriving: Decimal
    waf_evaluated: Decimal
    waf_blocked: Decimal
    throttled: Decimal
    unauthorized: Decimal
    validator_refused: Decimal
    invocations: Decimal
    writes: Decimal
    reads: Decimal
    api_billed: Decimal


def route_traffic(
    workload: Workload, design: Design, deployment: Deployment, assumptions: Assumptions
) -> Traffic:
    total = workload.requests_per_month
    # The stage throttle caps what gets past WAF; throttled requests are neither billed nor run.
    # It caps the volume served, rather than scaling each count by a quotient, so that every
    # count stays a non-decreasing function of the traffic, to the last digit.
    reaching_share = 1 - workload.waf_blocked_share if design.waf else Decimal(1)
    ceiling = deployment.throttle_rate_limit * SECONDS_PER_MONTH
    served = min(total, ceiling / reaching_share) if reaching_share else total
    would_block = served * workload.waf_blocked_share
    unauthorized = served * workload.unauthorized_share
    invalid = served * workload.invalid_share
    if design.waf:
        blocked = total * workload.waf_blocked_share
        admitted = served - would_block - unauthorized - invalid
    else:
        blocked = Decimal(0)
        with_token = would_block * workload.blocked_with_valid_token_share
        unauthorized += would_block - with_token
        admitted = served - unauthorized - invalid
    if design.api is ApiKind.REST:
        validator_refused, invocations = invalid, admitted
    else:
        validator_refused, invocations = Decimal(0), admitted + invalid
    bills_blocked = design.waf and assumptions.api_gateway_bills_waf_blocked
    return Traffic(
        arriving=total,
        waf_evaluated=total if design.waf else Decimal(0),
        waf_blocked=blocked,
        throttled=(total - served) * reaching_share,
        unauthorized=unauthorized,
        validator_refused=validator_refused,
        invocations=invocations,
        writes=admitted * (1 - workload.read_share),
        reads=admitted * workload.read_share,
        api_billed=admitted + invalid + (blocked if bills_blocked else Decimal(0)),
    )


@dataclass(slots=True)
class _Biller:
    sheet: PriceSheet
    ledger: FreeTierLedger
    lines: list[LineItem] = field(default_factory=list)

    def bill(
        self,
        service: Service,
        item: str,
        price_key: str,
        quantity: Decimal,
        basis: Basis,
        *,
        unit: str | None = None,
        scale: Decimal = Decimal(1),
    ) -> None:
        """Price `quantity` net of the free tier, which covers its first units (AWS's bands
        count from zero with the free units in them); `scale` converts to the price's unit."""
        price = self.sheet[price_key]
        free = self.ledger.take(price_key, quantity)
        amount = price.charge(quantity * scale) - price.charge(free * scale)
        self.lines.append(
            LineItem(service, item, price_key, quantity, unit or price.unit, free, amount, basis)
        )


def _api_gateway(biller: _Biller, design: Design, traffic: Traffic) -> None:
    key = "api_gateway_rest_requests" if design.api is ApiKind.REST else "api_gateway_http_requests"
    biller.bill(Service.API_GATEWAY, "requests", key, traffic.api_billed, Basis.VARIABLE)


def _lambda(biller: _Biller, workload: Workload, deployment: Deployment, traffic: Traffic) -> None:
    biller.bill(Service.LAMBDA, "requests", "lambda_requests", traffic.invocations, Basis.VARIABLE)
    gb_seconds = (
        traffic.invocations
        * Decimal(deployment.function_memory_mb)
        / Decimal(1024)
        * Decimal(workload.billed_duration.billed_ms)
        / Decimal(1000)
    )
    biller.bill(
        Service.LAMBDA,
        f"duration ({deployment.architecture}, {deployment.function_memory_mb} MB)",
        f"lambda_duration_{deployment.architecture}",
        gb_seconds,
        Basis.VARIABLE,
    )


def _dynamodb(
    biller: _Biller, workload: Workload, deployment: Deployment, traffic: Traffic
) -> None:
    wru_per_write = math.ceil(workload.item_bytes / WRU_BYTES)
    biller.bill(
        Service.DYNAMODB,
        "write request units",
        "dynamodb_write_request_units",
        traffic.writes * wru_per_write,
        Basis.VARIABLE,
    )
    if traffic.reads:
        rru_per_read = math.ceil(workload.item_bytes / RRU_BYTES) * EVENTUALLY_CONSISTENT_READ
        biller.bill(
            Service.DYNAMODB,
            "read request units",
            "dynamodb_read_request_units",
            traffic.reads * rru_per_read,
            Basis.VARIABLE,
        )
    average_orders = workload.orders_already_stored + traffic.writes / 2
    stored_gb = average_orders * (workload.item_bytes + DYNAMODB_ITEM_OVERHEAD_BYTES) / GIB
    biller.bill(Service.DYNAMODB, "storage", "dynamodb_storage", stored_gb, Basis.VARIABLE)
    if deployment.point_in_time_recovery:
        biller.bill(
            Service.DYNAMODB, "point-in-time recovery", "dynamodb_pitr", stored_gb, Basis.VARIABLE
        )


def _cognito(biller: _Biller, workload: Workload, deployment: Deployment) -> None:
    key = f"cognito_{deployment.cognito_plan.lower()}_mau"
    users = Decimal(workload.monthly_active_users)
    biller.bill(
        Service.COGNITO, f"{deployment.cognito_plan.title()} plan users", key, users, Basis.VARIABLE
    )


def _waf(biller: _Biller, deployment: Deployment, traffic: Traffic) -> None:
    biller.bill(Service.WAF, "web ACL", "waf_web_acl", Decimal(deployment.web_acls), Basis.FIXED)
    rules = Decimal(deployment.waf_rules * deployment.web_acls)
    biller.bill(Service.WAF, "rules and rule groups", "waf_rules", rules, Basis.FIXED)
    biller.bill(
        Service.WAF, "requests evaluated", "waf_requests", traffic.waf_evaluated, Basis.VARIABLE
    )


def _cloudwatch(
    biller: _Biller, workload: Workload, deployment: Deployment, traffic: Traffic
) -> None:
    ingested_gb = traffic.invocations * workload.log_bytes_per_request / GIB
    biller.bill(
        Service.CLOUDWATCH, "logs ingested", "cloudwatch_logs_ingested", ingested_gb, Basis.VARIABLE
    )
    retained_months = Decimal(deployment.log_retention_days) / DAYS_PER_MONTH
    biller.bill(
        Service.CLOUDWATCH,
        f"logs stored ({deployment.log_retention_days} days)",
        "cloudwatch_logs_stored",
        ingested_gb * retained_months,
        Basis.VARIABLE,
    )
    biller.bill(
        Service.CLOUDWATCH, "alarms", "cloudwatch_alarms", Decimal(deployment.alarms), Basis.FIXED
    )
    biller.bill(
        Service.CLOUDWATCH,
        "dashboard",
        "cloudwatch_dashboards",
        Decimal(deployment.dashboards),
        Basis.FIXED,
    )
    biller.bill(
        Service.CLOUDWATCH,
        "custom metrics",
        "cloudwatch_custom_metrics",
        Decimal(deployment.custom_metrics),
        Basis.FIXED,
    )


def _xray(biller: _Biller, deployment: Deployment, traffic: Traffic) -> None:
    if deployment.tracing:
        biller.bill(
            Service.XRAY,
            "traces recorded",
            "xray_traces_recorded",
            traffic.invocations,
            Basis.VARIABLE,
        )


def _budgets(biller: _Biller, deployment: Deployment) -> None:
    biller.bill(
        Service.BUDGETS,
        "budgets",
        "budgets",
        Decimal(deployment.budgets),
        Basis.FIXED,
        unit="budget",
        scale=DAYS_PER_MONTH,
    )


@dataclass(frozen=True, slots=True)
class Estimate:
    design: Design
    workload: Workload
    traffic: Traffic
    lines: tuple[LineItem, ...]
    notes: tuple[str, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def fixed(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.basis is Basis.FIXED), Decimal(0))

    @property
    def variable(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.basis is Basis.VARIABLE), Decimal(0))

    def by_service(self) -> dict[Service, Decimal]:
        totals: dict[Service, Decimal] = defaultdict(Decimal)
        for line in self.lines:
            totals[line.service] += line.amount
        return dict(totals)

    def largest_service(self) -> Service:
        """The service that costs most; on a tie, the one listed first."""
        totals = self.by_service()
        return max(totals, key=lambda service: totals[service])


def _notes(
    workload: Workload,
    design: Design,
    assumptions: Assumptions,
    traffic: Traffic,
    deployment: Deployment,
) -> tuple[str, ...]:
    notes = [AUTHORIZER_AND_THROTTLE_NOT_BILLED]
    if design.waf:
        billed = "billed" if assumptions.api_gateway_bills_waf_blocked else "not billed"
        notes += [
            WAF_BILLS_EVERY_EVALUATED_REQUEST,
            f"{WAF_BLOCKED_UNDOCUMENTED} Assumed here: {billed} by API Gateway.",
        ]
    else:
        share = workload.blocked_with_valid_token_share
        notes.append(
            f"Without WAF, {share:.0%} of what WAF would block is taken to carry a valid token "
            "and reach Lambda and DynamoDB; the rest is refused by the authorizer, unbilled."
        )
    if design.api is ApiKind.HTTP:
        notes.append(HTTP_API_HAS_NO_WAF)
    duration = workload.billed_duration
    notes.append(
        f"Lambda billed duration: {duration.billed_ms} ms per invocation, {duration.origin}."
    )
    notes.append(
        f"Free tier: {assumptions.free_tier.value} ({_FREE_TIER_MEANING[assumptions.free_tier]})."
    )
    if traffic.throttled:
        notes.append(
            f"The stage throttle ({deployment.throttle_rate_limit} requests/s) turns away "
            f"{traffic.throttled:,.0f} requests a month on average; they are neither billed "
            "nor run."
        )
    return tuple(notes)


_FREE_TIER_MEANING = {
    FreeTierMode.NONE: "the stack's own cost, in an account whose free tier is used up",
    FreeTierMode.ALWAYS: "the always-free allowances of an account that runs nothing else",
    FreeTierMode.ALL: "also the 12-month offers of accounts opened before July 2025",
}


def compare(
    workload: Workload,
    deployment: Deployment,
    sheet: PriceSheet,
    assumptions: Assumptions = Assumptions(),
) -> tuple[Estimate, ...]:
    """The deployed design first, then each alternative the brief weighs."""
    return tuple(estimate(workload, deployment, sheet, design, assumptions) for design in DESIGNS)


def estimate(
    workload: Workload,
    deployment: Deployment,
    sheet: PriceSheet,
    design: Design = DEPLOYED,
    assumptions: Assumptions = Assumptions(),
) -> Estimate:
    traffic = route_traffic(workload, design, deployment, assumptions)
    biller = _Biller(sheet, FreeTierLedger(sheet, assumptions.free_tier))
    _api_gateway(biller, design, traffic)
    _lambda(biller, workload, deployment, traffic)
    _dynamodb(biller, workload, deployment, traffic)
    _cognito(biller, workload, deployment)
    if design.waf:
        _waf(biller, deployment, traffic)
    _cloudwatch(biller, workload, deployment, traffic)
    _xray(biller, deployment, traffic)
    _budgets(biller, deployment)
    notes = _notes(workload, design, assumptions, traffic, deployment)
    return Estimate(design, workload, traffic, tuple(biller.lines), notes)
