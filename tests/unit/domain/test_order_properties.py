"""Properties of order validation: what is accepted round-trips through storage unchanged, and
what is refused names the offending field."""

from __future__ import annotations

import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from orders_api.adapters.sqlite import SQLiteOrderRepository
from orders_api.domain import NewOrder, Order
from orders_api.domain.ids import new_order_id

_printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40
)
skus = st.from_regex(r"\A[A-Z0-9][A-Z0-9-]{0,31}\Z")
line_items = st.fixed_dictionaries({"sku": skus, "quantity": st.integers(1, 999)})
addresses = st.fixed_dictionaries(
    {
        "name": _printable,
        "line1": _printable,
        "city": _printable,
        "postalCode": st.text(
            alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=20
        ),
        "country": st.from_regex(r"\A[A-Z]{2}\Z"),
    },
    optional={"line2": _printable, "region": _printable},
)
valid_bodies = st.fixed_dictionaries(
    {"items": st.lists(line_items, min_size=1, max_size=50)},
    optional={
        "shippingAddress": addresses,
        # Any text over lines: control characters but tab, line feed and carriage return are
        # refused (a terminal escape sequence starts with one).
        "note": st.text(
            alphabet=st.characters(
                blacklist_categories=("Cs", "Cc"), whitelist_characters="\t\n\r"
            ),
            max_size=500,
        ),
    },
)

# One way to break a valid body, and the field the refusal must name.
_breakages: list[tuple[str, Any, str]] = [
    ("items", [], "items"),
    ("note", "x" * 501, "note"),
    ("note", "\x1b[2J wiped your screen", "note"),
    ("note", "\x9b31m red in an 8-bit terminal", "note"),
    ("customerId", "mallory", "customerId"),
    ("items", [{"sku": "ok", "quantity": 1}], "items.0.sku"),
    ("items", [{"sku": "OK", "quantity": 0}], "items.0.quantity"),
    ("items", [{"sku": "OK", "quantity": 2.5}], "items.0.quantity"),
    ("items", [{"sku": "OK"}], "items.0.quantity"),
    ("shippingAddress", {"name": "A"}, "shippingAddress"),
]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(body=valid_bodies)
def test_every_accepted_order_round_trips_through_sqlite_unchanged(body: dict[str, Any]) -> None:
    new_order = NewOrder.model_validate_json(json.dumps(body))
    order = Order.place(new_order_id(), "alice", new_order, datetime.now(UTC))
    with tempfile.TemporaryDirectory() as directory:
        repository = SQLiteOrderRepository(Path(directory) / "orders.sqlite3")
        try:
            repository.insert(order)
            stored = repository.get(order.order_id)
        finally:
            repository.close()
    assert stored == order
    assert stored is not None
    assert stored.to_api() == order.to_api()


@settings(max_examples=150, deadline=None)
@given(body=valid_bodies, breakage=st.sampled_from(_breakages))
def test_every_refusal_names_the_field_that_broke_it(
    body: dict[str, Any], breakage: tuple[str, Any, str]
) -> None:
    field, value, named = breakage
    broken = body | {field: value}
    try:
        NewOrder.model_validate_json(json.dumps(broken))
    except ValidationError as error:
        locations = {".".join(str(part) for part in problem["loc"]) for problem in error.errors()}
        assert any(location.startswith(named) for location in locations), locations
    else:
        raise AssertionError(f"accepted a body with a broken {field!r}")
