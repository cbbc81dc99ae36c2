"""The twin's request validator (a compiled draft 4 validator) decides as the reference
implementation of JSON Schema draft 4 does, on the deployed request models."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders_api.deployment.request_models import BODY_MODELS, draft4_schema
from orders_api.twin.apigateway.request_validator import RequestValidator
from orders_api.twin.http import HttpRequest
from tests.fakes import IRISH_ADDRESS

ROUTE = ("POST", "/orders")
REFERENCE = jsonschema.Draft4Validator(draft4_schema(BODY_MODELS[ROUTE]))

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
# Each field is mostly drawn near its model (so that about half of the orders pass), sometimes
# from any text with control characters, line breaks, non-ASCII digits and letters, or from
# any JSON scalar.
any_text = st.text(
    st.characters(codec="utf-8", categories=["Cc", "Zs", "Lu", "Ll", "Nd", "Pd", "So"]),
    max_size=120,
)
printable = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "Zs", "P"]), min_size=1, max_size=100
)


def mostly(usual: st.SearchStrategy[Any], *unusual: st.SearchStrategy[Any]) -> Any:
    """`usual` four times in five, else one of `unusual`."""
    return st.integers(0, 4).flatmap(lambda pick: st.one_of(*unusual) if pick == 4 else usual)


skus = mostly(
    st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,31}", fullmatch=True),
    st.from_regex(r"[A-Z0-9][A-Z0-9-]{0,33}\n?", fullmatch=True),
    any_text,
    scalars,
)
quantities = mostly(
    st.integers(min_value=1, max_value=999),
    st.integers(min_value=-2, max_value=1002),
    st.floats(min_value=-2, max_value=1002, allow_nan=False),
    scalars,
)
item = st.fixed_dictionaries({"sku": skus, "quantity": quantities})
items = mostly(item, item.map(lambda fields: {**fields, "x": 1}))
countries = mostly(
    st.from_regex(r"[A-Z]{2}", fullmatch=True),
    st.from_regex(r"[A-Za-z]{1,3}\n?", fullmatch=True),
    any_text,
)
addresses = st.fixed_dictionaries(
    {
        "name": mostly(printable, any_text, scalars),
        "line1": mostly(printable, any_text),
        "city": mostly(printable, any_text),
        "postalCode": mostly(printable.map(lambda text: text[:20]), any_text),
        "country": countries,
    },
    optional={
        "line2": mostly(printable, any_text, st.none()),
        "region": mostly(st.none(), printable, any_text),
    },
)
orders = st.fixed_dictionaries(
    {
        "items": mostly(
            st.lists(items, min_size=1, max_size=3), st.lists(items, max_size=52), scalars
        )
    },
    optional={
        "shippingAddress": mostly(addresses, scalars),
        "note": mostly(printable, any_text, st.none(), scalars),
    },
)


def _request(body: bytes, content_type: str = "application/json") -> HttpRequest:
    return HttpRequest(
        method="POST",
        path="/prod/orders",
        raw_query="",
        headers=(("content-type", content_type),),
        body=body,
        client_ip="127.0.0.1",
    )


@settings(max_examples=400)
@given(orders)
def test_every_generated_order_is_judged_as_the_reference_draft_4_validator_judges_it(
    order: dict[str, Any],
) -> None:
    body = json.dumps(order).encode()
    assert RequestValidator().accepts(*ROUTE, _request(body)) == REFERENCE.is_valid(order)


@pytest.mark.parametrize(
    ("sku", "valid"),
    [("MUG-01", True), ("MUG-01\n", False), ("mug-01", False), ("-MUG", False), ("A" * 33, False)],
)
def test_a_sku_is_held_to_its_pattern_to_the_last_character(sku: str, valid: bool) -> None:
    order = {
        "items": [{"sku": sku, "quantity": 1}],
        "shippingAddress": dict(IRISH_ADDRESS),
    }
    assert REFERENCE.is_valid(order) is valid
    assert RequestValidator().accepts(*ROUTE, _request(json.dumps(order).encode())) is valid


def test_a_body_that_is_not_json_is_refused() -> None:
    assert not RequestValidator().accepts(*ROUTE, _request(b'{"items": ['))


def test_a_body_of_another_content_type_is_not_validated() -> None:
    assert RequestValidator().accepts(*ROUTE, _request(b"items=1", "text/plain"))
