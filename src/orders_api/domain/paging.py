"""Pages of orders, newest first, and the opaque token that asks for the next one.

A page ends after `limit` orders; its cursor names the last order returned (its creation time
and id), and the next page starts strictly after it in (createdAt, orderId) descending order.
The token a client sees is that cursor, base64url-encoded: opaque to the client, and checked on
the way back in, so that a token never reaches storage unless it names a well-formed position.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from orders_api.domain.errors import InvalidRequest
from orders_api.domain.ids import is_order_id
from orders_api.domain.order import Order, rfc3339_milliseconds

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_TOKEN_LENGTH = 256
TOKEN_RULE = "is not a token this API returned"  # noqa: S105 (a message, not a secret)
_CREATED_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@dataclass(frozen=True, slots=True)
class PageCursor:
    """The position of the last order of a page: its createdAt text and its id."""

    created_at: str
    order_id: str

    @classmethod
    def after(cls, order: Order) -> PageCursor:
        return cls(rfc3339_milliseconds(order.created_at), order.order_id)

    def to_token(self) -> str:
        text = json.dumps([self.created_at, self.order_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def from_token(cls, token: str, field: str = "nextToken") -> PageCursor:
        """The cursor a token names; InvalidRequest naming `field` for anything else."""
        invalid = InvalidRequest(field, TOKEN_RULE)
        if not token or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
            raise invalid
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        except (binascii.Error, ValueError):
            raise invalid from None
        if not (
            isinstance(decoded, list)
            and len(decoded) == 2
            and all(isinstance(part, str) for part in decoded)
        ):
            raise invalid
        created_at, order_id = decoded
        if not _CREATED_AT.fullmatch(created_at) or not is_order_id(order_id):
            raise invalid
        return cls(created_at, order_id)


class OrderList(BaseModel):
    """The body of `GET /orders`: a page of the caller's orders, newest first."""

    model_config = ConfigDict(frozen=True, alias_generator=to_camel, populate_by_name=True)

    orders: list[Order]
    next_token: str | None = Field(
        default=None,
        description="Where the next page starts (pass it as ?nextToken=); null on the last page",
    )


@dataclass(frozen=True, slots=True)
class OrderPage:
    """Up to a page of orders, newest first, and where the next page starts (None: no more)."""

    orders: tuple[Order, ...]
    next_cursor: PageCursor | None = None

    @classmethod
    def of(cls, newest_first: list[Order], limit: int) -> OrderPage:
        """The first `limit` orders of a list holding at most `limit + 1`: one more than the
        page is how every repository learns, without another round trip, that more exist."""
        page = tuple(newest_first[:limit])
        more = len(newest_first) > limit
        return cls(page, PageCursor.after(page[-1]) if more and page else None)

    def to_api(self) -> OrderList:
        """The page as the API returns it, the cursor as an opaque token."""
        token = None if self.next_cursor is None else self.next_cursor.to_token()
        return OrderList(orders=list(self.orders), next_token=token)


PAGE_SIZE_RULE = f"must be a whole number from 1 to {MAX_PAGE_SIZE}"


def page_size(limit: str | None) -> int:
    """The page size a query string asks for (`?limit=N`), or the default; InvalidRequest
    for anything but a whole number from 1 to MAX_PAGE_SIZE."""
    if limit is None:
        return DEFAULT_PAGE_SIZE
    if not (limit.isascii() and limit.isdigit() and len(limit) <= 3):
        raise InvalidRequest("limit", PAGE_SIZE_RULE)
    size = int(limit)
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidRequest("limit", PAGE_SIZE_RULE)
    return size


def sort_key(order: Order) -> tuple[str, str]:
    """Newest first is this key, descending."""
    return (rfc3339_milliseconds(order.created_at), order.order_id)


def follows(order: Order, cursor: PageCursor | None) -> bool:
    """Whether the order comes after the cursor's position in newest-first order."""
    return cursor is None or sort_key(order) < (cursor.created_at, cursor.order_id)
