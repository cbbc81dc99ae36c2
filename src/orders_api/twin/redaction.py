"""Tokens never reach the twin's logs, wherever a client puts them.

A client may send a JWT in the Authorization header (redacted by name), but also in a query
string (`?id_token=...`) or a header of its own choosing. Anything shaped like a JWT is masked
in every log line the twin writes about a request: uvicorn's access log and the WAF log.
"""

from __future__ import annotations

import logging
import re

REDACTED = "REDACTED"
JWT = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}(?:%2[Ee]|\.)eyJ[A-Za-z0-9_-]{4,}(?:(?:%2[Ee]|\.)[A-Za-z0-9_-]*)?"
)
"""A JWS compact serialisation (header and payload both JSON objects, so both start `eyJ`), also
with its dots percent-encoded, as it appears in a URL."""


def mask_tokens(text: str) -> str:
    """`text` with every JWT-shaped run replaced by REDACTED."""
    if "eyJ" not in text:
        return text
    return JWT.sub(REDACTED, text)


class MaskTokens(logging.Filter):
    """Masks tokens in a log record's arguments (uvicorn's access log passes the request line
    as one), so the formatted line never holds one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                mask_tokens(argument) if isinstance(argument, str) else argument
                for argument in record.args
            )
        if isinstance(record.msg, str):
            record.msg = mask_tokens(record.msg)
        return True
