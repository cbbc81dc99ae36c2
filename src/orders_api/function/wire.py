"""How the function reads what API Gateway hands it: request bodies as bounded JSON, the
body's media type as HTTP defines it, and one value per query parameter.

A body the deployed request model would refuse can still reach the function (the model is
API Gateway's, and the local twin may run without it), so reading it must never fail in a way
that becomes a 500: integers too long for Python's int-from-text limit and nesting deeper than
its recursion limit are refused as the malformed input they are.
"""

from __future__ import annotations

import json
from typing import Any

_CONTENT_TYPE = "content-type"
_CONTENT_TYPE_LENGTH = len(_CONTENT_TYPE)

MAX_INTEGER_DIGITS = 64
"""Longer integer literals are read as floats (possibly infinite), which the model refuses
with the field's name; none of this API's numbers comes near."""


def _integer(literal: str) -> int | float:
    return int(literal) if len(literal) <= MAX_INTEGER_DIGITS else float(literal)


def read_json(text: str | bytes) -> Any:
    """`json.loads`, bounded: raises json.JSONDecodeError (which the resolver turns into 400
    "not valid JSON") for nesting past the interpreter's recursion limit, instead of letting a
    RecursionError through."""
    try:
        return json.loads(text, parse_int=_integer)
    except RecursionError:
        document = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        raise json.JSONDecodeError("nested too deeply", document, 0) from None


def with_media_type_lower_cased(event: dict[str, Any]) -> dict[str, Any]:
    """The event with its Content-Type's media type lower-cased (RFC 9110: media types are
    case-insensitive), so that `APPLICATION/JSON` is JSON to the resolver too; parameters such
    as charset are kept as sent. The event is changed in place and returned."""
    for headers in (event.get("headers"), event.get("multiValueHeaders")):
        if not isinstance(headers, dict):
            continue
        # Every request passes here: the length test spares lower-casing the other headers.
        content_type_names = [
            name
            for name in headers
            if isinstance(name, str)
            and len(name) == _CONTENT_TYPE_LENGTH
            and name.lower() == _CONTENT_TYPE
        ]
        for name in content_type_names:
            value = headers[name]
            headers[name] = (
                [_lower_media_type(item) for item in value]
                if isinstance(value, list)
                else _lower_media_type(value)
            )
    return event


def with_query_values_as_api_gateway_reads_them(event: dict[str, Any]) -> dict[str, Any]:
    """The event with one value per query parameter, the last, in `multiValueQueryStringParameters`
    too: what `queryStringParameters` holds when a client repeats a parameter
    (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
    No parameter of this API takes several values; the resolver would otherwise refuse a repeated
    one with 422 rather than read it as API Gateway does. Changed in place and returned."""
    values = event.get("multiValueQueryStringParameters")
    if isinstance(values, dict):
        event["multiValueQueryStringParameters"] = {
            name: value[-1:] if isinstance(value, list) else value for name, value in values.items()
        }
    return event


def media_type(content_type: str) -> str:
    """The media type of a Content-Type value, lower-cased, without its parameters."""
    return content_type.partition(";")[0].strip().lower()


def _lower_media_type(value: object) -> object:
    if not isinstance(value, str):
        return value
    _, separator, parameters = value.partition(";")
    return media_type(value) + separator + parameters
