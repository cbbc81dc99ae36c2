"""How the business is told of its orders: the bus, and the e-mail a new order sends.

Read by the CDK app (infra/events.py) and by the twin, which shows the same e-mail in its log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MAIL_PATHS = {"orderId": "$.detail.orderId", "createdAt": "$.detail.createdAt"}
"""What the e-mail quotes of an OrderPlaced event. An input transformer copies values, it does
not compute (no count of lines), and it does not escape them
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html):
only values the service generates, never the customer's free text, go into the message."""
MAIL_TEMPLATE = (
    '"New order <orderId>, placed at <createdAt> (UTC). '
    'The orders waiting to ship: orders-api ops orders list --status PLACED"'
)
"""A string template is quoted (same page); SNS sends it as the e-mail's body."""


def event_bus_name(stack_name: str) -> str:
    return f"{stack_name}-orders"


def mail_text(detail: Mapping[str, object]) -> str:
    """The e-mail's body for an OrderPlaced event's detail, as the input transformer fills
    `MAIL_TEMPLATE` in (each `<name>` replaced by the value at its path in `MAIL_PATHS`)."""

    def value(match: re.Match[str]) -> str:
        path = MAIL_PATHS[match.group(1)].removeprefix("$.detail.")
        return str(detail.get(path, ""))

    return re.sub(r"<(\w+)>", value, MAIL_TEMPLATE).strip('"')
