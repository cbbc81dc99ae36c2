"""The AWS JSON 1.1 protocol as Cognito speaks it: the action from `X-Amz-Target`, a JSON object
in, a JSON object out, errors as `{"__type": ..., "message": ...}` with a 4xx status."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from orders_api.twin.cognito.errors import (
    CognitoError,
    InvalidParameter,
    SerializationError,
    UnknownOperation,
)

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
CONTENT_TYPE = "application/x-amz-json-1.1"


def action_name(target: str | None) -> str:
    if not target or not target.startswith(TARGET_PREFIX):
        raise UnknownOperation("Unknown operation")
    return target[len(TARGET_PREFIX) :]


def parse_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise SerializationError("Start of structure or map found where not expected.") from exc
    if not isinstance(payload, dict):
        raise SerializationError("Start of structure or map found where not expected.")
    try:
        # JSON may escape a lone UTF-16 surrogate ("\ud800"), which no UTF-8 string holds:
        # refuse it here rather than fail later while hashing a password.
        json.dumps(payload, ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise SerializationError("Strings must be valid Unicode.") from exc
    return payload


def encode(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def error_payload(error: CognitoError) -> dict[str, str]:
    return {"__type": error.code, "message": error.message}


def _member_name(name: str) -> str:
    """Cognito's validation messages name members in lowerCamelCase ('clientId'); the upper-case
    keys of AuthParameters and ChallengeResponses keep their spelling."""
    return name if name.isupper() else name[:1].lower() + name[1:]


class Parameters:
    """An action's input members, checked the way the service validates them."""

    def __init__(self, payload: Mapping[str, Any]) -> None:
        self._payload = payload

    def string(self, name: str) -> str:
        value = self._payload.get(name)
        if value is None:
            raise InvalidParameter(
                f"1 validation error detected: Value null at '{_member_name(name)}' failed to "
                "satisfy constraint: Member must not be null"
            )
        if not isinstance(value, str) or not value:
            raise InvalidParameter(
                f"1 validation error detected: Value at '{_member_name(name)}' failed to "
                "satisfy constraint: Member must have length greater than or equal to 1"
            )
        return value

    def as_dict(self) -> dict[str, Any]:
        return dict(self._payload)

    def optional_string(self, name: str) -> str | None:
        return None if self._payload.get(name) is None else self.string(name)

    def boolean(self, name: str, *, default: bool) -> bool:
        value = self._payload.get(name, default)
        if not isinstance(value, bool):
            raise SerializationError(f"{name} must be a boolean")
        return value

    def string_map(self, name: str) -> dict[str, str]:
        value = self._payload.get(name) or {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise SerializationError(f"{name} must be a map of strings")
        return dict(value)

    def attributes(self, name: str) -> dict[str, str]:
        """A list of {"Name", "Value"} as a dict; a name given twice is refused."""
        value = self._payload.get(name) or []
        if not isinstance(value, list):
            raise SerializationError(f"{name} must be a list")
        attributes: dict[str, str] = {}
        for entry in value:
            if not isinstance(entry, dict) or not isinstance(entry.get("Name"), str):
                raise SerializationError(f"{name} entries have a Name")
            attribute, attribute_value = entry["Name"], entry.get("Value", "")
            if not isinstance(attribute_value, str):
                raise SerializationError(f"{name} values are strings")
            if attribute in attributes:
                raise InvalidParameter(f"Duplicate attribute name: {attribute}")
            if not re.fullmatch(r"[\w:.-]{1,32}", attribute):
                raise InvalidParameter(f"Invalid attribute name: {attribute[:32]}")
            attributes[attribute] = attribute_value
        return attributes
