"""The order rules: what a NewOrder accepts and refuses, and how an Order is shown and stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from orders_api.domain import LineItem, NewOrder, Order
from tests.fakes import IRISH_ADDRESS


def _order_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "items": [{"sku": "TSHIRT-RED-M", "quantity": 2}],
        "shippingAddress": dict(IRISH_ADDRESS),
        "note": "select the blue one; drop it at the door",
    }
    body.update(overrides)
    return body


def _fields_named_by(error: ValidationError) -> set[str]:
    return {".".join(str(part) for part in problem["loc"]) for problem in error.errors()}


def test_a_typical_order_is_accepted_with_camel_case_fields() -> None:
    order = NewOrder.model_validate(_order_body())
    assert order.items[0].sku == "TSHIRT-RED-M"
    assert order.shipping_address is not None
    assert order.shipping_address.postal_code == "T12 X2Y3"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_order_body(items=[]), "items"),
        (_order_body(items=[{"sku": "A", "quantity": 1}] * 51), "items"),
        (_order_body(items=[{"sku": "lower-case", "quantity": 1}]), "items.0.sku"),
        (_order_body(items=[{"sku": "-LEADING", "quantity": 1}]), "items.0.sku"),
        (_order_body(items=[{"sku": "A" * 33, "quantity": 1}]), "items.0.sku"),
        (_order_body(items=[{"sku": "A", "quantity": 0}]), "items.0.quantity"),
        (_order_body(items=[{"sku": "A", "quantity": 1000}]), "items.0.quantity"),
        (_order_body(items=[{"sku": "A", "quantity": 1.5}]), "items.0.quantity"),
        (_order_body(items=[{"sku": "A", "quantity": "2"}]), "items.0.quantity"),
        (_order_body(items=[{"sku": "A", "quantity": True}]), "items.0.quantity"),
        (_order_body(items=[{"sku": "A", "quantity": 1, "price": 100}]), "items.0.price"),
        (_order_body(note="x" * 501), "note"),
        (_order_body(customerId="someone-else"), "customerId"),
        (_order_body(shippingAddress={"name": "A", "line1": "B", "city": "C"}), "shippingAddress"),
    ],
)
def test_an_invalid_order_is_refused_naming_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        NewOrder.model_validate(body)
    named = _fields_named_by(raised.value)
    assert any(name == field or name.startswith(field + ".") for name in named), named


def test_control_characters_in_an_address_are_refused() -> None:
    address = _order_body()["shippingAddress"] | {"line1": "12 Harbour\x00Road"}
    with pytest.raises(ValidationError) as raised:
        NewOrder.model_validate(_order_body(shippingAddress=address))
    assert "shippingAddress.line1" in _fields_named_by(raised.value)


def test_the_fingerprint_ignores_key_order_but_not_content() -> None:
    first = NewOrder.model_validate(_order_body())
    reordered = NewOrder.model_validate(dict(reversed(list(_order_body().items()))))
    changed = NewOrder.model_validate(_order_body(note="ring twice"))
    assert first.fingerprint() == reordered.fingerprint()
    assert first.fingerprint() != changed.fingerprint()


def test_an_order_round_trips_through_its_stored_record_unchanged() -> None:
    placed_at = datetime(2026, 11, 25, 15, 0, 0, 123000, tzinfo=UTC)
    order = Order.place("order-1", "customer-1", NewOrder.model_validate(_order_body()), placed_at)
    assert Order.from_record(order.to_record()) == order


def test_the_api_view_shows_rfc3339_utc_and_hides_the_fingerprint() -> None:
    placed_at = datetime(2026, 11, 25, 15, 0, 0, tzinfo=UTC)
    order = Order.place("order-1", "customer-1", NewOrder.model_validate(_order_body()), placed_at)
    view = order.to_api()
    assert view["createdAt"] == "2026-11-25T15:00:00.000Z"
    assert view["status"] == "PLACED"
    assert view["customerId"] == "customer-1"
    assert "requestFingerprint" not in view


def test_a_typical_order_is_stored_in_well_under_one_kilobyte() -> None:
    placed_at = datetime(2026, 11, 25, 15, 0, 0, tzinfo=UTC)
    order = Order.place(
        "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "7d0e20a8-374a-4b70-8c62-1b2d5a6f0b1e",
        NewOrder.model_validate(_order_body()),
        placed_at,
    )
    import json

    assert len(json.dumps(order.to_record()).encode()) < 1024


def test_snake_case_field_names_are_unknown_fields_as_in_the_deployed_request_model() -> None:
    body = _order_body()
    body["shipping_address"] = body.pop("shippingAddress")
    with pytest.raises(ValidationError) as raised:
        NewOrder.model_validate(body)
    assert "shipping_address" in _fields_named_by(raised.value)


def test_a_quantity_written_as_an_integral_float_is_that_integer() -> None:
    # JSON Schema's "integer" includes 2.0, so a client generating from openapi.json may send it.
    assert LineItem.model_validate({"sku": "MUG-01", "quantity": 2.0}).quantity == 2


@pytest.mark.parametrize("quantity", [2.5, "2", True, float("nan"), float("inf"), 1e300])
def test_a_quantity_that_is_not_an_integer_is_still_refused(quantity: object) -> None:
    with pytest.raises(ValidationError) as raised:
        LineItem.model_validate({"sku": "MUG-01", "quantity": quantity})
    assert raised.value.errors()[0]["loc"] == ("quantity",)
