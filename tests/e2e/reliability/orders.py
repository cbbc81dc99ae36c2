"""Orders the reliability tests place: one body per idempotency key, personal data registered.

The body is a function of the key, so a retry with the same key is the same request, and the
note carries the key, so that storage can be counted by key without trusting order ids.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tests.e2e import log_secrets

NOTE_PREFIX = "key="
UNLIMITED_RATE = ("--rate-limit", "2000000000")
"""The deployed rate rule (100 per minute per client) would stop any load test after 100."""


def order_body(key: str) -> dict[str, Any]:
    """A valid order for this key, with a shipping address (personal data, registered)."""
    digest = hashlib.sha256(key.encode()).hexdigest()
    address = {
        "name": f"Reliability Customer {digest[:10]}",
        "line1": f"{int(digest[10:14], 16)} Durable Street {digest[14:22]}",
        "city": "Testville",
        "postalCode": f"PC{digest[22:30].upper()}",
        "country": "GB",
    }
    log_secrets.register("shipping address", address["name"], address["line1"])
    log_secrets.register("shipping address", address["postalCode"])
    return {
        "items": [{"sku": f"SKU-{digest[:6].upper()}", "quantity": 1 + int(digest[30:32], 16) % 9}],
        "shippingAddress": address,
        "note": f"{NOTE_PREFIX}{key}",
    }


def key_of(record: dict[str, Any]) -> str:
    """The idempotency key an order placed with `order_body` was placed with."""
    note = str(record.get("note", ""))
    assert note.startswith(NOTE_PREFIX), note
    return note[len(NOTE_PREFIX) :]
