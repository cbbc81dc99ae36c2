"""Orders as the API accepts, stores and returns them.

Money never appears here: an order records what is ordered, priced later by the business.
Quantities are integers; DynamoDB rejects floats and so do we.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_serializer,
)
from pydantic.alias_generators import to_camel

from orders_api.domain.errors import IllegalTransition

SKU_PATTERN = r"^[A-Z0-9][A-Z0-9-]{0,31}$"
IDEMPOTENCY_KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,128}$")
IDEMPOTENCY_KEY_RULE = "must be 1-128 printable ASCII characters"
MAX_LINE_ITEMS = 50
MAX_QUANTITY = 999
MAX_NOTE_LENGTH = 500

Sku = Annotated[str, StringConstraints(pattern=SKU_PATTERN)]


def _integral_number(value: object) -> object:
    """JSON has one number type: 2.0 is the integer 2 (JSON Schema agrees), 2.5 is no integer.

    Strict mode still refuses strings and booleans; only a float with no fraction becomes int.
    """
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


Quantity = Annotated[int, BeforeValidator(_integral_number)]


def _text(max_length: int) -> StringConstraints:
    """Printable text without control characters (C0, DEL, C1), bounded so that an order stays
    one WRU."""
    return StringConstraints(
        min_length=1, max_length=max_length, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$"
    )


NOTE_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
"""A note may run over lines (tab, line feed and carriage return), but holds no other control
character: no terminal escape sequence reaches whoever prints it."""


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        strict=True,
    )


class _WireModel(_Model):
    """A model read from request bodies: camelCase names only, as the deployed request model
    (generated from these classes) accepts them; `shipping_address` is an unknown field."""

    model_config = ConfigDict(populate_by_name=False, validate_by_name=False)


class LineItem(_WireModel):
    """One SKU and how many of it."""

    sku: Sku = Field(description="Stock-keeping unit: upper-case letters, digits and dashes.")
    quantity: Quantity = Field(ge=1, le=MAX_QUANTITY, description="How many, 1-999.")

    def __repr__(self) -> str:
        return f"LineItem(sku={self.sku!r}, quantity={self.quantity!r})"


class Address(_WireModel):
    """Where the order ships to. Personal data: never logged."""

    name: Annotated[str, _text(100)]
    line1: Annotated[str, _text(200)]
    line2: Annotated[str, _text(200)] | None = None
    city: Annotated[str, _text(100)]
    region: Annotated[str, _text(100)] | None = None
    postal_code: Annotated[str, _text(20)]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        description="ISO 3166-1 alpha-2 country code."
    )

    def __repr__(self) -> str:
        return "Address(<personal data>)"


class NewOrder(_WireModel):
    """The body of `POST /orders`. The customer is the caller, never a field here."""

    items: list[LineItem] = Field(min_length=1, max_length=MAX_LINE_ITEMS)
    shipping_address: Address | None = None
    note: (
        Annotated[str, StringConstraints(max_length=MAX_NOTE_LENGTH, pattern=NOTE_PATTERN)] | None
    ) = None

    def __repr__(self) -> str:
        # Powertools formats a route's arguments into a debug message (an f-string) on every
        # request, logged or not: pydantic's generic repr of this body cost a tenth of a warm
        # invoke. Short, and it never shows personal data (the address, the note's text).
        note = None if self.note is None else f"<{len(self.note)} characters>"
        return (
            f"NewOrder(items={self.items!r}, shipping_address={self.shipping_address!r}, "
            f"note={note})"
        )

    def fingerprint(self) -> str:
        """A stable digest of the request's content, to tell an idempotent retry from a reuse."""
        canonical = _CANONICAL_JSON.encode(
            self.model_dump(mode="json", by_alias=True, exclude_none=True)
        )
        return hashlib.sha256(canonical.encode()).hexdigest()


_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""What `json.dumps` with these arguments writes, without building an encoder per call. Stored
fingerprints depend on this text: it must never change."""


class OrderStatus(StrEnum):
    """Where an order is: placed by a customer, then shipped or cancelled by the business."""

    PLACED = "PLACED"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"


NEXT_STATUSES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PLACED: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}
"""The only moves an order's status may make; SHIPPED and CANCELLED are final."""


def status_required_before(order_id: str, status: OrderStatus) -> OrderStatus:
    """The one status an order must be in to move to `status`; IllegalTransition when no
    status leads there (nothing becomes PLACED again)."""
    for source, targets in NEXT_STATUSES.items():
        if status in targets:
            return source
    raise IllegalTransition(order_id, None, status)


def rfc3339_milliseconds(moment: datetime) -> str:
    """The moment as every record and answer writes it: RFC 3339, UTC, to the millisecond,
    `Z`-suffixed, so that text order is time order."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_milliseconds(moment: datetime) -> datetime:
    """The moment in UTC to the millisecond: the precision every record keeps."""
    return moment.astimezone(UTC).replace(microsecond=moment.microsecond // 1000 * 1000)


class Order(_Model):
    """An order as stored and returned. `request_fingerprint` is stored, never returned."""

    order_id: str
    customer_id: str
    status: OrderStatus = OrderStatus.PLACED
    created_at: datetime
    items: list[LineItem] = Field(min_length=1, max_length=MAX_LINE_ITEMS)
    shipping_address: Address | None = None
    note: Annotated[str, StringConstraints(max_length=MAX_NOTE_LENGTH)] | None = None
    status_changed_at: datetime | None = None
    """When the business last moved the status; absent while the order is PLACED."""
    request_fingerprint: str = Field(exclude=True, repr=False)

    @field_serializer("created_at")
    def _created_at_text(self, value: datetime) -> str:
        return rfc3339_milliseconds(value)

    @field_serializer("status_changed_at")
    def _status_changed_at_text(self, value: datetime | None) -> str | None:
        return None if value is None else rfc3339_milliseconds(value)

    @classmethod
    def place(cls, order_id: str, customer_id: str, new_order: NewOrder, now: datetime) -> Order:
        return cls(
            order_id=order_id,
            customer_id=customer_id,
            created_at=to_milliseconds(now),
            items=new_order.items,
            shipping_address=new_order.shipping_address,
            note=new_order.note,
            request_fingerprint=new_order.fingerprint(),
        )

    def to_api(self) -> dict[str, object]:
        """The JSON body the API returns."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_record(self) -> dict[str, object]:
        """Everything storage keeps, as JSON-compatible values, fingerprint included."""
        record = self.to_api()
        record["requestFingerprint"] = self.request_fingerprint
        return record

    @classmethod
    def from_record(cls, record: dict[str, object]) -> Order:
        """Rebuild an order that storage returned. Storage is trusted; JSON types are coerced."""
        return cls.model_validate(record, strict=False)
