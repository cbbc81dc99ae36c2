"""API Gateway's request validator for the twin: a route's body checked against the request
model the stack deploys (`orders_api.deployment.request_models`), JSON Schema draft 4.

As API Gateway does ("Request validation for REST APIs in API Gateway"): a body that breaks
the model gets 400 `{"message": "Invalid request body"}` and the function never runs; a body
whose content type has no model (anything but JSON here) is not validated and goes on.

The model is compiled by jsonschema-rs (a draft 4 validator in Rust, ~40 times cheaper per body
than the `jsonschema` package, which tests/unit/twin/apigateway/test_request_validator.py keeps
as the reference it must agree with).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

import jsonschema_rs
from pydantic import BaseModel

from orders_api.deployment.request_models import BODY_MODELS, draft4_schema
from orders_api.function.wire import media_type
from orders_api.twin.http import HttpRequest

JSON_MEDIA_TYPE = "application/json"


class RequestValidator:
    """Validates bodies of the routes that have a model. Safe to share between threads."""

    def __init__(
        self, body_models: Mapping[tuple[str, str], type[BaseModel]] = BODY_MODELS
    ) -> None:
        self._validators = {
            route: jsonschema_rs.Draft4Validator(draft4_schema(model))
            for route, model in body_models.items()
        }

    def accepts(self, method: str, resource: str, request: HttpRequest) -> bool:
        """Whether the body passes the route's model (True when there is none to apply)."""
        validator = self._validators.get((method, resource))
        if validator is None or not _is_json(request.header("content-type")):
            return True
        try:
            body = json.loads(request.body)
        except (ValueError, RecursionError):  # includes undecodable bytes
            return False
        return bool(validator.is_valid(body))


def _is_json(content_type: str | None) -> bool:
    """API Gateway applies the model registered for the request's content type; a missing
    Content-Type is taken as JSON."""
    return content_type is None or media_type(content_type) == JSON_MEDIA_TYPE
