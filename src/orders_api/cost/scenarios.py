"""The product brief's "Example cost behaviour", as workloads the model can price."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from orders_api.cost.workload import BilledDuration, Workload


@dataclass(frozen=True, slots=True)
class Scenario:
    key: str
    title: str
    story: str
    """What the brief says happens, and what the figures below assume."""
    workload: Workload
    peak_requests_per_second: Decimal | None = None
    """The busiest moment, compared with the stage throttle (the model prices monthly sums)."""
    burst_requests: Decimal = Decimal(0)
    """Of the month's requests, those that arrive together in the burst peaking at
    `peak_requests_per_second` (the rest are spread over the month): for cold starts."""


def scenarios(billed: BilledDuration) -> tuple[Scenario, ...]:
    legitimate = Decimal(10_000)
    unwanted = Decimal(5_000_000)
    promotion_day = Decimal(240_000)
    a_year_of_orders = 120_000
    return (
        Scenario(
            key="small-business",
            title="Small business",
            story=(
                "About 10,000 API requests a month from a few users, one DynamoDB write per "
                "request, a year of orders already in the table. The brief claims compute and "
                "database stay very small and WAF becomes the largest fixed monthly cost."
            ),
            workload=Workload(
                requests_per_month=legitimate,
                monthly_active_users=5,
                orders_already_stored=a_year_of_orders,
                billed_duration=billed,
            ),
        ),
        Scenario(
            key="promotion-day",
            title="Promotion day",
            story=(
                "A normal month plus one promotion day bringing 240,000 order requests from "
                "2,000 shoppers, most within four hours and peaking near 40 a second. The brief "
                "claims no scaling "
                "action is needed and cost rises only with the spike."
            ),
            workload=Workload(
                requests_per_month=legitimate + promotion_day,
                monthly_active_users=2_000,
                unauthorized_share=Decimal("0.02"),
                orders_already_stored=a_year_of_orders,
                billed_duration=billed,
            ),
            peak_requests_per_second=Decimal(40),
            burst_requests=promotion_day,
        ),
        Scenario(
            key="bot-abuse",
            title="Bot abuse",
            story=(
                "The normal 10,000 requests plus 5,000,000 unwanted ones in the month: a script "
                "replaying one customer's valid token far above the rate rule's 100 a minute. "
                "The brief claims WAF blocks them early and protects Lambda and DynamoDB."
            ),
            workload=Workload(
                requests_per_month=legitimate + unwanted,
                monthly_active_users=5,
                waf_blocked_share=unwanted / (legitimate + unwanted),
                blocked_with_valid_token_share=Decimal(1),
                orders_already_stored=a_year_of_orders,
                billed_duration=billed,
            ),
        ),
    )


def scenario(key: str, duration: BilledDuration) -> Scenario:
    for candidate in scenarios(duration):
        if candidate.key == key:
            return candidate
    raise KeyError(key)


def tokenless(bots: Scenario) -> Scenario:
    """The same abuse from clients without a valid token: the authorizer refuses it for free."""
    return replace(
        bots,
        key=f"{bots.key}-tokenless",
        title=f"{bots.title}, no valid token",
        workload=replace(bots.workload, blocked_with_valid_token_share=Decimal(0)),
    )
