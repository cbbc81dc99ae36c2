"""The order e-mail: the twin fills the deployed input transformer's template as EventBridge
does (each <name> replaced by the value at its path)."""

from __future__ import annotations

import re

from orders_api.deployment.order_events import MAIL_PATHS, MAIL_TEMPLATE, mail_text


def test_the_twins_e_mail_is_the_deployed_template_filled_in() -> None:
    detail = {"orderId": "0193-abc", "createdAt": "2026-12-01T09:30:00.000Z", "note": "<x>"}
    text = mail_text(detail)
    assert text == (
        "New order 0193-abc, placed at 2026-12-01T09:30:00.000Z (UTC). "
        "The orders waiting to ship: orders-api ops orders list --status PLACED"
    )
    assert "<" not in text


def test_every_placeholder_of_the_template_has_a_path() -> None:
    assert set(re.findall(r"<(\w+)>", MAIL_TEMPLATE)) == set(MAIL_PATHS)
    assert MAIL_TEMPLATE.startswith('"')
    assert MAIL_TEMPLATE.endswith('"')
