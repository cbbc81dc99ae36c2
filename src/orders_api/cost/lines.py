"""Line items of a monthly bill, and the account's free-tier allowances they draw on."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from orders_api.cost.prices import FreeAllowance, PriceSheet

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    """Round to the cent as AWS's bills and pricing examples do (half up)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class Service(StrEnum):
    API_GATEWAY = "API Gateway"
    LAMBDA = "Lambda"
    DYNAMODB = "DynamoDB"
    COGNITO = "Cognito"
    WAF = "WAF"
    CLOUDWATCH = "CloudWatch"
    EVENTBRIDGE = "EventBridge"
    SNS = "SNS"
    SQS = "SQS"
    XRAY = "X-Ray"
    BUDGETS = "Budgets"


class Basis(StrEnum):
    FIXED = "fixed"
    """Owed every month whatever the traffic: web ACL, rules, alarms, dashboards, budgets, and
    the pipes' polling of the table's stream."""
    VARIABLE = "variable"
    """Grows with requests, users or the data they leave behind."""


@dataclass(frozen=True, slots=True)
class LineItem:
    service: Service
    item: str
    price_key: str
    quantity: Decimal
    unit: str
    free_quantity: Decimal
    """The part of `quantity` the account's free tier covered."""
    amount: Decimal
    """Unrounded; round with `cents` only to show or to compare with a bill."""
    basis: Basis

    @property
    def label(self) -> str:
        return f"{self.service} · {self.item}"


class FreeTierMode(StrEnum):
    NONE = "none"
    """The stack's own cost: what it adds to an account whose free tier is already used up."""
    ALWAYS = "always"
    """The allowances every account keeps for ever (Lambda, DynamoDB, Cognito, CloudWatch...)."""
    ALL = "all"
    """Also the 12-month offers of accounts opened before AWS's July 2025 free-tier change."""


class FreeTierLedger:
    """What is left of each allowance this month; allowances shared by prices are drawn once."""

    def __init__(self, sheet: PriceSheet, mode: FreeTierMode) -> None:
        self._allowances: list[tuple[FreeAllowance, list[Decimal]]] = [
            (allowance, [allowance.quantity])
            for allowance in sheet.free_tier.values()
            if mode is FreeTierMode.ALL
            or (mode is FreeTierMode.ALWAYS and allowance.term == "always")
        ]

    def take(self, price_key: str, quantity: Decimal) -> Decimal:
        """Cover as much of `quantity` as the allowances for `price_key` still can; return it."""
        covered = Decimal(0)
        for allowance, remaining in self._allowances:
            if price_key in allowance.applies_to and quantity > covered:
                drawn = min(remaining[0], quantity - covered)
                remaining[0] -= drawn
                covered += drawn
        return covered
