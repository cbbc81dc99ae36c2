"""API Gateway request models from pydantic models: JSON Schema draft 4, self-contained.

`BODY_MODELS` names the body model of each route that takes one; the CDK stack deploys its
draft 4 schema with a request validator, and the twin's API Gateway validates with the very
same schema (`orders_api.twin.apigateway.request_validator`).

API Gateway validates bodies against JSON Schema draft 4 before Lambda runs (a refused body
costs no invocation). pydantic emits draft 2020-12, so this translates: `$defs` references
are inlined (a model may not refer to itself), `const` becomes a one-value `enum`, numeric
`exclusiveMinimum`/`exclusiveMaximum` become draft 4's boolean form, annotations draft 4 does
not know are dropped, and a keyword with no draft 4 equivalent is an error rather than a
silently weaker model. Optional fields stay `anyOf [..., {"type": "null"}]`, valid draft 4.

Integers: draft 4 validators refuse 2.0 as an "integer", later drafts (and the domain, which
reads a whole JSON number as an int) accept it; so "integer" becomes
`{"type": "number", "multipleOf": 1}`, which means the same in every draft.

Patterns: pydantic matches with Rust's regex, where `$` is the very end of the text; Python's
`re` and Java's (and so most validators) also let `$` match before a final newline. A final
`$` is therefore followed by `(?![\\s\\S])` (nothing after it), which every engine reads the
same way, so "IE\\n" is refused here as pydantic refuses it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from orders_api.domain import NewOrder

DRAFT_4 = "http://json-schema.org/draft-04/schema#"

_DROPPED = frozenset(
    {"title", "default", "examples", "$comment", "readOnly", "writeOnly", "deprecated"}
)
_UNSUPPORTED = frozenset(
    {
        "prefixItems",
        "contains",
        "minContains",
        "maxContains",
        "propertyNames",
        "if",
        "then",
        "else",
        "dependentRequired",
        "dependentSchemas",
        "unevaluatedItems",
        "unevaluatedProperties",
        "$dynamicRef",
        "$anchor",
        "discriminator",
    }
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "definitions"})
END_OF_TEXT = "(?![\\s\\S])"


class UnsupportedSchema(ValueError):
    """The pydantic model uses JSON Schema that draft 4 cannot express."""


def draft4_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The draft 4 schema of `model`'s wire form (field aliases, as clients send them)."""
    source = model.model_json_schema(by_alias=True, mode="validation")
    definitions: dict[str, Any] = source.pop("$defs", {})
    converted = _convert(source, definitions, ())
    return {"$schema": DRAFT_4, "title": model.__name__, **converted}


def _convert(node: Any, definitions: dict[str, Any], trail: tuple[str, ...]) -> Any:
    if isinstance(node, list):
        return [_convert(item, definitions, trail) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = str(node["$ref"]).removeprefix("#/$defs/")
        if name in trail:
            raise UnsupportedSchema(f"{name} refers to itself; draft 4 models must be finite")
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        inlined = _convert(definitions[name], definitions, (*trail, name))
        return {**inlined, **_convert(siblings, definitions, trail)}
    result: dict[str, Any] = {}
    for key, value in node.items():
        if key in _UNSUPPORTED:
            raise UnsupportedSchema(f"{key!r} has no JSON Schema draft 4 equivalent")
        if key in _DROPPED:
            continue
        if key == "const":
            result["enum"] = [value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            result["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            result[key] = True
        elif key == "type" and "integer" in ([value] if isinstance(value, str) else value):
            result[key] = _numbers_for_integers(value)
            result.setdefault("multipleOf", 1)
        elif key == "pattern":
            result[key] = _anchored_at_end(str(value))
        elif key in _SCHEMA_MAPS:
            result[key] = {
                name: _convert(schema, definitions, trail) for name, schema in value.items()
            }
        else:
            result[key] = _convert(value, definitions, trail)
    return result


def _numbers_for_integers(type_: str | list[str]) -> str | list[str]:
    if isinstance(type_, str):
        return "number"
    return sorted({"number" if name == "integer" else name for name in type_})


def _anchored_at_end(pattern: str) -> str:
    unescaped_dollar = pattern.endswith("$") and not pattern.endswith("\\$")
    return pattern + END_OF_TEXT if unescaped_dollar else pattern


BODY_MODELS: dict[tuple[str, str], type[BaseModel]] = {("POST", "/orders"): NewOrder}
"""The body model of each route (method, resource) that takes one; API Gateway refuses other
bodies with 400 before the function runs."""
