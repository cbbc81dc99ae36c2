"""What the API is asked to do in a month: the model's inputs."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from orders_api.domain.paging import DEFAULT_PAGE_SIZE

BENCH_KEY = "warm_invoke_ms"
FALLBACK_BILLED_MS = Decimal(100)


@dataclass(frozen=True, slots=True)
class BilledDuration:
    """Lambda's billed duration per invocation and where the figure comes from."""

    milliseconds: Decimal
    origin: str

    @property
    def billed_ms(self) -> int:
        """AWS rounds each invocation's duration up to the next millisecond."""
        return max(1, math.ceil(self.milliseconds))


DEFAULT_BILLED_DURATION = BilledDuration(FALLBACK_BILLED_MS, f"default {FALLBACK_BILLED_MS} ms")
"""What a workload assumes when no measured figure is given."""


def billed_duration_from_bench(results: Path) -> BilledDuration:
    """The `warm_invoke_ms` figure of a Lambda benchmark results file (`bench/results/
    lambda.json`, written by `make bench`, or the twin's `lambda-durations.json`, from its
    REPORT lines), or the stated default when the file has none; its `source`, if it says."""
    try:
        document = json.loads(results.read_text())
        measured = document[BENCH_KEY]
        if measured is None:
            raise ValueError(BENCH_KEY)
    except (OSError, ValueError, KeyError, TypeError):
        return BilledDuration(
            FALLBACK_BILLED_MS,
            f"default {FALLBACK_BILLED_MS} ms: no `{BENCH_KEY}` in {results.as_posix()}",
        )
    measured_where = document.get("source") if isinstance(document, dict) else None
    return BilledDuration(
        Decimal(str(measured)),
        f"`{BENCH_KEY}` from {results.as_posix()} ("
        + (
            str(measured_where)
            if measured_where
            else "the handler in-process on the bench machine, storage round trip excluded"
        )
        + ")",
    )


def _share(name: str, value: Decimal) -> None:
    if not Decimal(0) <= value <= Decimal(1):
        raise ValueError(f"{name} must be between 0 and 1, not {value}")


@dataclass(frozen=True, slots=True)
class Workload:
    """A month of traffic. Shares are fractions of all requests arriving at the edge."""

    requests_per_month: Decimal
    monthly_active_users: int
    billed_duration: BilledDuration = DEFAULT_BILLED_DURATION
    waf_blocked_share: Decimal = Decimal(0)
    """Blocked by the web ACL (scanners, floods caught by the rate rule, bad inputs)."""
    unauthorized_share: Decimal = Decimal(0)
    """Refused by the Cognito authorizer: no token, a bad or an expired one."""
    invalid_share: Decimal = Decimal(0)
    """Refused by API Gateway's request validator (a body that breaks the model)."""
    read_share: Decimal = Decimal(0)
    """Of the requests that reach Lambda, the share that reads an order (GET /orders/{id}, one
    GetItem) instead of placing one (POST, one conditional PutItem)."""
    list_share: Decimal = Decimal(0)
    """Of the requests that reach Lambda, the share that lists the caller's orders (GET /orders,
    one eventually consistent Query on the byCustomer index). The rest of what is neither read
    nor list places an order."""
    orders_per_list: int = DEFAULT_PAGE_SIZE
    """Orders a list page returns: by default a full page of the API's default limit, an upper
    bound for customers with fewer orders."""
    status_changes_per_order: Decimal = Decimal(1)
    """Status changes (PLACED -> SHIPPED or CANCELLED, by an operator through the fulfil
    function) per order placed in the month: each order is shipped or cancelled once."""
    failed_event_share: Decimal = Decimal(0)
    """Of the events, the share that the pipe or the e-mail rule fails to deliver after its
    retries and sends to the dead-letter queue instead."""
    item_bytes: int = 1024
    """Average stored order, attribute names included; 1 KB is one write request unit."""
    log_bytes_per_request: int = 1500
    """CloudWatch Logs bytes per Lambda invocation: START/END/REPORT lines, the handler's
    structured log line and its EMF metrics."""
    orders_already_stored: int = 0
    """Orders in the table when the month begins. Nothing expires them: the month's new
    orders add to the storage billed, on average half of them over the month."""
    blocked_with_valid_token_share: Decimal = Decimal(0)
    """Without WAF: the share of what WAF would have blocked that carries a valid token and so
    reaches Lambda and DynamoDB. The rest is refused by the authorizer."""

    def __post_init__(self) -> None:
        if self.requests_per_month < 0 or self.monthly_active_users < 0:
            raise ValueError("requests and users cannot be negative")
        if self.item_bytes < 1 or self.log_bytes_per_request < 0:
            raise ValueError("an item has at least one byte; log bytes cannot be negative")
        if self.orders_already_stored < 0:
            raise ValueError("orders already stored cannot be negative")
        if self.orders_per_list < 0 or self.status_changes_per_order < 0:
            raise ValueError("orders per list and status changes per order cannot be negative")
        for name in (
            "waf_blocked_share",
            "unauthorized_share",
            "invalid_share",
            "read_share",
            "list_share",
            "failed_event_share",
            "blocked_with_valid_token_share",
        ):
            _share(name, getattr(self, name))
        if self.read_share + self.list_share > 1:
            raise ValueError(
                f"read and list shares add up to {self.read_share + self.list_share} > 1"
            )
        refused = self.waf_blocked_share + self.unauthorized_share + self.invalid_share
        if refused > 1:
            raise ValueError(f"blocked, unauthorized and invalid shares add up to {refused} > 1")
