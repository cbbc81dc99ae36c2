"""Tuning the web ACL offline: `orders-api waf test` and `orders-api waf replay`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orders_api.cli import main
from orders_api.deployment.waf_policy import DEFAULT_POLICY
from orders_api.twin.http import HttpRequest
from orders_api.twin.waf.engine import WafEngine
from orders_api.twin.waf.log import log_record, to_line


def run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, list[dict[str, object]]]:
    status = main(["waf", *arguments, "--json"])
    return status, [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_waf_test_says_what_matched_where_after_decoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requests = tmp_path / "requests.txt"
    requests.write_text(
        "Door code: press '3' then '#'\n"
        + json.dumps(
            {"method": "GET", "path": "/prod/orders/o-1", "query": "f=..%2F..%2Fetc%2Fpasswd"}
        )
        + "\n"
    )
    status, (note, query) = run(capsys, "test", str(requests))
    assert status == 0
    assert note["action"] == "ALLOW", "a note is never refused"
    assert query["action"] == "BLOCK"
    (blocking,) = [match for match in query["matched"] if match["blocking"]]  # type: ignore[union-attr]
    assert blocking == {
        "rule": "GenericLFI_QUERYARGUMENTS",
        "part": "query arguments",
        "blocking": True,
        "inspectedText": "../../etc/passwd",  # after URL decoding
    }


def _log_line(request: HttpRequest, action: str) -> str:
    decision = WafEngine(DEFAULT_POLICY).evaluate(request)
    record = log_record(decision, request, request_id="r", web_acl_id="arn:acl")
    return to_line({**record, "action": action})


def test_waf_replay_shows_what_the_policy_now_decides_otherwise(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = (("Host", "api.example.com"), ("User-Agent", "Mozilla/5.0"))
    honest = HttpRequest("GET", "/prod/orders/o-1", "", headers, b"", "198.51.100.2")
    attack = HttpRequest(
        "GET", "/prod/orders/o-1", "f=../../etc/passwd", headers, b"", "198.51.100.3"
    )
    log = tmp_path / "aws-waf-logs-orders.jsonl"
    # As if an older policy had blocked the first and let the second through.
    log.write_text(_log_line(honest, "BLOCK") + "\n" + _log_line(attack, "ALLOW") + "\n")

    status, changed = run(capsys, "replay", str(log))

    assert status == 0
    assert [(entry["logged"], entry["now"], entry["line"]) for entry in changed] == [
        ("BLOCK", "ALLOW", 1),
        ("ALLOW", "BLOCK", 2),
    ]


def test_a_line_that_is_no_log_record_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "not-a-log.jsonl"
    log.write_text('{"hello": "world"}\n')
    assert main(["waf", "replay", str(log)]) == 2
    assert "line 1: not an AWS WAF log record" in capsys.readouterr().err
