"""The pipe messages between the twin and its execution environments read back as the standard
library's JSON would, whichever encoder wrote them."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders_api.twin.awslambda.wire import ChannelClosed, encode, read_message, write_message

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=20,
)


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    yield read_end, write_end
    for descriptor in (read_end, write_end):
        with contextlib.suppress(OSError):
            os.close(descriptor)


def _through(message: Any) -> Any:
    read_end, write_end = os.pipe()
    try:
        write_message(write_end, message)
        return read_message(read_end)
    finally:
        os.close(read_end)
        os.close(write_end)


@given(json_values)
def test_any_json_value_reads_back_as_the_standard_library_would_read_it(value: Any) -> None:
    assert _through(value) == json.loads(json.dumps(value))


def test_an_integer_past_64_bits_is_not_read_back_as_a_float() -> None:
    assert _through({"big": 2**70}) == {"big": 2**70}


def test_keys_that_are_not_strings_become_strings_as_json_dumps_makes_them() -> None:
    assert _through({1: "a", None: "b"}) == {"1": "a", "null": "b"}


def test_a_subclass_of_str_is_written_as_its_text() -> None:
    class Tag(str):
        pass

    assert _through({"tag": Tag("x")}) == {"tag": "x"}


@pytest.mark.parametrize(
    "value",
    [
        datetime.datetime(2026, 12, 5, tzinfo=datetime.UTC),
        dataclasses.make_dataclass("Point", ["x"])(1),
        {1, 2},
    ],
    ids=["datetime", "dataclass", "set"],
)
def test_what_json_dumps_refuses_is_refused_as_lambda_refuses_to_marshal_it(value: Any) -> None:
    with pytest.raises(TypeError):
        encode({"result": value})


def test_a_closed_pipe_is_reported_as_a_closed_channel(pipe: tuple[int, int]) -> None:
    read_end, write_end = pipe
    os.close(write_end)
    with pytest.raises(ChannelClosed):
        read_message(read_end)
