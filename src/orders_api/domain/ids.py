"""Order identifiers: random and time-ordered, or derived from an idempotency key."""

from __future__ import annotations

import os
import time
import uuid

# A fixed namespace, so that (customer, key) maps to the same id in every process and region.
_IDEMPOTENT_NAMESPACE = uuid.UUID("6f1c1f0e-5a2b-4d43-9c1e-0a7d3b8e2f41")


def new_order_id() -> str:
    """A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits."""
    unix_ms = time.time_ns() // 1_000_000
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= int.from_bytes(os.urandom(10), "big") & ((1 << 80) - 1)
    value &= ~(0xF << 76)
    value |= 0x7 << 76
    value &= ~(0x3 << 62)
    value |= 0x2 << 62
    return str(uuid.UUID(int=value))


def idempotent_order_id(customer_id: str, idempotency_key: str) -> str:
    """The same (customer, key) always gives the same id; different customers never share one."""
    return str(uuid.uuid5(_IDEMPOTENT_NAMESPACE, f"{customer_id}\n{idempotency_key}"))


def is_order_id(value: str) -> bool:
    """Whether the text is an order id as this API writes one: a UUID in canonical form."""
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False
