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
"""Billed on top of every table item and every index item (https://docs.aws.amazon.com/
amazondynamodb/latest/developerguide/GSI.html#GSI.StorageConsiderations)."""
WRU_BYTES = 1024
RRU_BYTES = 4096
EVENTUALLY_CONSISTENT_READ = Decimal("0.5")
STATUS_CHANGE_INDEX_WRITES = 3
"""Index writes of one status change, per index write unit. The DynamoDB developer guide
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes):
a write that changes an indexed key attribute takes two index writes (delete the old entry, put
the new one), and one that changes only projected attributes takes one. A status change changes
byStatus's partition key (two writes) and byCustomer's projected copy (one)."""
EVENT_CHUNK_BYTES = 64 * 1024
"""Pipes, event buses, SNS and SQS bill each started 64 KB of a payload as one request."""
EVENT_ENVELOPE_BYTES = 512
"""Besides the order itself: a stream record's keys and metadata, or an event's envelope."""
DEAD_LETTER_REQUESTS = 3
"""SendMessage into the queue, then ReceiveMessage and DeleteMessage when it is drained."""

# What AWS says, and what it does not; quoted in every estimate's notes.
AUTHORIZER_AND_THROTTLE_NOT_BILLED = (
    "API Gateway (REST) does not bill requests its Cognito authorizer refuses, nor throttled "
    "ones; it does bill requests its request validator refuses. Source: AWS re:Post, answer "
    "accepted and reviewed by AWS experts, https://repost.aws/questions/QU5y4fo-e3RWyU5r4VmyPIzA "
    "(the developer-guide page that used to say so, docs.aws.amazon.com/apigateway/latest/"
    "developerguide/api-gateway-pricing.html, has been removed). HTTP APIs are assumed alike."
)
STREAM_READS_BY_PIPES_BILLED = (
    "DynamoDB bills every GetRecords call on a stream as a streams read request unit ($0.02 per "
    "100,000) unless a Lambda trigger makes it; EventBridge Pipes is another kind of consumer, so "
    "its calls are billed, beyond the first 2,500,000 of each month "
    "(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
    "CostOptimization_StreamsUsage.html). A pipe polls whether or not orders arrive, so this is "
    "a fixed cost."
)
STREAM_POLLING_ASSUMED = (
    "AWS documents no polling rate for Pipes: the model takes Lambda's documented 4 GetRecords "
    "a second on each shard (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html), one "
    "open shard, and one poller per pipe. A table that has split into N partitions has N shards "
    "and pays N times as much."
)
EVENTS_PATH_BILLING = (
    "Every order placed and every status change is one stream record, one pipe request after the "
    "pipe's filter (records the filter drops are not charged, "
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes.html), one enrichment "
    "invocation (the pipes batch up to 10 records, but at a shop's rates a poll finds one: "
    "an upper bound) and one custom event on the bus, billed like a PutEvents "
    "(https://aws.amazon.com/pt/premiumsupport/knowledge-center/eventbridge-reduce-charges/). "
    "The e-mail rule's delivery to SNS in the same account adds no EventBridge charge; SNS bills "
    "the publish and the e-mail (https://aws.amazon.com/sns/pricing/)."
)
EMAIL_RATE_LIMIT = (
    "SNS suspends an e-mail subscription that receives more than 10 messages a second "
    "(https://docs.aws.amazon.com/sns/latest/dg/sns-email-notifications.html): above that rate of "
    "new orders the e-mails stop until the address confirms again. The model prices every e-mail."
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
    """Of the API's functions (create, read)."""
    writes: Decimal
    """Orders placed: one conditional PutItem each."""
    reads: Decimal
    lists: Decimal
    status_changes: Decimal
    """Conditional UpdateItems by the fulfil function, one invocation each."""
    events: Decimal
    """Stream records the pipes pass: orders placed plus status changes."""
    emails: Decimal
    failed_events: Decimal
    api_billed: Decimal

    @property
    def function_invocations(self) -> Decimal:
        """Every Lambda invocation: the API's, the pipes' enrichment and the fulfil function."""
        return self.invocations + self.events + self.status_changes


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
    writes = admitted * (1 - workload.read_share - workload.list_share)
    status_changes = writes * workload.status_changes_per_order
    events = writes + status_changes
    return Traffic(
        arriving=total,
        waf_evaluated=total if design.waf else Decimal(0),
        waf_blocked=blocked,
        throttled=(total - served) * reaching_share,
        unauthorized=unauthorized,
        validator_refused=validator_refused,
        invocations=invocations,
        writes=writes,
        reads=admitted * workload.read_share,
        lists=admitted * workload.list_share,
        status_changes=status_changes,
        events=events,
        emails=writes if deployment.order_emails else Decimal(0),
        failed_events=events * workload.failed_event_share,
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


def _function(
    biller: _Biller,
    workload: Workload,
    deployment: Deployment,
    invocations: Decimal,
    prefix: str = "",
) -> None:
    """Requests and GB-seconds of `invocations` of a function of the deployed memory and
    architecture, each billed the workload's duration. The account's free tier is drawn by the
    lines in the order they are billed: the API's functions first."""
    biller.bill(Service.LAMBDA, f"{prefix}requests", "lambda_requests", invocations, Basis.VARIABLE)
    gb_seconds = (
        invocations
        * Decimal(deployment.function_memory_mb)
        / Decimal(1024)
        * Decimal(workload.billed_duration.billed_ms)
        / Decimal(1000)
    )
    biller.bill(
        Service.LAMBDA,
        f"{prefix}duration ({deployment.architecture}, {deployment.function_memory_mb} MB)",
        f"lambda_duration_{deployment.architecture}",
        gb_seconds,
        Basis.VARIABLE,
    )


def _lambda(biller: _Biller, workload: Workload, deployment: Deployment, traffic: Traffic) -> None:
    _function(biller, workload, deployment, traffic.invocations)
    enrichments = traffic.events / Decimal(deployment.enrichment_batch_size)
    _function(biller, workload, deployment, enrichments, "event enrichment ")
    _function(biller, workload, deployment, traffic.status_changes, "fulfil ")


def _indexes(deployment: Deployment) -> str:
    count = deployment.secondary_indexes
    return f"{count} GSI{'' if count == 1 else 's'}"


def _dynamodb(
    biller: _Biller, workload: Workload, deployment: Deployment, traffic: Traffic
) -> None:
    # Both indexes project every attribute, so an index entry is as large as the order.
    wru_per_write = math.ceil(workload.item_bytes / WRU_BYTES)
    biller.bill(
        Service.DYNAMODB,
        "write request units",
        "dynamodb_write_request_units",
        traffic.writes * wru_per_write,
        Basis.VARIABLE,
    )
    if deployment.secondary_indexes:
        # A new order puts one entry into each index (GSI.html#GSI.ThroughputConsiderations.Writes).
        biller.bill(
            Service.DYNAMODB,
            f"index write request units ({_indexes(deployment)}, orders placed)",
            "dynamodb_write_request_units",
            traffic.writes * wru_per_write * deployment.secondary_indexes,
            Basis.VARIABLE,
        )
    # An UpdateItem is billed on the larger of the item's sizes before and after; the status
    # and its timestamp are taken to be inside `item_bytes`.
    index_writes = STATUS_CHANGE_INDEX_WRITES if deployment.secondary_indexes else 0
    biller.bill(
        Service.DYNAMODB,
        f"status change write request units (table + {index_writes} index writes)",
        "dynamodb_write_request_units",
        traffic.status_changes * wru_per_write * (1 + index_writes),
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
    if traffic.lists:
        # A Query is one read of the total size of the items it returns, rounded up to 4 KB
        # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html);
        # GSIs serve eventually consistent reads only.
        page_bytes = workload.orders_per_list * workload.item_bytes
        rru_per_list = math.ceil(page_bytes / RRU_BYTES) * EVENTUALLY_CONSISTENT_READ
        biller.bill(
            Service.DYNAMODB,
            f"list read request units (Query, {workload.orders_per_list} orders a page)",
            "dynamodb_read_request_units",
            traffic.lists * rru_per_list,
            Basis.VARIABLE,
        )
    average_orders = workload.orders_already_stored + traffic.writes / 2
    stored_gb = average_orders * (workload.item_bytes + DYNAMODB_ITEM_OVERHEAD_BYTES) / GIB
    biller.bill(Service.DYNAMODB, "storage", "dynamodb_storage", stored_gb, Basis.VARIABLE)
    if deployment.secondary_indexes:
        biller.bill(
            Service.DYNAMODB,
            f"index storage ({_indexes(deployment)})",
            "dynamodb_storage",
            stored_gb * deployment.secondary_indexes,
            Basis.VARIABLE,
        )
    if deployment.point_in_time_recovery:
        # PITR is billed on the table's data and local secondary indexes, not on GSIs
        # (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery_Howitworks.html).
        biller.bill(
            Service.DYNAMODB, "point-in-time recovery", "dynamodb_pitr", stored_gb, Basis.VARIABLE
        )
    if deployment.event_pipes:
        polls = (
            Decimal(deployment.event_pipes * deployment.stream_shards)
            * deployment.stream_polls_per_second
            * SECONDS_PER_MONTH
        )
        biller.bill(
            Service.DYNAMODB,
            f"stream reads ({deployment.event_pipes} pipes polling)",
            "dynamodb_stream_read_request_units",
            polls,
            Basis.FIXED,
        )


def _chunks(payload_bytes: int) -> int:
    return math.ceil(payload_bytes / EVENT_CHUNK_BYTES)


def _events(biller: _Biller, workload: Workload, deployment: Deployment, traffic: Traffic) -> None:
    """The stream's records through the pipes to the bus, the e-mail per order, the DLQ."""
    if deployment.event_pipes:
        # A NEW_AND_OLD_IMAGES record holds the order twice (none before an INSERT: an upper bound).
        record_chunks = _chunks(2 * workload.item_bytes + EVENT_ENVELOPE_BYTES)
        biller.bill(
            Service.EVENTBRIDGE,
            "pipe requests",
            "eventbridge_pipes_requests",
            traffic.events * record_chunks,
            Basis.VARIABLE,
        )
        event_chunks = _chunks(workload.item_bytes + EVENT_ENVELOPE_BYTES)
        biller.bill(
            Service.EVENTBRIDGE,
            "custom events (pipes to the bus)",
            "eventbridge_custom_events",
            traffic.events * event_chunks,
            Basis.VARIABLE,
        )
    if deployment.order_emails:
        biller.bill(
            Service.SNS, "publishes (rule to topic)", "sns_requests", traffic.emails, Basis.VARIABLE
        )
        biller.bill(
            Service.SNS,
            "e-mail notifications",
            "sns_email_notifications",
            traffic.emails,
            Basis.VARIABLE,
        )
    if traffic.failed_events:
        biller.bill(
            Service.SQS,
            "dead-letter queue requests",
            "sqs_requests",
            traffic.failed_events * DEAD_LETTER_REQUESTS * _chunks(workload.item_bytes),
            Basis.VARIABLE,
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
    ingested_gb = traffic.function_invocations * workload.log_bytes_per_request / GIB
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
    notes += [EVENTS_PATH_BILLING, STREAM_READS_BY_PIPES_BILLED, STREAM_POLLING_ASSUMED]
    if deployment.order_emails:
        notes.append(EMAIL_RATE_LIMIT)
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
    _events(biller, workload, deployment, traffic)
    _cognito(biller, workload, deployment)
    if design.waf:
        _waf(biller, deployment, traffic)
    _cloudwatch(biller, workload, deployment, traffic)
    _xray(biller, deployment, traffic)
    _budgets(biller, deployment)
    notes = _notes(workload, design, assumptions, traffic, deployment)
    return Estimate(design, workload, traffic, tuple(biller.lines), notes)
