"""docs/cost.md, generated from the model: the brief's scenarios, its claim tested, the sheet."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from orders_api.cost.deployed import Deployment
from orders_api.cost.lines import Basis, FreeTierMode, Service
from orders_api.cost.model import (
    AUTHORIZER_AND_THROTTLE_NOT_BILLED,
    DEPLOYED,
    EMAIL_RATE_LIMIT,
    EVENTS_PATH_BILLING,
    HTTP_API_HAS_NO_WAF,
    REST_WITHOUT_WAF,
    SECONDS_PER_MONTH,
    STATUS_CHANGE_INDEX_WRITES,
    STREAM_POLLING_ASSUMED,
    STREAM_READS_BY_PIPES_BILLED,
    WAF_BILLS_EVERY_EVALUATED_REQUEST,
    WAF_BLOCKED_UNDOCUMENTED,
    Assumptions,
    Estimate,
    compare,
    estimate,
)
from orders_api.cost.plot import waf_stops_being_largest
from orders_api.cost.prices import PriceSheet
from orders_api.cost.render import plural, rows, totals, usd
from orders_api.cost.scenarios import Scenario, scenarios, tokenless
from orders_api.cost.workload import BilledDuration

DOCS_COMMAND = "orders-api cost --markdown > docs/cost.md"
CLI = ".venv/bin/orders-api cost"
SNS_EMAIL_MESSAGES_PER_SECOND = 10
"""Above this, SNS suspends an e-mail subscription (see `model.EMAIL_RATE_LIMIT`)."""
_BACKEND = (Service.LAMBDA, Service.DYNAMODB, Service.EVENTBRIDGE, Service.SNS, Service.SQS)
"""What a request that gets past the front door costs: compute, storage, events and e-mail."""


def _table(estimates: Sequence[Estimate]) -> list[str]:
    header = [
        "Service",
        "Item",
        "Quantity (deployed)",
        "Basis",
        *(e.design.title for e in estimates),
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 3 + "---|" + "---:|" * len(estimates)]
    for service, item, quantity, basis, amounts in rows(estimates):
        lines.append(f"| {service} | {item} | {quantity} | {basis} | " + " | ".join(amounts) + " |")
    for name, values in totals(estimates):
        lines.append(f"| | **{name}** | | | " + " | ".join(f"**{v}**" for v in values) + " |")
    return lines


def _share(part: Decimal, whole: Decimal) -> str:
    return f"{part / whole:.0%}" if whole else "n/a"


def _claim(scenario: Scenario, deployment: Deployment, sheet: PriceSheet) -> list[str]:
    """The brief's claim for the small business, shown or refuted with numbers."""
    lines = ["### The brief's claim: “WAF becomes the largest fixed monthly cost”", ""]
    verdicts = []
    backend = Decimal(0)
    for mode in (FreeTierMode.ALWAYS, FreeTierMode.NONE):
        result = estimate(
            scenario.workload, deployment, sheet, DEPLOYED, Assumptions(free_tier=mode)
        )
        costs = result.by_service()
        waf = costs[Service.WAF]
        ranked = sorted(costs.items(), key=lambda item: item[1], reverse=True)
        runner_up = next((s, c) for s, c in ranked if s is not Service.WAF)
        fixed_waf = sum(
            (
                line.amount
                for line in result.lines
                if line.service is Service.WAF and line.basis is Basis.FIXED
            ),
            Decimal(0),
        )
        largest_fixed = max(
            (line for line in result.lines if line.basis is Basis.FIXED),
            key=lambda line: line.amount,
        )
        lines.append(
            f"- Free tier *{mode.value}* (`{CLI} --scenario {scenario.key} --free-tier "
            f"{mode.value}`): the month costs {usd(result.total)}; "
            f"WAF {usd(waf)} of it "
            f"({_share(waf, result.total)}), {usd(fixed_waf)} of which fixed (web ACL and "
            f"{deployment.waf_rules} rules) out of {usd(result.fixed)} fixed in all. Next largest "
            f"service: {runner_up[0].value} at {usd(runner_up[1])}. Largest fixed line: "
            f"{largest_fixed.label} ({usd(largest_fixed.amount)})."
        )
        verdicts.append(result.largest_service() is Service.WAF)
        backend = max(
            backend, costs.get(Service.LAMBDA, Decimal(0)) + costs.get(Service.DYNAMODB, Decimal(0))
        )
    verdict = "**Shown.**" if all(verdicts) else "**Refuted.**"
    lines += [
        "",
        f"{verdict} WAF is the largest cost "
        f"{'in both cases' if all(verdicts) else 'not in every case'}: "
        "it is the largest *fixed* cost and, at this traffic, the largest cost of any kind, while "
        f"Lambda and DynamoDB together cost at most {usd(backend)}.",
    ]
    crossing = waf_stops_being_largest(scenario.workload, deployment, sheet)
    if crossing is not None:
        requests, rival = crossing
        lines += [
            "",
            f"With this traffic's shape, WAF is the largest service below {requests:,.0f} "
            f"requests a month; from there {rival.value} costs more (free tier: always; "
            f"`{CLI} --scenario {scenario.key} --plot cost.png` draws it).",
        ]
    return lines


def _abuse_without_token(
    scenario: Scenario, deployment: Deployment, sheet: PriceSheet
) -> list[str]:
    with_token = compare(scenario.workload, deployment, sheet)
    without = compare(tokenless(scenario).workload, deployment, sheet)
    deployed, no_waf = with_token[0], with_token[2]
    bot_requests = scenario.workload.requests_per_month * scenario.workload.waf_blocked_share
    protected = sum((no_waf.by_service().get(s, Decimal(0)) for s in _BACKEND), Decimal(0))
    shielded = sum((deployed.by_service().get(s, Decimal(0)) for s in _BACKEND), Decimal(0))
    return [
        "",
        f"Without WAF, the bot's {bot_requests:,.0f} "
        "requests with a valid token would place orders: Lambda, DynamoDB, the events path and "
        f"the e-mails would cost {usd(protected)} instead of {usd(shielded)}, and the month "
        f"{usd(no_waf.total)} instead "
        f"of {usd(deployed.total)}. The stage throttle "
        f"({deployment.throttle_rate_limit} requests/s) "
        f"caps that damage at {deployment.throttle_rate_limit * SECONDS_PER_MONTH:,.0f} requests "
        "a month.",
        "",
        f"If the bots carry **no valid token** (`{CLI} --scenario {scenario.key} "
        "--valid-token-share 0`), the Cognito authorizer refuses them and "
        "API Gateway "
        f"bills nothing for it: without WAF the month costs {usd(without[2].total)}, with WAF "
        f"{usd(without[0].total)} — WAF then adds cost rather than saving it. WAF earns its price "
        "against authenticated abuse and bad inputs, not against anonymous floods.",
    ]


def _scenario_section(scenario: Scenario, deployment: Deployment, sheet: PriceSheet) -> list[str]:
    estimates = compare(scenario.workload, deployment, sheet)
    workload = scenario.workload
    lines = [
        f"## {scenario.title}",
        "",
        scenario.story,
        "",
        f"This table alone: `{CLI} --scenario {scenario.key}` (`--json` for the exact amounts).",
        "",
        f"Inputs: {workload.requests_per_month:,.0f} requests a month, "
        f"{workload.monthly_active_users:,} monthly active users, "
        f"{workload.waf_blocked_share:.2%} blocked by WAF, "
        f"{workload.unauthorized_share:.0%} refused by the authorizer, "
        f"{workload.invalid_share:.0%} by the validator, {workload.read_share:.0%} reads, "
        f"{workload.list_share:.0%} lists, {workload.status_changes_per_order} status change per "
        f"order placed, {workload.item_bytes} B per order, {workload.log_bytes_per_request} log "
        f"bytes per invocation, {workload.orders_already_stored:,} orders already stored. "
        "Free tier: always.",
        "",
        *_table(estimates),
    ]
    if scenario.peak_requests_per_second is not None:
        within = scenario.peak_requests_per_second <= deployment.throttle_rate_limit
        lines += [
            "",
            f"Peak near {scenario.peak_requests_per_second} requests/s: "
            + (
                f"within the stage throttle of {deployment.throttle_rate_limit}/s, "
                "so nothing needs "
                "scaling and no order is turned away."
                if within
                else f"above the stage throttle of {deployment.throttle_rate_limit}/s: the excess "
                "gets 429 (unbilled, but those orders are lost) — raise the throttle first."
            ),
        ]
        if deployment.order_emails and scenario.peak_requests_per_second > Decimal(
            SNS_EMAIL_MESSAGES_PER_SECOND
        ):
            lines += [
                "",
                f"**E-mail at the peak:** near {scenario.peak_requests_per_second} new orders a "
                f"second, the order e-mails exceed SNS's {SNS_EMAIL_MESSAGES_PER_SECOND} messages "
                "a second per e-mail subscription, and SNS suspends the subscription until it is "
                "confirmed again: the table prices every e-mail, but most of the day's would not "
                "be sent.",
            ]
    if scenario.key == "small-business":
        lines += ["", *_claim(scenario, deployment, sheet)]
    if scenario.key == "bot-abuse":
        lines += _abuse_without_token(scenario, deployment, sheet)
    return [*lines, ""]


def _price_sheet(sheet: PriceSheet) -> list[str]:
    lines = [
        f"## Price sheet ({sheet.region}, {sheet.currency})",
        "",
        "From `src/orders_api/cost/sheets/" + sheet.region + ".toml`; first band shown.",
        "",
        "| Price | First band | Per | Read on | Source |",
        "|---|---:|---|---|---|",
    ]
    for key, price in sheet.prices.items():
        per = f"{price.per:,.0f} {plural(price.unit, price.per)}" if price.per != 1 else price.unit
        lines.append(
            f"| `{key}` | ${price.tiers[0].price} | {per} | {price.read_on} | {price.source} |"
        )
    lines += ["", "Free tiers (the account's, applied only when asked):", ""]
    lines += ["| Allowance | Quantity | Term | Applies to |", "|---|---:|---|---|"]
    for key, allowance in sheet.free_tier.items():
        applies = ", ".join(f"`{name}`" for name in allowance.applies_to)
        quantity = f"{allowance.quantity:,} {plural(allowance.unit, allowance.quantity)}"
        lines.append(f"| `{key}` | {quantity} | {allowance.term} | {applies} |")
    return [*lines, ""]


def markdown_report(deployment: Deployment, sheet: PriceSheet, duration: BilledDuration) -> str:
    presets = scenarios(duration)
    lines = [
        "# What the Orders API costs a month",
        "",
        f"<!-- Generated by `{DOCS_COMMAND}` (or `make cost`); a unit test fails when it is "
        "out of date. Edit the model or the price sheet, never this file. -->",
        "",
        f"Every figure on this page comes from `make cost`, which runs `{CLI} --markdown > "
        "docs/cost.md`; each section names the command that prints its figures alone.",
        "",
        f"Prices: {sheet.region}, read {sheet.read_on.isoformat()}. Deployed configuration "
        f"(read from `orders_api.deployment`): {deployment.architecture} Lambda with "
        f"{deployment.function_memory_mb} MB, Cognito {deployment.cognito_plan.title()} plan, "
        f"{deployment.web_acls} web ACL with {deployment.waf_rules} billed rules, "
        f"{deployment.alarms} alarms, {deployment.dashboards} dashboard, "
        f"{deployment.custom_metrics} custom metrics, {deployment.budgets} budget, logs kept "
        f"{deployment.log_retention_days} days, "
        f"PITR {'on' if deployment.point_in_time_recovery else 'off'}, "
        f"X-Ray {'on' if deployment.tracing else 'off'}, stage throttle "
        f"{deployment.throttle_rate_limit} requests/s; {deployment.secondary_indexes} global "
        f"secondary indexes projecting every attribute, {deployment.event_pipes} pipes from the "
        f"table's stream ({deployment.stream_shards} shard, polled "
        f"{deployment.stream_polls_per_second} times a second by each) through an enrichment "
        f"function ({deployment.enrichment_batch_size} record per invocation) to a custom "
        "event bus, "
        f"{'an e-mail per new order through SNS' if deployment.order_emails else 'no e-mail'}.",
        "",
        f"Lambda billed duration: {duration.billed_ms} ms per invocation, {duration.origin}. "
        "AWS bills whole milliseconds, rounded up; on AWS a PutItem round trip adds a few "
        "milliseconds that this figure does not hold (`--billed-ms` to try others).",
        "",
        "Each table compares the deployed design with the alternatives the brief weighs: an "
        "HTTP API instead of REST (which cannot carry a WAF web ACL) and the REST API without "
        "WAF. *Fixed* lines are owed whatever the traffic; *variable* ones grow with requests, "
        "users or stored data.",
        "",
        "## What is billed, and what is assumed",
        "",
        f"- {AUTHORIZER_AND_THROTTLE_NOT_BILLED}",
        f"- {WAF_BILLS_EVERY_EVALUATED_REQUEST}",
        f"- {WAF_BLOCKED_UNDOCUMENTED} **Assumed: not billed** (`--apigw-bills-waf-blocked` "
        "prices the other case).",
        f"- {HTTP_API_HAS_NO_WAF}",
        "- Indexes: a new order writes the table and puts one entry into each of the "
        f"{deployment.secondary_indexes} global secondary indexes; as both project every "
        "attribute, each entry costs the order's write units and is stored again, with its "
        "100 bytes of overhead (https://docs.aws.amazon.com/amazondynamodb/latest/"
        "developerguide/GSI.html). A status change updates the table and changes byStatus's "
        "partition key (two index writes: delete the old entry, put the new) and byCustomer's "
        f"copy (one): {1 + STATUS_CHANGE_INDEX_WRITES} writes. Point-in-time recovery is billed on "
        "the table and its local indexes only (https://docs.aws.amazon.com/amazondynamodb/latest/"
        "developerguide/PointInTimeRecovery_Howitworks.html). GET /orders is one eventually "
        "consistent Query on byCustomer, billed on the page's total size rounded up to 4 KB "
        "(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/"
        "read-write-operations.html). Each placed order is taken to change status once "
        "(`status_changes_per_order`).",
        f"- {EVENTS_PATH_BILLING}",
        f"- {STREAM_READS_BY_PIPES_BILLED}",
        f"- {STREAM_POLLING_ASSUMED}",
        f"- {EMAIL_RATE_LIMIT}",
        "- The dead-letter queue costs nothing while deliveries succeed: each failed event is "
        "a SendMessage, then a ReceiveMessage and a DeleteMessage when drained "
        "(`--failed-share`, https://aws.amazon.com/sqs/pricing/). The topic and the queue use the "
        "stack's existing KMS key; KMS requests are not priced.",
        "- Free tiers belong to the account: *always* applies the allowances every account keeps "
        "(Lambda 1M requests and 400,000 GB-s, 25 GB of DynamoDB, 2,500,000 stream reads by "
        "non-Lambda consumers, 10,000 Cognito MAU, CloudWatch 10 metrics, 10 alarms, 3 "
        "dashboards, 5 GB of logs, SNS 1M requests and 1,000 e-mails, SQS 1M requests, 2 "
        "budgets); *none* shows what the stack adds to a busy account; *all* adds API Gateway's "
        "12-month offer.",
        "",
    ]
    for preset in presets:
        lines += _scenario_section(preset, deployment, sheet)
    bots = next(p for p in presets if p.key == "bot-abuse")
    billed = estimate(
        bots.workload, deployment, sheet, DEPLOYED, Assumptions(api_gateway_bills_waf_blocked=True)
    )
    lines += [
        "## If API Gateway did bill WAF-blocked requests",
        "",
        f"`{CLI} --scenario bot-abuse --apigw-bills-waf-blocked`: "
        f"the bot-abuse month would cost {usd(billed.total)} instead of "
        f"{usd(estimate(bots.workload, deployment, sheet).total)} with WAF, against "
        f"{usd(estimate(bots.workload, deployment, sheet, REST_WITHOUT_WAF).total)} without it.",
        "",
    ]
    lines += _price_sheet(sheet)
    return "\n".join(lines).rstrip() + "\n"
