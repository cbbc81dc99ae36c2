"""No token reaches a log line, wherever a client puts it."""

from __future__ import annotations

import logging

import pytest

from orders_api.twin.http import HttpRequest
from orders_api.twin.redaction import MaskTokens, mask_tokens
from orders_api.twin.waf.decision import Decision
from orders_api.twin.waf.log import log_record, to_line

TOKEN = (
    "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0"
    ".eyJzdWIiOiI3ZDBlMjBhOCIsInRva2VuX3VzZSI6ImlkIn0"
    ".c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
)


@pytest.mark.parametrize(
    "text",
    [
        f"GET /prod/orders?id_token={TOKEN} HTTP/1.1",
        f"/prod/orders?t={TOKEN.replace('.', '%2E')}",
        f"X-My-Token: Bearer {TOKEN}",
    ],
)
def test_a_token_anywhere_in_a_line_is_masked(text: str) -> None:
    masked = mask_tokens(text)
    assert "eyJzdWIi" not in masked
    assert "REDACTED" in masked


def test_text_without_a_token_is_left_alone() -> None:
    line = "POST /prod/orders HTTP/1.1 201 eyJ-not-a-token"
    assert mask_tokens(line) == line


def test_uvicorns_access_log_line_is_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("tests.access")
    logger.addFilter(MaskTokens())
    with caplog.at_level(logging.INFO, logger="tests.access"):
        # uvicorn's access log: '%s - "%s %s HTTP/%s" %d', the path with its query string.
        logger.info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", f"/prod?id_token={TOKEN}", "1.1", 200
        )
    assert TOKEN not in caplog.text
    assert "id_token=REDACTED" in caplog.text


def test_the_waf_log_masks_tokens_in_the_query_and_in_any_header() -> None:
    request = HttpRequest(
        "GET",
        f"/prod/orders/{TOKEN}",
        f"id_token={TOKEN}",
        (("Host", "127.0.0.1"), ("X-Session", TOKEN), ("Authorization", TOKEN)),
        b"",
        "127.0.0.1",
    )
    decision = Decision(
        action="ALLOW", terminating_rule_id="Default_Action", terminating_rule_type="REGULAR"
    )
    line = to_line(log_record(decision, request, request_id="r-1", web_acl_id="acl"))
    assert TOKEN not in line
    assert line.count("REDACTED") == 4
