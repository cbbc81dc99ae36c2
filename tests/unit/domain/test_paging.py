"""Page tokens: opaque to clients, exact on the way back, and nothing else gets through."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders_api.domain import InvalidRequest, PageCursor
from orders_api.domain.ids import new_order_id
from orders_api.domain.paging import page_size

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2999, 12, 31), timezones=st.just(UTC)
)


@given(moments, st.uuids())
def test_every_cursor_survives_its_token(moment: datetime, order_id: object) -> None:
    created_at = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    cursor = PageCursor(created_at, str(order_id))
    token = cursor.to_token()
    assert token.isascii()
    assert "=" not in token
    assert PageCursor.from_token(token) == cursor


@given(st.text(max_size=400))
def test_any_other_text_is_refused_as_an_invalid_request_and_nothing_else(text: str) -> None:
    refused: InvalidRequest | None = None
    try:
        cursor = PageCursor.from_token(text)
    except InvalidRequest as error:
        refused = error
    if refused is None:
        assert PageCursor.from_token(cursor.to_token()) == cursor
    else:
        assert refused.field == "nextToken"


def test_a_cursor_with_a_made_up_order_id_is_refused() -> None:
    forged = PageCursor("2026-01-01T00:00:00.000Z", "../../etc").to_token()
    with pytest.raises(InvalidRequest):
        PageCursor.from_token(forged)
    genuine = PageCursor("2026-01-01T00:00:00.000Z", new_order_id()).to_token()
    assert PageCursor.from_token(genuine).created_at == "2026-01-01T00:00:00.000Z"


@pytest.mark.parametrize(("text", "size"), [(None, 20), ("1", 1), ("100", 100), ("007", 7)])
def test_a_page_size_is_one_to_a_hundred(text: str | None, size: int) -> None:
    assert page_size(text) == size
