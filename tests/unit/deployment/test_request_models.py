"""The API Gateway model generated from NewOrder: valid draft 4, and as strict as pydantic."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel, ValidationError

from orders_api.deployment.request_models import DRAFT_4, UnsupportedSchema, draft4_schema
from orders_api.domain import NewOrder
from tests.fakes import IRISH_ADDRESS

MODEL = draft4_schema(NewOrder)
VALIDATOR = jsonschema.Draft4Validator(MODEL)


def _order(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "items": [{"sku": "TSHIRT-RED-M", "quantity": 2}],
        "shippingAddress": dict(IRISH_ADDRESS),
        "note": "Leave at the door",
    }
    body.update(overrides)
    return body


def _address(**overrides: Any) -> dict[str, Any]:
    address = dict(_order()["shippingAddress"])
    address.update(overrides)
    return address


ACCEPTED = {
    "full order": _order(),
    "items only": {"items": [{"sku": "MUG-01", "quantity": 1}]},
    "explicit nulls": _order(shippingAddress=None, note=None),
    "fifty items": _order(items=[{"sku": f"SKU-{n}", "quantity": 999} for n in range(50)]),
    "optional address lines": _order(shippingAddress=_address(line2="Flat 2", region="Munster")),
    "empty note": _order(note=""),
    "unicode text": _order(note="Zustellung an Frau Müller, 2. Stock ✓"),
    "longest sku": _order(items=[{"sku": "A" + "-" * 31, "quantity": 1}]),
    "quantity as a whole JSON number": _order(items=[{"sku": "A", "quantity": 2.0}]),
}

REFUSED = {
    "no items": {"note": "x"},
    "empty items": _order(items=[]),
    "fifty-one items": _order(items=[{"sku": "A", "quantity": 1}] * 51),
    "zero quantity": _order(items=[{"sku": "A", "quantity": 0}]),
    "quantity over 999": _order(items=[{"sku": "A", "quantity": 1000}]),
    "quantity as string": _order(items=[{"sku": "A", "quantity": "2"}]),
    "quantity as float": _order(items=[{"sku": "A", "quantity": 1.5}]),
    "quantity as boolean": _order(items=[{"sku": "A", "quantity": True}]),
    "lower-case sku": _order(items=[{"sku": "mug-01", "quantity": 1}]),
    "sku with a trailing newline": _order(items=[{"sku": "MUG-01\n", "quantity": 1}]),
    "sku too long": _order(items=[{"sku": "A" * 33, "quantity": 1}]),
    "item without quantity": _order(items=[{"sku": "A"}]),
    "unknown item field": _order(items=[{"sku": "A", "quantity": 1, "price": 5}]),
    "unknown top-level field": _order(discount=10),
    "customer id in the body": _order(customerId="someone-else"),
    "note too long": _order(note="x" * 501),
    "note not a string": _order(note=5),
    "address without postal code": _order(
        shippingAddress={k: v for k, v in _address().items() if k != "postalCode"}
    ),
    "lower-case country": _order(shippingAddress=_address(country="ie")),
    "country with a trailing newline": _order(shippingAddress=_address(country="IE\n")),
    "control character in name": _order(shippingAddress=_address(name="Aoife\x07")),
    "name ending in a newline": _order(shippingAddress=_address(name="Aoife\n")),
    "empty city": _order(shippingAddress=_address(city="")),
    "address as a string": _order(shippingAddress="12 Harbour Road, Cork"),
    "items not a list": _order(items={"sku": "A", "quantity": 1}),
    "body is a list": [_order()],
    "body is null": None,
}


def _pydantic_accepts(body: Any) -> bool:
    try:
        NewOrder.model_validate_json(json.dumps(body))
    except ValidationError:
        return False
    return True


def test_the_model_is_a_valid_self_contained_draft_4_schema() -> None:
    jsonschema.Draft4Validator.check_schema(MODEL)
    assert MODEL["$schema"] == DRAFT_4
    text = json.dumps(MODEL)
    for later_keyword in ('"$ref"', '"$defs"', '"const"', '"examples"', '"prefixItems"'):
        assert later_keyword not in text


@pytest.mark.parametrize("body", REFUSED.values(), ids=REFUSED.keys())
def test_the_model_refuses_what_new_order_refuses(body: Any) -> None:
    assert not _pydantic_accepts(body), "the sample must be one NewOrder refuses"
    assert not VALIDATOR.is_valid(body)


@pytest.mark.parametrize("body", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_the_model_accepts_what_new_order_accepts_in_its_wire_form(body: Any) -> None:
    assert _pydantic_accepts(body)
    assert VALIDATOR.is_valid(body)


def test_a_model_that_refers_to_itself_cannot_become_a_draft_4_model() -> None:
    class Node(BaseModel):
        children: list[Node]

    with pytest.raises(UnsupportedSchema, match="refers to itself"):
        draft4_schema(Node)


def test_a_constant_becomes_a_one_value_enum() -> None:
    from typing import Literal

    class Versioned(BaseModel):
        version: Literal["v1"]

    schema = draft4_schema(Versioned)
    assert schema["properties"]["version"]["enum"] == ["v1"]
    assert jsonschema.Draft4Validator(schema).is_valid({"version": "v1"})
    assert not jsonschema.Draft4Validator(schema).is_valid({"version": "v2"})
