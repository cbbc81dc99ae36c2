"""Tuning the web ACL offline, as AWS offers no way to: `orders-api waf test FILE` and
`orders-api waf replay LOGFILE`.

`test` runs requests (or plain notes) through the policy and says, for each, what the web ACL
decides, which rules matched, in which part of the request, and the text they matched as
inspected (after URL, HTML-entity and JSON decoding). `replay` reads AWS WAF's own log records
(what the deployed web ACL writes to `aws-waf-logs-*`, one JSON object per line) and shows
which requests the policy, as it is now, would newly block or newly allow. WAF logs hold no
request body, so a replay sees the method, path, query string and headers only.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from orders_api.deployment.waf_policy import DEFAULT_POLICY
from orders_api.twin.http import HttpRequest
from orders_api.twin.waf.decision import Decision
from orders_api.twin.waf.engine import WafEngine

MAX_LINES = 100_000
"""A file holds at most this many requests; the rest is not read."""
_PARTS = {
    "_BODY": "body",
    "_QUERYARGUMENTS": "query arguments",
    "_QUERYSTRING": "query string",
    "_URIPATH": "URI path",
    "_HEADER": "header",
    "_COOKIE": "cookie",
    "_METHOD": "method",
}
_BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0"


class TuningInputError(ValueError):
    """A line of the input file is not a request this command can read."""


def register(commands: Any) -> None:
    test = commands.add_parser(
        "test",
        help="run requests or notes from FILE through the web ACL, and say what matched where",
        description=(
            "Each line of FILE is a note (plain text: sent as an order's note) or a JSON "
            'request: {"method", "path", "query", "headers": {...}, "body": text or object}.'
        ),
    )
    test.add_argument("file", type=Path, metavar="FILE")
    test.add_argument("--json", action="store_true", help="one JSON line per request")
    test.set_defaults(handler=_test)
    replay = commands.add_parser(
        "replay",
        help="replay AWS WAF log records and show what the policy would now decide otherwise",
    )
    replay.add_argument("logfile", type=Path, metavar="LOGFILE")
    replay.add_argument("--json", action="store_true", help="one JSON line per changed decision")
    replay.set_defaults(handler=_replay)


def part_of(rule: str) -> str:
    """The part of a request a managed rule inspects, from AWS's naming of its rules."""
    for suffix, part in _PARTS.items():
        if rule.endswith(suffix):
            return part
    return "request"


def request_from_line(line: str) -> HttpRequest:
    """A JSON request object, or a note wrapped in an order."""
    text = line.rstrip("\r\n")
    try:
        given = json.loads(text)
    except ValueError:
        given = None
    if not isinstance(given, dict):
        body = json.dumps({"items": [{"sku": "MUG-01", "quantity": 1}], "note": text})
        return _request("POST", "/prod/orders", "", {}, body.encode())
    raw_body = given.get("body", "")
    body = raw_body if isinstance(raw_body, str) else json.dumps(raw_body)
    headers = given.get("headers") or {}
    if not isinstance(headers, dict):
        raise TuningInputError("headers must be an object of names to values")
    return _request(
        str(given.get("method", "POST")),
        str(given.get("path", "/prod/orders")),
        str(given.get("query", "")),
        {str(name): str(value) for name, value in headers.items()},
        body.encode("utf-8", "replace"),
    )


def _request(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> HttpRequest:
    defaults = {
        "Host": "127.0.0.1:3000",
        "User-Agent": _BROWSER,
        "Content-Type": "application/json",
    }
    given = {name.lower() for name in headers}
    merged = [(name, value) for name, value in defaults.items() if name.lower() not in given]
    merged += list(headers.items())
    return HttpRequest(method, path, query, tuple(merged), body, "198.51.100.1")


def describe(decision: Decision) -> dict[str, Any]:
    """The decision as a person tuning the policy reads it."""
    return {
        "action": decision.action,
        "terminatingRule": decision.managed_rule or decision.terminating_rule_id,
        "matched": [
            {
                "rule": rule,
                "part": part_of(rule),
                "blocking": rule == decision.managed_rule,
                "inspectedText": text,
            }
            for rule, text in decision.evidence
        ],
    }


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if number > MAX_LINES:
                return
            if line.strip():
                yield number, line


def _test(arguments: argparse.Namespace) -> int:
    errors = Console(stderr=True, soft_wrap=True)
    engine = WafEngine(DEFAULT_POLICY)
    console = Console(soft_wrap=True)
    table = Table("Line", "Decision", "Rule matched", "In", "Text as inspected")
    try:
        lines = list(_lines(arguments.file))
    except OSError as exc:
        errors.print(f"orders-api waf test: cannot read {arguments.file}: {exc.strerror}")
        return 2
    blocked = 0
    for number, line in lines:
        try:
            decision = engine.evaluate(request_from_line(line))
        except TuningInputError as exc:
            errors.print(f"orders-api waf test: line {number}: {exc}")
            return 2
        blocked += decision.blocked
        described = describe(decision)
        if arguments.json:
            print(json.dumps({"line": number, **described}, ensure_ascii=False))
            continue
        if not described["matched"]:
            table.add_row(str(number), decision.action, "-", "-", "")
        for match in described["matched"]:
            # A rule that matched without terminating counted (its action overridden to Count).
            table.add_row(
                str(number),
                "BLOCK" if match["blocking"] else "COUNT",
                match["rule"],
                match["part"],
                Text(repr(match["inspectedText"])[:80] if match["inspectedText"] else ""),
            )
    if not arguments.json:
        console.print(table)
        console.print(f"{len(lines)} requests: {blocked} blocked, {len(lines) - blocked} allowed.")
    return 0


def request_from_log_record(record: dict[str, Any]) -> HttpRequest:
    """The request an AWS WAF log record describes (no body: WAF logs do not hold one)."""
    http = record.get("httpRequest")
    if not isinstance(http, dict):
        raise TuningInputError("not an AWS WAF log record (no httpRequest)")
    headers = tuple(
        (str(header.get("name", "")), str(header.get("value", "")))
        for header in http.get("headers", [])
        if isinstance(header, dict)
    )
    return HttpRequest(
        str(http.get("httpMethod", "GET")),
        str(http.get("uri", "/")),
        str(http.get("args", "")),
        headers,
        b"",
        str(http.get("clientIp", "198.51.100.1")),
    )


def _replay(arguments: argparse.Namespace) -> int:
    errors = Console(stderr=True, soft_wrap=True)
    engine = WafEngine(DEFAULT_POLICY)
    changed: list[dict[str, Any]] = []
    total = 0
    try:
        lines = list(_lines(arguments.logfile))
    except OSError as exc:
        errors.print(f"orders-api waf replay: cannot read {arguments.logfile}: {exc.strerror}")
        return 2
    for number, line in lines:
        try:
            record = json.loads(line)
            request = request_from_log_record(record if isinstance(record, dict) else {})
        except (ValueError, TuningInputError) as exc:
            errors.print(f"orders-api waf replay: line {number}: {exc}")
            return 2
        total += 1
        logged = str(record.get("action", "")).upper()
        decision = engine.evaluate(request)
        if logged in ("ALLOW", "BLOCK") and decision.action != logged:
            changed.append(
                {
                    "line": number,
                    "logged": logged,
                    "now": decision.action,
                    "loggedRule": record.get("terminatingRuleId"),
                    "request": f"{request.method} {request.path}"
                    + (f"?{request.raw_query}" if request.raw_query else ""),
                    **{"matched": describe(decision)["matched"]},
                }
            )
    if arguments.json:
        for entry in changed:
            print(json.dumps(entry, ensure_ascii=False))
        return 0
    console = Console(soft_wrap=True)
    newly_blocked = sum(1 for entry in changed if entry["now"] == "BLOCK")
    console.print(
        f"{total} logged requests replayed (without bodies): {newly_blocked} newly blocked, "
        f"{len(changed) - newly_blocked} newly allowed."
    )
    if changed:
        table = Table("Line", "Logged", "Now", "Request", "Rule now")
        for entry in changed:
            rules = ", ".join(match["rule"] for match in entry["matched"] if match["blocking"])
            table.add_row(
                str(entry["line"]),
                entry["logged"],
                entry["now"],
                Text(entry["request"][:80]),
                rules,
            )
        console.print(table)
    return 0
